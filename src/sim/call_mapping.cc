#include "sim/call_mapping.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

namespace ncc {
namespace {

const std::set<std::string> kFields = {
    "call",     "unit",     "unit_type", "call_type", "priority", "address",  "station",
    "als",      "location", "lat",       "lon",       "agency",   "received", "entry",
    "dispatch", "en_route", "on_scene",  "transport", "hospital", "available"};

// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool Digits(std::string_view s, size_t& i, size_t n, int& out) {
  if (i + n > s.size()) return false;
  out = 0;
  for (size_t k = 0; k < n; ++k) {
    char c = s[i + k];
    if (c < '0' || c > '9') return false;
    out = out * 10 + (c - '0');
  }
  i += n;
  return true;
}

bool DaysInMonthOk(int y, int m, int d) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12 || d < 1) return false;
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return d <= kDays[m - 1] + (m == 2 && leap ? 1 : 0);
}

Status Field(const std::string& file, const std::string& key, const std::string& message) {
  return InvalidArgument(file + ": " + key + ": " + message, key);
}

StatusOr<int> ParseOffset(const std::string& text, const std::string& file) {
  int h = 0, m = 0;
  size_t i = 1;
  if (text.size() != 6 || (text[0] != '+' && text[0] != '-') || !Digits(text, i, 2, h) ||
      text[3] != ':' || !(i = 4, Digits(text, i, 2, m)) || h > 14 || m > 59)
    return Field(file, "utc_offset", "must look like \"-07:00\"");
  return (text[0] == '-' ? -1 : 1) * (h * 60 + m);
}

Status CheckPattern(const std::string& pattern, const std::string& file) {
  if (pattern.empty()) return Field(file, "time_format", "must not be empty");
  bool date = false, hour = false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] != '%') continue;
    if (i + 1 == pattern.size()) return Field(file, "time_format", "ends with a lone %");
    char c = pattern[++i];
    if (std::string_view("YmdHIMSpf%").find(c) == std::string_view::npos)
      return Field(file, "time_format", std::string("unknown conversion %") + c);
    date |= c == 'Y';
    hour |= c == 'H' || c == 'I';
  }
  if (!date || !hour) return Field(file, "time_format", "needs at least %Y and %H or %I");
  return Status::Ok();
}

template <typename V>
Status ReadTable(const nlohmann::json& j, const std::string& key, const std::string& file,
                 std::map<std::string, V>& out) {
  if (!j.contains(key)) return Status::Ok();
  const auto& t = j.at(key);
  if (!t.is_object()) return Field(file, key, "must be an object of code -> value");
  for (const auto& [code, value] : t.items()) {
    if constexpr (std::is_same_v<V, int>) {
      if (!value.is_number_integer() || value.template get<int>() < 1 ||
          value.template get<int>() > 5)
        return Field(file, key + "." + code, "must be a priority 1..5");
      out[code] = value.template get<int>();
    } else {
      if (!value.is_string() || value.template get<std::string>().empty())
        return Field(file, key + "." + code, "must be a non-empty string");
      out[code] = value.template get<std::string>();
    }
  }
  return Status::Ok();
}

template <typename V>
const V* Lookup(const std::map<std::string, V>& table, const std::string& code) {
  auto it = table.find(code);
  if (it == table.end()) it = table.find("*");
  return it == table.end() ? nullptr : &it->second;
}

Status ReadColumns(const nlohmann::json& j, const std::string& file, CallMapping& m) {
  if (!j.contains("columns") || !j["columns"].is_object())
    return Field(file, "columns", "is required: an object of field -> column header");
  for (const auto& [field, header] : j["columns"].items()) {
    if (!kFields.count(field)) return Field(file, "columns." + field, "is not a known field");
    if (!header.is_string() || header.get<std::string>().empty())
      return Field(file, "columns." + field, "must be a column header (a non-empty string)");
    m.columns[field] = header.get<std::string>();
  }
  for (const char* need : {"call", "call_type", "received"})
    if (!m.Has(need)) return Field(file, std::string("columns.") + need, "is required");
  if (m.Has("lat") != m.Has("lon"))
    return Field(file, m.Has("lat") ? "columns.lon" : "columns.lat",
                 "lat and lon are mapped together");
  if (m.Has("location") && m.Has("lat"))
    return Field(file, "columns.location", "map either location or lat and lon, not both");
  return Status::Ok();
}

