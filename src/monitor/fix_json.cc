#include "monitor/fix_json.h"

#include "core/json_depth.h"
#include "core/json_writer.h"

namespace ncc::monitor {
namespace {

using nlohmann::json;

// Built with append: g++ 12 at -O3 warns (-Wrestrict, a known false positive) on the
// operator+ chain here.
Status Bad(const std::string& prefix, std::string_view field, std::string message) {
  std::string path;
  path.reserve(prefix.size() + 1 + field.size());
  if (!prefix.empty()) path.append(prefix).push_back('.');
  path.append(field);
  return InvalidArgument(std::move(message), std::move(path));
}

std::string IndexPrefix(size_t i) {
  std::string p(1, '[');
  p.append(std::to_string(i)).push_back(']');
  return p;
}

}  // namespace

StatusOr<PositionFix> ReadFixObject(const json& item, UnitId unit, const std::string& prefix) {
  if (!item.is_object())
    return InvalidArgument("must be an object", prefix.empty() ? "fix" : prefix);
  PositionFix f;
  f.unit = unit;
  bool have_lat = false, have_lon = false, have_time = false;
  for (const auto& [key, v] : item.items()) {
    if (key == "lat" || key == "lon" || key == "speed" || key == "heading") {
      if (!v.is_number()) return Bad(prefix, key, "must be a number");
      double d = v.get<double>();
      if (key == "lat")
        f.position.lat = d, have_lat = true;
      else if (key == "lon")
        f.position.lon = d, have_lon = true;
      else if (key == "speed")
        f.speed = d;
      else
        f.heading = d;
    } else if (key == "time") {
      if (v.is_number_integer()) {
        f.time = Time{v.get<int64_t>()};
      } else if (!v.is_string() || !ParseTime(v.get_ref<const std::string&>(), f.time)) {
        return Bad(prefix, "time", "must be an ISO-8601 time with a zone or epoch milliseconds");
      }
      have_time = true;
    } else if (key == "unit") {
      if (!v.is_number_unsigned() || v.get<uint64_t>() == 0)
        return Bad(prefix, "unit", "must be a positive unit id");
      UnitId given(v.get<uint64_t>());
      if (unit && given != unit) return Bad(prefix, "unit", "does not match the topic's unit");
      f.unit = given;
    } else {
      // A member named "" is named as such: an empty field would blame the fix itself
      // ("fixes[3]." over HTTP, nothing at all for a lone MQTT fix).
      return Bad(prefix,
                 key.empty() ? std::string_view("\"\"") : std::string_view(key).substr(0, 64),
                 "unknown field");
    }
  }
  if (!have_lat) return Bad(prefix, "lat", "required");
  if (!have_lon) return Bad(prefix, "lon", "required");
  if (!have_time) return Bad(prefix, "time", "required");
  if (!f.unit) return Bad(prefix, "unit", "required");
  return f;
}

StatusOr<ParsedFixes> ParseFixPayload(std::string_view payload, UnitId unit) {
  if (payload.size() > kMaxMessageBytes)
    return ResourceExhausted("payload larger than " + std::to_string(kMaxMessageBytes) + " bytes",
                             "payload");
  // A fix is flat: anything nested deeper than an array of objects is refused before parsing.
  if (JsonNestedDeeperThan(payload, 3)) return InvalidArgument("nested too deeply", "payload");
  json doc = json::parse(payload, nullptr, false);
  if (doc.is_discarded()) return InvalidArgument("not JSON", "payload");
  ParsedFixes out;
  auto one = [&](const json& item, size_t i, const std::string& prefix) {
    auto fix = ReadFixObject(item, unit, prefix);
    if (fix.ok()) {
      out.fixes.push_back(*fix);
      out.index.push_back(i);
    } else {
      out.bad.push_back({i, fix.status().field(), fix.status().message()});
    }
  };
  if (doc.is_array()) {
    if (doc.size() > kMaxFixesPerMessage)
      return ResourceExhausted(
          "at most " + std::to_string(kMaxFixesPerMessage) + " fixes per message", "payload");
    for (size_t i = 0; i < doc.size(); ++i) one(doc[i], i, IndexPrefix(i));
  } else {
    one(doc, 0, "");
  }
  return out;
}

}  // namespace ncc::monitor
