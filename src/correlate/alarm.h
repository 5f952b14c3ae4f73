// Alarms: what sensors, cameras, panic buttons, fire panels and callers report, before
// correlation decides which of them describe the same incident.
// Thread: plain values and pure functions; any thread.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/geo_point.h"
#include "core/ids.h"
#include "core/status.h"

namespace ncc::correlate {

// Named in configuration and input by the strings of AlarmKindName; the numbers are not stored.
enum class AlarmKind : uint8_t { kIntrusion, kCctv, kLprHit, kPanic, kFirePanel, kCall };
inline constexpr size_t kAlarmKinds = 6;
const char* AlarmKindName(AlarmKind k);
std::optional<AlarmKind> AlarmKindFromName(std::string_view name);

struct Alarm {
  std::string id;      // unique per alarm, from the sending system
  std::string source;  // the sending system, e.g. "psim-north", "cad", "anpr"
  AlarmKind kind = AlarmKind::kCall;
  LatLon location;
  Time time;
  std::string sensor;  // sensor, camera or caller line; the same sensor is never two sources
  std::string plate;   // for lpr_hit
  // Set by the server, not read by ParseAlarm: alarms of different owning agencies never
  // merge (cross-agency work goes through a share); a call's priority overrides the rules'.
  std::string agency;
  // The owning agency: alarm ids are unique within it (another agency's alarm with the same id
  // is another alarm). Set by the server like `agency`.
  std::string owner;
  int priority = 0;  // 0: Rules::priority of the kind
};

// Reads {"id", "source", "kind", "lat", "lon", "time_ms", "sensor"?, "plate"?}; errors name the
// field.
StatusOr<Alarm> ParseAlarm(const nlohmann::json& j);

}  // namespace ncc::correlate
