// ncc records as CoT events, for the outbound feed and GET /incidents/{id}/cot, /units/{id}/cot.
//
//   unit      uid "ncc-unit-<id>", type by kind (kUnitTypes in records.cc; default a-f-G-U-C),
//             callsign, position and speed/heading as reported, remarks "status: ...; kind: ...;
//             agency: ...[; incident: N]"
//   incident  uid "ncc-incident-<id>", type b-m-p-s-p-i (spot map point of interest),
//             callsign "INC <id> <type>", remarks "<type>; priority N; status S; summary; address"
//   message   a GeoChat (b-t-f) in the chatroom named for its channel ("operation-3",
//             "incident-12"), uid "ncc-message-<id>", sender the author, remarks its text
//
// The caller decides visibility first (auth::CanSee): these functions render what they are given.
// Pure: any thread may call them.
#pragma once

#include <optional>
#include <string>

#include "core/records.h"
#include "exchange/cot/cot_event.h"

namespace ncc::cot {

inline constexpr std::string_view kIncidentType = "b-m-p-s-p-i";

// The CoT atom type for a unit kind ("ambulance" -> a-f-G-E-V-m).
std::string UnitType(std::string_view kind);

// TAK's team colour for an agency of `agency_kind` (police Blue, fire Red, ambulance White,
// civil_defence Orange, coast_guard Teal, else Cyan) and role for a unit `kind` (ambulance and
// medic Medic, chief and supervisor Team Lead, else Team Member): `__group` carries these, as
// TAK clients expect, not ncc's agency code.
std::string TeamOf(std::string_view agency_kind);
std::string RoleOf(std::string_view unit_kind);

// A unit with a position; nullopt without one (a CoT event needs a point). `now_ms` stamps the
// event; it goes stale `stale_after_ms` after the unit's last fix — so a unit whose fixes stopped
// shows as stale, not as current — or at once when the unit is out of service. `agency_kind`
// picks the team colour.
std::optional<CotEvent> UnitEvent(const Unit& unit, int64_t now_ms, int64_t stale_after_ms,
                                  std::string_view agency_kind = "");

// An incident as a marker; a closed, cancelled, merged or resolved incident is stale at once so
// TAK clients drop it from their map.
CotEvent IncidentEvent(const Incident& incident, int64_t now_ms, int64_t stale_after_ms);

// A channel message as the GeoChat TAK clients show in the chatroom `channel_name` (a room of
// that name sent back posts in the same channel). Stale a day after `now_ms`.
CotEvent ChatEvent(const Message& message, const std::string& channel_name, int64_t now_ms);

}  // namespace ncc::cot
