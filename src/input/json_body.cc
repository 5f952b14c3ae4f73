#include "input/json_body.h"

#include <cmath>

#include "core/json_depth.h"
#include "core/json_writer.h"

namespace ncc {

StatusOr<nlohmann::json> ParseJsonBody(std::string_view body) {
  if (JsonNestedDeeperThan(body, kMaxJsonDepth))
    return Malformed("JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  // nlohmann reports the byte position only through its exception: keep it inside this adapter.
  try {
    return nlohmann::json::parse(body);
  } catch (const nlohmann::json::exception& e) {
    std::string what = e.what();
    if (auto p = what.find("] "); p != std::string::npos) what = what.substr(p + 2);
    return Malformed("malformed JSON: " + what);
  }
}

FieldReader::FieldReader(const nlohmann::json& object, std::vector<std::string> allowed,
                         std::string prefix)
    : obj_(object), prefix_(std::move(prefix)) {
  if (!obj_.is_object()) {
    Fail("must be a JSON object", prefix_.empty() ? "body" : prefix_);
    return;
  }
  for (const auto& [key, value] : obj_.items()) {
    bool known = false;
    for (const auto& a : allowed) known |= (a == key);
    if (!known) {
      // Echo at most a short, printable prefix of an unknown name.
      std::string shown = key.substr(0, 64);
      Fail("unknown field", Path(shown));
      return;
    }
  }
}

void FieldReader::Fail(std::string message, const std::string& field) {
  if (status_.ok()) status_ = Malformed(std::move(message), field);
}

const nlohmann::json* FieldReader::Get(const char* name, bool required) {
  if (!ok()) return nullptr;
  auto it = obj_.find(name);
  if (it == obj_.end() || it->is_null()) {
    if (required) Fail("is required", Path(name));
    return nullptr;
  }
  return &*it;
}

std::string FieldReader::String(const char* name, bool required, size_t max_bytes) {
  const nlohmann::json* v = Get(name, required);
  if (!v) return {};
  if (!v->is_string()) {
    Fail("must be a string", Path(name));
    return {};
  }
  const auto& s = v->get_ref<const std::string&>();
  if (s.size() > max_bytes) {
    Fail("longer than " + std::to_string(max_bytes) + " bytes", Path(name));
    return {};
  }
  return s;
}

std::optional<double> FieldReader::Number(const char* name, bool required) {
  const nlohmann::json* v = Get(name, required);
  if (!v) return std::nullopt;
  if (!v->is_number()) {
    Fail("must be a number", Path(name));
    return std::nullopt;
  }
  double d = v->get<double>();
  if (!std::isfinite(d)) {
    Fail("must be a finite number", Path(name));
    return std::nullopt;
  }
  return d;
}

std::optional<int64_t> FieldReader::Integer(const char* name, bool required) {
  const nlohmann::json* v = Get(name, required);
  if (!v) return std::nullopt;
  if (!v->is_number_integer()) {
    Fail("must be an integer", Path(name));
    return std::nullopt;
  }
  if (v->is_number_unsigned() && v->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
    Fail("is too large", Path(name));
    return std::nullopt;
  }
  return v->get<int64_t>();
}

std::optional<bool> FieldReader::Bool(const char* name, bool required) {
  const nlohmann::json* v = Get(name, required);
  if (!v) return std::nullopt;
  if (!v->is_boolean()) {
    Fail("must be true or false", Path(name));
    return std::nullopt;
  }
  return v->get<bool>();
}

std::vector<std::pair<const nlohmann::json*, std::string>> FieldReader::Objects(const char* name,
                                                                                size_t max_items) {
  const nlohmann::json* v = Get(name, false);
  std::vector<std::pair<const nlohmann::json*, std::string>> out;
  if (!v) return out;
  if (!v->is_array()) return Fail("must be an array of objects", Path(name)), out;
  if (v->size() > max_items)
    return Fail("has more than " + std::to_string(max_items) + " items", Path(name)), out;
  for (size_t i = 0; i < v->size(); ++i) {
    std::string path = Path(name) + "[" + std::to_string(i) + "]";
    if (!(*v)[i].is_object()) return Fail("must be an object", path), decltype(out){};
    out.emplace_back(&(*v)[i], std::move(path));
  }
  return out;
}

std::vector<std::string> FieldReader::Strings(const char* name, size_t max_items,
                                              size_t max_bytes) {
  const nlohmann::json* v = Get(name, false);
  std::vector<std::string> out;
  if (!v) return out;
  if (!v->is_array()) {
    Fail("must be an array of strings", Path(name));
    return out;
  }
  if (v->size() > max_items) {
    Fail("has more than " + std::to_string(max_items) + " items", Path(name));
    return out;
  }
  for (size_t i = 0; i < v->size(); ++i) {
    const auto& item = (*v)[i];
    std::string path = Path(name) + "[" + std::to_string(i) + "]";
    if (!item.is_string()) return Fail("must be a string", path), out;
    if (item.get_ref<const std::string&>().size() > max_bytes)
      return Fail("longer than " + std::to_string(max_bytes) + " bytes", path), out;
    out.push_back(item.get<std::string>());
  }
  return out;
}

std::optional<LatLon> FieldReader::Location(const char* name, bool required) {
  const nlohmann::json* v = Get(name, required);
  if (!v) return std::nullopt;
  FieldReader inner(*v, {"lat", "lon"}, Path(name));
  auto lat = inner.Number("lat", true);
  auto lon = inner.Number("lon", true);
  if (!inner.ok()) {
    status_ = inner.status();
    return std::nullopt;
  }
  return LatLon{*lat, *lon};
}

std::optional<Time> FieldReader::Timestamp(const char* name, bool required) {
  const nlohmann::json* v = Get(name, required);
  if (!v) return std::nullopt;
  if (v->is_number_integer()) return Time{v->get<int64_t>()};
  Time t;
  if (v->is_string() && ParseTime(v->get_ref<const std::string&>(), t)) return t;
  Fail("must be an ISO-8601 time with a zone (e.g. 2020-04-07T09:00:00Z) or epoch milliseconds",
       Path(name));
  return std::nullopt;
}

}  // namespace ncc