bool IsMissing(const CallMapping& m, const std::string& cell) {
  for (const std::string& t : m.missing)
    if (cell == t) return true;
  return false;
}

bool ParseLocation(const std::string& text, LatLon& out) {
  // "(37.73, -122.42)", "37.73, -122.42" or "POINT (-122.42 37.73)" (WKT: lon first).
  double a = 0, b = 0;
  if (std::sscanf(text.c_str(), "POINT (%lf %lf)", &a, &b) == 2) {
    out = {b, a};
  } else if (std::sscanf(text.c_str(), "(%lf, %lf)", &a, &b) == 2 ||
             std::sscanf(text.c_str(), "%lf, %lf", &a, &b) == 2) {
    out = {a, b};
  } else {
    return false;
  }
  return ValidateLatLon(out, "location").ok();
}

}  // namespace

bool ParseMappedTime(std::string_view s, const TimeFormat& format, Time& out) {
  int y = 1970, mo = 1, d = 1, h = 0, mi = 0, sec = 0, ms = 0, h12 = -1;
  bool pm = false;
  size_t i = 0;
  const std::string& p = format.pattern;
  for (size_t k = 0; k < p.size(); ++k) {
    if (p[k] != '%' || k + 1 == p.size()) {
      if (i >= s.size() || s[i] != p[k]) return false;
      ++i;
      continue;
    }
    char c = p[++k];
    bool ok = true;
    switch (c) {
      case 'Y':
        ok = Digits(s, i, 4, y);
        break;
      case 'm':
        ok = Digits(s, i, 2, mo);
        break;
      case 'd':
        ok = Digits(s, i, 2, d);
        break;
      case 'H':
        ok = Digits(s, i, 2, h);
        break;
      case 'I':
        ok = Digits(s, i, 2, h12) && h12 >= 1 && h12 <= 12;
        break;
      case 'M':
        ok = Digits(s, i, 2, mi);
        break;
      case 'S':
        ok = Digits(s, i, 2, sec);
        break;
      case 'p':
        if (s.substr(i, 2) == "PM")
          pm = true;
        else if (s.substr(i, 2) != "AM")
          ok = false;
        i += 2;
        break;
      case 'f': {  // optional: "", or "." and 1..6 digits
        if (i < s.size() && s[i] == '.') {
          ++i;
          size_t start = i;
          int scale = 100;
          while (i < s.size() && s[i] >= '0' && s[i] <= '9' && i - start < 6) {
            ms += (s[i] - '0') * scale;
            scale /= 10;
            ++i;
          }
          ok = i > start;
        }
        break;
      }
      case '%':
        ok = i < s.size() && s[i++] == '%';
        break;
      default:
        return false;
    }
    if (!ok) return false;
  }
  if (i != s.size()) return false;
  if (h12 >= 0) h = h12 % 12 + (pm ? 12 : 0);
  if (!DaysInMonthOk(y, mo, d) || h > 23 || mi > 59 || sec > 60) return false;
  int64_t days = DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  int64_t local_s = days * 86400 + h * 3600 + mi * 60 + sec;
  out = Time{(local_s - int64_t{format.offset_minutes} * 60) * 1000 + ms};
  return true;
}

