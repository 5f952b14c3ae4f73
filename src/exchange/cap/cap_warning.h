// CAP public warnings out (issue 16, "CAP public warning out"): what an operator asks to issue
// (ReadWarningRequest, the body of the future POST /api/v1/alerts) and the OASIS CAP 1.2 alert
// written for it (WriteWarning): an area as a polygon or a circle, audience, severity /
// urgency / certainty, one info block per language (Arabic and English), and Update / Cancel
// referencing the original. docs/exchange.md "CAP public warnings out".
//
// Owner: the exchange room. Pure (no I/O, no clock), any thread. Errors: kMalformed (not JSON,
// wrong JSON type, unknown field) and kInvalidArgument (a value CAP or ncc refuses), each
// naming the field by its JSON path ("area.polygon[3]", "info[1].language").
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/geo_point.h"
#include "core/ids.h"
#include "core/status.h"
#include "exchange/cap/cap_writer.h"

namespace ncc::cap {

struct WarningInfo {
  std::string language;  // "ar" or "en"
  std::string event, headline, description, instruction;
};

struct WarningArea {
  std::string description;       // areaDesc
  std::vector<LatLon> polygon;   // closed ring (first == last), at least 4 points; or empty
  std::optional<LatLon> centre;  // a circle instead
  double radius_km = 0;
};

struct WarningRequest {
  std::string msg_type = "Alert";  // Alert | Update | Cancel
  uint64_t references = 0;         // Update / Cancel: the warning it updates or cancels
  std::string category;            // CAP category (Geo, Met, Safety, ...)
  std::string urgency, severity, certainty;
  std::string audience;
  std::optional<Time> expires;
  WarningArea area;
  std::vector<WarningInfo> info;  // at most one per language; none only for a Cancel
};

StatusOr<WarningRequest> ReadWarningRequest(std::string_view json);

// A warning as issued: its id and time, and the alerts it references (sender, identifier,
// sent of each earlier message of its chain, oldest first).
struct IssuedWarning {
  uint64_t id = 0;
  Time sent;
  std::string sender_name;  // the issuing agency
  WarningRequest request;
  struct Reference {
    std::string sender, identifier;
    Time sent;
  };
  std::vector<Reference> references;
};

// "ncc-<sender>-warning-<id>".
std::string WarningIdentifier(uint64_t id, const CapOptions& options);

// The alert document (UTF-8, with an XML declaration), scope Public, in the schema's order.
std::string WriteWarning(const IssuedWarning& warning, const CapOptions& options);

}  // namespace ncc::cap
