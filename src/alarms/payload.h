// The alarm payload, one format for every lane (POST /api/v1/alarms and MQTT ncc/alarm/{source};
// docs/formats/alarms.md): one alarm object, an array of them, or {"alarms": [...]}.
//
//   {"id": "psim-7/123", "kind": "intrusion", "location": {"lat": 25.28, "lon": 51.53},
//    "time": "2026-11-29T22:40:00Z" | 1795992000000, "sensor": "door-3", "plate": "123456",
//    "details": "...", "source": "psim-north", "classification": "restricted"}
//
// Parsing is strict and pure (no clock, no World): a malformed item is rejected on its own,
// naming its field ("alarms[3].location.lat"); the rest of the batch goes on. Checks that need
// the clock (times too far in the future or past) are in CheckTime.
// Thread: pure functions; any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/commands.h"
#include "core/status.h"

namespace ncc::alarms {

// Kinds on the wire: the correlator's kinds plus lpr_read (a plate read that ncc matches against
// its watchlists; only a hit becomes an alarm).
inline constexpr std::string_view kKinds[] = {"intrusion",  "cctv", "lpr_hit", "panic",
                                              "fire_panel", "call", "lpr_read"};

struct WireAlarm {
  size_t index = 0;  // position in the payload
  std::string id;
  std::string kind;
  LatLon location;
  Time time;
  std::string source;  // empty: the lane's (API key name, MQTT topic)
  std::string sensor;
  std::string plate;
  std::string details;
  std::optional<Classification> classification;
  // What a gateway that knows better (CAP import's rules) asks for an incident this alarm
  // opens; empty / 0: the correlation rules' type and priority of the kind.
  std::string type;
  int priority = 0;
};

struct ItemError {
  size_t index = 0;
  Status status;  // field names the item: "alarms[3].kind"; kMalformed (type, unknown field)
                  // or kInvalidArgument (a value out of range)
};

struct ParsedPayload {
  bool single = false;  // the payload was one object (the reply is then that item's own status)
  std::vector<WireAlarm> alarms;
  std::vector<ItemError> rejected;
  size_t items() const { return alarms.size() + rejected.size(); }
};

// InvalidArgument for a payload that is not JSON or not one of the three shapes;
// ResourceExhausted (413) past Limits::kAlarmBatch items. Items are judged one by one.
StatusOr<ParsedPayload> ParsePayload(std::string_view bytes);

// Source names are safe metric labels and topic levels: 1..64 of [A-Za-z0-9._-].
bool ValidSourceName(std::string_view source);

// Alarm times must be live: at most 60 s ahead of `now` (clock skew), at most 24 h behind.
inline constexpr int64_t kAlarmFutureMs = 60'000;
inline constexpr int64_t kAlarmPastMs = 24LL * 3600 * 1000;
Status CheckTime(Time t, Time now, const std::string& field);

}  // namespace ncc::alarms
