// Cursor-on-Target (CoT) events: the small subset ncc reads and writes (docs/formats/cot.md).
//
// A CoT event is one XML document <event uid type how time start stale><point/><detail/></event>.
// ncc keeps only what it maps: identity, type, times, the point, and from <detail> the contact
// callsign, track speed/course, remarks, the TAK team (__group), GeoChat's room, links,
// <marti> destinations and the protocol request. Everything else in <detail> is ignored on input
// (a relayed document is forwarded as received, hub.h) and never written.
//
// Pure functions, no I/O: any thread may call them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace ncc::cot {

// CoT uses 9999999.0 for "unknown" height and errors.
inline constexpr double kUnknown = 9999999.0;

struct CotPoint {
  double lat = 0, lon = 0;
  double hae = kUnknown, ce = kUnknown, le = kUnknown;
};

struct CotEvent {
  std::string uid;
  std::string type;  // e.g. "a-f-G-U-C"
  std::string how;   // e.g. "m-g" (machine GPS), "h-e" (human estimate)
  int64_t time_ms = 0, start_ms = 0, stale_ms = 0;  // ms since the Unix epoch (UTC)
  CotPoint point;
  // <detail>
  std::string callsign;                // <contact callsign>
  std::optional<double> speed;         // <track speed> m/s
  std::optional<double> course;        // <track course> degrees from north
  std::string remarks;                 // <remarks> text
  std::string group_name, group_role;  // <__group name role>
  // GeoChat (b-t-f): <__chat chatroom id senderCallsign>; <link uid> of every <link>; the
  // uids and callsigns of <marti><dest> (a message addressed to these contacts only).
  std::string chatroom, chat_id, chat_sender;
  std::vector<std::string> links;
  std::vector<std::string> dest_uids, dest_callsigns;
  // TAK protocol negotiation (t-x-takp-q): <TakControl><TakRequest version>.
  std::optional<int64_t> tak_request;
};

// Limits on what the parser accepts: an event bigger than this is refused by the framer.
inline constexpr size_t kMaxEventBytes = 64 * 1024;
inline constexpr size_t kMaxStringBytes = 4096;  // any one attribute (remarks: the event limit)

// Parses one whole event document (an optional <?xml?> prolog, then <event>). Errors are
// kInvalidArgument naming the attribute as "event@stale", "point@lat", "track@speed", or
// "xml" for documents that are not well-formed (with the byte offset), "event" for a root that
// is not <event>. DOCTYPE declarations are refused (no entity expansion of any kind).
StatusOr<CotEvent> ParseEvent(std::string_view xml);

// "2020-02-08T18:10:46.207Z" <-> ms since the epoch. Accepts 0-9 fraction digits and a "Z" or
// "+00:00"-style offset; refuses anything else (returns nullopt).
std::optional<int64_t> ParseTime(std::string_view text);
std::string FormatTime(int64_t ms);

// Escapes &, <, >, " and ' and drops characters XML 1.0 cannot carry (control characters other
// than tab, newline and carriage return; invalid UTF-8 becomes U+FFFD).
std::string Escape(std::string_view text);

// The document for `event` (no prolog), parseable by ParseEvent: what ParseEvent returns for it
// equals `event` up to number formatting.
std::string Write(const CotEvent& event);

}  // namespace ncc::cot
