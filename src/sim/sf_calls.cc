#include "sim/sf_calls.h"

#include <fstream>
#include <map>

#include "core/json_writer.h"

namespace ncc {

std::vector<std::string> SplitCsvLine(std::string_view line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"')
        out.back() += '"', ++i;
      else if (c == '"')
        quoted = false;
      else
        out.back() += c;
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.emplace_back();
    } else if (c != '\r') {
      out.back() += c;
    }
  }
  return out;
}

bool ParseSfTime(std::string_view s, Time& out) {
  // MM/DD/YYYY hh:mm:ss AM
  if (s.size() != 22 || s[2] != '/' || s[5] != '/' || s[10] != ' ' || s[13] != ':' || s[16] != ':')
    return false;
  int hour = std::atoi(std::string(s.substr(11, 2)).c_str()) % 12;
  if (s.substr(20, 2) == "PM")
    hour += 12;
  else if (s.substr(20, 2) != "AM")
    return false;
  char iso[40];
  std::snprintf(iso, sizeof iso, "%.4s-%.2s-%.2sT%02d:%.2s:%.2s-07:00", s.data() + 6, s.data(),
                s.data() + 3, hour, s.data() + 14, s.data() + 17);
  return ParseTime(iso, out);
}

std::string IncidentTypeFor(const std::string& call_type) {
  static const std::map<std::string, std::string> kTypes = {
      {"Medical Incident", "medical.general"},
      {"Alarms", "fire.alarm"},
      {"Structure Fire", "fire.structure"},
      {"Traffic Collision", "traffic.collision"},
      {"Outside Fire", "fire.outside"},
      {"Vehicle Fire", "fire.vehicle"},
      {"Water Rescue", "marine.rescue"},
      {"Gas Leak (Natural and LP Gases)", "hazmat.gas_leak"},
      {"Fuel Spill", "hazmat.fuel_spill"},
      {"Electrical Hazard", "hazard.electrical"},
      {"Elevator / Escalator Rescue", "rescue.elevator"},
      {"Smoke Investigation (Outside)", "fire.smoke_investigation"},
      {"Odor (Strange / Unknown)", "hazmat.odor"},
      {"Assist Police", "police.assist"},
      {"Citizen Assist / Service Call", "service.citizen_assist"},
  };
  auto it = kTypes.find(call_type);
  return it == kTypes.end() ? "other" : it->second;
}

int PriorityFor(const std::string& p) {
  // SFFD: 3 (and E) = emergency with lights and siren, 2 = non-emergency, others = scheduled.
  if (p == "3" || p == "E") return 1;
  if (p == "2") return 3;
  return 4;
}

StatusOr<std::vector<UnitResponse>> ReadSfCalls(const std::string& path, size_t* skipped) {
  std::ifstream in(path);
  if (!in) return NotFound("cannot open " + path);
  std::string line;
  if (!std::getline(in, line)) return InvalidArgument(path + " is empty");
  auto header = SplitCsvLine(line);
  std::map<std::string, size_t> col;
  for (size_t i = 0; i < header.size(); ++i) col[header[i]] = i;
  const char* needed[] = {"Call Number",   "Unit ID",       "Unit Type",      "Call Type",
                          "Priority",      "Address",       "Station Area",   "ALS Unit",
                          "Location",      "Received DtTm", "Entry DtTm",     "Dispatch DtTm",
                          "Response DtTm", "On Scene DtTm", "Transport DtTm", "Hospital DtTm",
                          "Available DtTm"};
  for (const char* n : needed)
    if (!col.count(n)) return InvalidArgument(path + ": missing column '" + n + "'", n);

  std::vector<UnitResponse> rows;
  size_t skip = 0;
  while (std::getline(in, line)) {
    auto f = SplitCsvLine(line);
    if (f.size() != header.size()) {
      ++skip;
      continue;
    }
    auto at = [&](const char* n) -> const std::string& { return f[col[n]]; };
    UnitResponse r;
    r.call_number = at("Call Number");
    r.unit_id = at("Unit ID");
    r.unit_type = at("Unit Type");
    r.call_type = at("Call Type");
    r.priority = at("Priority");
    r.address = at("Address");
    r.station = at("Station Area");
    r.als = at("ALS Unit") == "true";
    const std::string& loc = at("Location");
    if (std::sscanf(loc.c_str(), "(%lf, %lf)", &r.location.lat, &r.location.lon) != 2 ||
        !ValidateLatLon(r.location, "location").ok() ||
        !ParseSfTime(at("Received DtTm"), r.received)) {
      ++skip;
      continue;
    }
    (void)ParseSfTime(at("Entry DtTm"), r.entry);
    (void)ParseSfTime(at("Dispatch DtTm"), r.dispatch);
    (void)ParseSfTime(at("Response DtTm"), r.response);
    (void)ParseSfTime(at("On Scene DtTm"), r.on_scene);
    (void)ParseSfTime(at("Transport DtTm"), r.transport);
    (void)ParseSfTime(at("Hospital DtTm"), r.hospital);
    (void)ParseSfTime(at("Available DtTm"), r.available);
    rows.push_back(std::move(r));
  }
  if (skipped) *skipped = skip;
  return rows;
}

}  // namespace ncc