Status CallMapping::CheckDispatchable(const std::string& mapping_file) const {
  if (!Has("location") && !Has("lat"))
    return FailedPrecondition(
        mapping_file +
            " maps no location (columns.location or columns.lat/lon): these calls cannot be "
            "placed on a road, so the simulator cannot dispatch them; the export is for "
            "analytics only (ncc report)",
        "columns.location");
  if (!Has("unit"))
    return FailedPrecondition(mapping_file +
                                  " maps no unit column (columns.unit): the simulator needs one "
                                  "row per unit response to know what each call asked for",
                              "columns.unit");
  return Status::Ok();
}

StatusOr<CallMapping> ParseCallMapping(std::string_view text, const std::string& file) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return InvalidArgument(file + ": not a JSON object", "mapping");
  static const std::set<std::string> kKeys = {
      "name",          "columns",    "time_format", "utc_offset", "missing",
      "types",         "priorities", "unit_kinds",  "agencies",   "agency",
      "unit_agencies", "true",       "description"};
  for (const auto& [key, value] : j.items())
    if (!kKeys.count(key)) return Field(file, key, "is not a known key");
  CallMapping m;
  if (j.contains("name")) {
    if (!j["name"].is_string()) return Field(file, "name", "must be a string");
    m.name = j["name"].get<std::string>();
  }
  NCC_RETURN_IF_ERROR(ReadColumns(j, file, m));
  if (!j.contains("time_format") || !j["time_format"].is_string())
    return Field(file, "time_format", "is required: a pattern such as \"%m/%d/%Y %I:%M:%S %p\"");
  m.time.pattern = j["time_format"].get<std::string>();
  NCC_RETURN_IF_ERROR(CheckPattern(m.time.pattern, file));
  if (j.contains("utc_offset")) {
    if (!j["utc_offset"].is_string()) return Field(file, "utc_offset", "must be a string");
    auto offset = ParseOffset(j["utc_offset"].get<std::string>(), file);
    if (!offset.ok()) return offset.status();
    m.time.offset_minutes = *offset;
  }
  if (j.contains("missing")) {
    if (!j["missing"].is_array()) return Field(file, "missing", "must be a list of strings");
    m.missing.clear();
    for (const auto& t : j["missing"]) {
      if (!t.is_string()) return Field(file, "missing", "must be a list of strings");
      m.missing.push_back(t.get<std::string>());
    }
  }
  NCC_RETURN_IF_ERROR(ReadTable(j, "types", file, m.types));
  NCC_RETURN_IF_ERROR(ReadTable(j, "priorities", file, m.priorities));
  NCC_RETURN_IF_ERROR(ReadTable(j, "unit_kinds", file, m.unit_kinds));
  NCC_RETURN_IF_ERROR(ReadTable(j, "unit_agencies", file, m.unit_agencies));
  NCC_RETURN_IF_ERROR(ReadTable(j, "agencies", file, m.agencies));
  if (j.contains("agency")) {
    if (!j["agency"].is_string() || j["agency"].get<std::string>().empty())
      return Field(file, "agency", "must be an agency code");
    m.agency = j["agency"].get<std::string>();
  }
  if (m.agency.empty() && !m.Has("agency"))
    return Field(file, "agency", "is required when no agency column is mapped");
  if (j.contains("true")) {
    if (!j["true"].is_string()) return Field(file, "true", "must be a string");
    m.true_text = j["true"].get<std::string>();
  }
  return m;
}

StatusOr<CallMapping> LoadCallMapping(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot open mapping " + path, "mapping");
  std::stringstream text;
  text << in.rdbuf();
  return ParseCallMapping(text.str(), path);
}

