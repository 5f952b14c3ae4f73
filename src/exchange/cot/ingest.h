// What ncc does with an inbound CoT event, and the counters of it.
//
// A friendly atom ("a-f-...") that the unit's own device reported (how "m-g..." GPS, or "h-e"
// entered on the device) and whose <contact callsign> names a unit becomes a position fix for
// that unit — a marker someone placed on the map (how "h-g-i-g-o") with a unit's callsign never
// moves the unit (the AVL lane then decides, with cot.ingest on the unit's label, whether this key
// may move it: only units of the key's agency within its clearance). Chat, markers and drawings
// are the hub's (hub.h, listener.cc); pings (t-x-c-t) and any other type are counted as ignored.
#pragma once

#include <array>
#include <atomic>
#include <string>
#include <string_view>

#include "core/world.h"
#include "exchange/cot/cot_event.h"

namespace ncc::cot {

// Names are stable: they label ncc_cot_events_total{outcome=...}.
enum class Outcome : uint8_t {
  kPosition,         // mapped to a fix and handed to the AVL lane (which may still refuse it)
  kIgnoredType,      // not a friendly atom
  kNoCallsign,       // a friendly atom without <contact callsign>
  kUnknownCallsign,  // a friendly atom whose callsign is no unit
  kInvalid,          // well-formed <event> with an invalid value (kept connected)
  kMalformed,        // not well-formed XML, or not an <event> (disconnected)
  kOversized,        // larger than the event limit (disconnected)
  kGarbage,          // bytes between events that cannot start one (disconnected)
  kNotAReport,       // a friendly atom placed by hand on a map (how not m-g / h-e): no fix
  // The hub (hub.h): relayed to the other TAK clients allowed to see it, and
  kChat,             //   GeoChat naming no incident (a group or direct chat)
  kChatIncident,     //   GeoChat naming an incident: also posted as the incident's message
  kMarker,           //   a marker or drawing naming no incident
  kMarkerIncident,   //   a marker or drawing naming an incident: also the incident's note
  kUnknownIncident,  // chat or marker naming an incident the key may not see: dropped
  kNegotiation,      // a TAK protocol request (t-x-takp-q), answered
  kChatChannel,      // GeoChat in a chatroom named for a channel: also posted in the channel
};
inline constexpr size_t kOutcomes = 16;
const char* OutcomeName(Outcome o);

// Friendly atoms: "a-f-" followed by a dimension ("a-f-G-U-C", "a-f-A").
bool IsPositionType(std::string_view type);
// How a device reports its own position: machine GPS ("m-g", "m-g-...") or entered on the
// device ("h-e"). Markers ("h-g-i-g-o"), predictions ("m-p") and relays are not.
bool IsSelfReport(std::string_view how);

struct Mapping {
  Outcome outcome = Outcome::kIgnoredType;
  PositionFix fix;  // when outcome == kPosition
};

// Maps `event` against the World (callsign of `agency`, the key's -> unit: callsigns are unique
// per agency). Speed m/s and course degrees are taken from <track> when present; a course of 360
// is 0.
Mapping Map(const CotEvent& event, const World& world, std::string_view agency);

// Per-outcome counters plus connection counters, lock-free; rendered on /metrics.
struct Counters {
  std::array<std::atomic<uint64_t>, kOutcomes> events{};
  std::atomic<uint64_t> connections_open{0}, connections_total{0}, sign_ins_refused{0},
      handshakes_failed{0}, feed_events{0}, cut_slow{0}, refused_busy{0}, relayed{0},
      proto_clients{0}, cut_write_timeout{0}, reads_paused{0};
  void Count(Outcome o) { ++events[static_cast<size_t>(o)]; }
  uint64_t count(Outcome o) const { return events[static_cast<size_t>(o)].load(); }
  void Render(std::string& out) const;
};

}  // namespace ncc::cot
