// Reads a partner's CAP 1.1 or 1.2 alert (docs/exchange.md), with hard limits: size, element
// count, nesting depth and text length are checked, DOCTYPEs are refused (no entities, so no
// XXE and no billion laughs), and every error names the element
// ("alert.info[0].area[1].circle[0]"). Pure: no clock, no I/O.
#pragma once

#include <string>
#include <string_view>

#include "core/geo_point.h"
#include "core/ids.h"
#include "core/status.h"

namespace ncc::cap {

struct CapLimits {
  size_t max_bytes = 1 << 20;  // real IPAWS alerts with embedded resources reach ~460 KB
  size_t max_elements = 20'000;
  size_t max_depth = 16;      // CAP nests 5 deep; leave room for extensions
  size_t max_text = 1 << 20;  // any one element's text (IPAWS embeds whole files as base64)
};

struct CapAlert {
  std::string version;  // "1.1" or "1.2", from the namespace
  std::string identifier, sender, status, msg_type, scope;
  Time sent;
  // From the first <info> that has a placeable area.
  std::string event, category, urgency, severity, certainty, headline, description;
  std::string area_desc;
  LatLon location;    // the circle's centre, or the polygon's vertex centroid
  std::string where;  // the element the location came from
};

// kInvalidArgument (HTTP 400/422) naming the element; kResourceExhausted past a limit.
StatusOr<CapAlert> ParseAlert(std::string_view xml, const CapLimits& limits = {});

}  // namespace ncc::cap