bool MapRow(const std::vector<std::string>& f, const std::map<std::string, size_t>& index,
            const CallMapping& m, UnitResponse& r, MappedReadStats& stats) {
  auto cell = [&](const char* field) -> std::string {
    auto it = index.find(field);
    if (it == index.end() || it->second >= f.size()) return {};
    return IsMissing(m, f[it->second]) ? std::string() : f[it->second];
  };
  auto time = [&](const char* field, Time& out) {
    std::string t = cell(field);
    if (t.empty() || !ParseMappedTime(t, m.time, out)) out = Time{};
  };
  r.call_number = cell("call");
  r.unit_id = cell("unit");
  r.unit_type = cell("unit_type");
  r.call_type = cell("call_type");
  r.priority = cell("priority");
  r.address = cell("address");
  r.station = cell("station");
  r.als = !m.true_text.empty() && cell("als") == m.true_text;
  time("received", r.received);
  if (r.received.ms == 0 || r.call_number.empty()) {
    ++stats.no_received;
    return false;
  }
  r.has_location = m.Has("location") || m.Has("lat");
  if (r.has_location) {
    bool ok = false;
    if (m.Has("location")) {
      ok = ParseLocation(cell("location"), r.location);
    } else {
      std::string lat = cell("lat"), lon = cell("lon");
      char* end1 = nullptr;
      char* end2 = nullptr;
      r.location.lat = std::strtod(lat.c_str(), &end1);
      r.location.lon = std::strtod(lon.c_str(), &end2);
      ok = !lat.empty() && !lon.empty() && *end1 == 0 && *end2 == 0 &&
           ValidateLatLon(r.location, "location").ok();
    }
    if (!ok) {
      ++stats.no_location;
      return false;
    }
  }
  time("entry", r.entry);
  time("dispatch", r.dispatch);
  time("en_route", r.response);
  time("on_scene", r.on_scene);
  time("transport", r.transport);
  time("hospital", r.hospital);
  time("available", r.available);
  const std::string* type = Lookup(m.types, r.call_type);
  r.type = type ? *type : "other";
  const int* priority = Lookup(m.priorities, r.priority);
  r.ncc_priority = priority ? *priority : 3;
  const std::string* kind = Lookup(m.unit_kinds, r.unit_type);
  r.unit_kind = kind ? *kind : "other";
  if (m.Has("agency")) {
    const std::string* a = Lookup(m.agencies, cell("agency"));
    r.agency = a ? *a : m.agency;
  } else {
    r.agency = m.agency;
  }
  const std::string* ua = Lookup(m.unit_agencies, r.unit_type);
  r.unit_agency = ua ? *ua : r.agency;
  if (r.agency.empty()) r.agency = "unknown";
  if (r.unit_agency.empty()) r.unit_agency = r.agency;
  return true;
}

StatusOr<std::vector<UnitResponse>> ReadMappedCalls(const std::string& path, const CallMapping& m,
                                                    MappedReadStats* stats_out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot open " + path, "calls");
  std::string line;
  if (!std::getline(in, line)) return InvalidArgument(path + " is empty", "calls");
  if (line.size() >= 3 && line.compare(0, 3, "\xEF\xBB\xBF") == 0) line.erase(0, 3);  // BOM
  auto header = SplitCsvLine(line);
  std::map<std::string, size_t> by_name;
  for (size_t i = 0; i < header.size(); ++i) by_name.emplace(header[i], i);
  std::map<std::string, size_t> index;
  for (const auto& [field, column] : m.columns) {
    auto it = by_name.find(column);
    if (it == by_name.end())
      return InvalidArgument(path + ": column '" + column + "' (columns." + field +
                                 " of the mapping) is not in the header",
                             "columns." + field);
    index[field] = it->second;
  }
  MappedReadStats stats;
  std::vector<UnitResponse> rows;
  while (std::getline(in, line)) {
    if (line.empty() || line == "\r") continue;
    ++stats.rows;
    auto cells = SplitCsvLine(line);
    if (cells.size() != header.size()) {
      ++stats.short_rows;
      continue;
    }
    UnitResponse r;
    if (MapRow(cells, index, m, r, stats)) rows.push_back(std::move(r));
  }
  stats.kept = rows.size();
  if (stats_out) *stats_out = stats;
  return rows;
}

}  // namespace ncc
