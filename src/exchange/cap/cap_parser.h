// Reads a partner's CAP 1.1 or 1.2 alert (docs/exchange.md), with hard limits: size, element
// count, nesting depth and text length are checked, DOCTYPEs are refused (no entities, so no
// XXE and no billion laughs), a reference to an undefined entity makes the alert not
// well-formed, the declared encoding (UTF-8, ISO-8859-1, windows-1252) is honoured and text
// comes out as UTF-8, and every error names the element ("alert.info[0].area[1].circle[0]").
// Pure: no clock, no I/O.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/geo_point.h"
#include "core/ids.h"
#include "core/status.h"
#include "exchange/cap/area_table.h"
#include "exchange/cap/xml_input.h"

namespace ncc::cap {

// One "sender,identifier,sent" triple of <references>: the earlier alert an Update, Cancel,
// Ack or Error is about.
struct CapReference {
  std::string sender, identifier, sent;
};

struct CapAlert {
  std::string version;   // "1.1" or "1.2", from the namespace
  std::string encoding;  // as declared in the XML declaration, upper case; "UTF-8" if none
  std::string identifier, sender, status, msg_type, scope;
  Time sent;
  std::vector<CapReference> references;
  // From the first <info> that has a placeable area.
  std::string event, category, urgency, severity, certainty, headline, description;
  std::string area_desc;
  // The circle's centre, the polygon's vertex centroid, or the area table's centre of the
  // area's geocode or areaDesc.
  LatLon location;
  std::string where;  // the element the location came from ("...geocode[1]": via the table)
  // False only for a Cancel, Ack or Error with no placeable area: it acts on what it
  // references and needs no place of its own.
  bool placed = true;
};

// kInvalidArgument (HTTP 400/422) naming the element; kResourceExhausted past a limit. `areas`
// (may be null) places areas that have only geocodes or an areaDesc; an alert whose only
// areas are geocodes the table does not know is refused naming the first such geocode.
StatusOr<CapAlert> ParseAlert(std::string_view xml, const CapLimits& limits = {},
                              const AreaTable* areas = nullptr);

}  // namespace ncc::cap
