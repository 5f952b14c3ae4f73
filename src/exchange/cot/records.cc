#include "exchange/cot/records.h"

#include <algorithm>
#include <cmath>

namespace ncc::cot {
namespace {

struct KindType {
  std::string_view kind, type;
};
// Types from the ATAK type catalogue (cot-types.xml); friendly ("f") ground units.
constexpr KindType kUnitTypes[] = {
    {"ambulance", "a-f-G-E-V-m"}, {"medic", "a-f-G-E-V-m"}, {"boat", "a-f-G-E-V-U-R"},
    {"vessel", "a-f-G-E-V-U-R"},  {"engine", "a-f-G-E-V"},  {"ladder", "a-f-G-E-V"},
    {"tanker", "a-f-G-E-V"},      {"patrol", "a-f-G-E-V"},  {"helicopter", "a-f-A-C-H"},
};

}  // namespace

std::string UnitType(std::string_view kind) {
  for (const auto& k : kUnitTypes)
    if (k.kind == kind) return std::string(k.type);
  return "a-f-G-U-C";
}

std::string TeamOf(std::string_view agency_kind) {
  static constexpr std::pair<std::string_view, std::string_view> kTeams[] = {
      {"police", "Blue"},          {"fire", "Red"},         {"ambulance", "White"},
      {"civil_defence", "Orange"}, {"coast_guard", "Teal"}, {"ems", "White"}};
  for (const auto& [kind, team] : kTeams)
    if (kind == agency_kind) return std::string(team);
  return "Cyan";
}

std::string RoleOf(std::string_view unit_kind) {
  if (unit_kind == "ambulance" || unit_kind == "medic") return "Medic";
  if (unit_kind == "chief" || unit_kind == "supervisor") return "Team Lead";
  return "Team Member";
}

std::optional<CotEvent> UnitEvent(const Unit& u, int64_t now_ms, int64_t stale_after_ms,
                                  std::string_view agency_kind) {
  if (!u.position) return std::nullopt;
  CotEvent e;
  e.uid = "ncc-unit-" + std::to_string(u.id.value);
  e.type = UnitType(u.kind);
  e.how = "m-g";
  e.time_ms = now_ms;
  e.start_ms = u.position_time.ms ? std::min(u.position_time.ms, now_ms) : now_ms;
  // Stale counts from the last fix: a unit that stopped reporting is shown stale, not current.
  int64_t fresh_until = (u.position_time.ms ? u.position_time.ms : now_ms) + stale_after_ms;
  e.stale_ms = u.status == UnitStatus::kOutOfService ? now_ms : std::max(fresh_until, now_ms);
  if (fresh_until < now_ms) e.stale_ms = now_ms;  // already stale: at once
  e.point.lat = u.position->lat;
  e.point.lon = u.position->lon;
  e.callsign = u.callsign;
  e.group_name = TeamOf(agency_kind);
  e.group_role = RoleOf(u.kind);
  if (std::isfinite(u.speed)) e.speed = u.speed;
  if (std::isfinite(u.heading)) e.course = u.heading;
  e.remarks =
      "status: " + std::string(Name(u.status)) + "; kind: " + u.kind + "; agency: " + u.agency;
  if (u.incident) e.remarks += "; incident: " + std::to_string(u.incident.value);
  return e;
}

CotEvent IncidentEvent(const Incident& i, int64_t now_ms, int64_t stale_after_ms) {
  CotEvent e;
  e.uid = "ncc-incident-" + std::to_string(i.id.value);
  e.type = std::string(kIncidentType);
  e.how = "h-g-i-g-o";
  e.time_ms = now_ms;
  e.start_ms = i.created.ms ? std::min(i.created.ms, now_ms) : now_ms;
  bool over = IsTerminal(i.status) || i.status == IncidentStatus::kResolved;
  e.stale_ms = over ? now_ms : now_ms + stale_after_ms;
  e.point.lat = i.location.lat;
  e.point.lon = i.location.lon;
  e.callsign = "INC " + std::to_string(i.id.value) + " " + i.type;
  e.remarks = i.type + "; priority " + std::to_string(i.priority) + "; status " +
              std::string(Name(i.status));
  if (!i.summary.empty()) e.remarks += "; " + i.summary;
  if (!i.address.empty()) e.remarks += "; " + i.address;
  return e;
}

CotEvent ChatEvent(const Message& m, const std::string& channel_name, int64_t now_ms) {
  CotEvent e;
  e.uid = "ncc-message-" + std::to_string(m.id);
  e.type = "b-t-f";
  e.how = "h-g-i-g-o";
  e.time_ms = e.start_ms = now_ms;
  e.stale_ms = now_ms + 24LL * 3600 * 1000;
  e.chatroom = e.chat_id = channel_name;
  e.chat_sender = m.author;
  e.remarks = m.text;
  return e;
}

}  // namespace ncc::cot
