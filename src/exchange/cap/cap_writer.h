// OASIS CAP 1.2 (urn:oasis:names:tc:emergency:cap:1.2) for one incident: docs/formats/cap.md.
// Pure: the same incident and options give the same bytes (the alert's times are the
// incident's, never the clock's), so an export can be compared and cached.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/records.h"
#include "core/status.h"

namespace ncc::cap {

struct CapOptions {
  std::string sender = "ncc@localhost";  // <sender>, and part of every identifier
};

// A sender goes into identifiers and the comma-separated <references>: no whitespace, comma,
// '<' or '&' (CAP 1.2 section 3.2.1), 1..128 characters.
Status CheckSender(std::string_view sender);

// "2026-11-30T01:40:00-00:00": seconds only, an offset always, UTC written as -00:00 (the CAP
// 1.2 <sent> pattern; 'Z' is not allowed).
std::string CapTime(Time t);

// The CAP category for an incident type code: "fire.structure" -> "Fire" (table in the doc).
std::string_view CategoryOf(std::string_view type);

// The identifier of the alert as the incident was created, and of its state at last_seq.
std::string FirstIdentifier(const Incident& incident, const CapOptions& options);
std::string Identifier(const Incident& incident, const CapOptions& options);

// The alert document (UTF-8, with an XML declaration).
std::string WriteAlert(const Incident& incident, const CapOptions& options);

// An Atom feed (RFC 4287) with one entry per incident, each carrying its whole <alert> as
// content of type application/cap+xml (the shape of the NWS CAP feeds). `now`: <updated>.
std::string WriteFeed(const std::vector<Incident>& incidents, const CapOptions& options, Time now);

}  // namespace ncc::cap
