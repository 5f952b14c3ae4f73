// The emergency-vehicle profile: which OSM ways a fire engine or ambulance may drive, in which
// direction, and how fast. Deliberately conservative: one-way streets are obeyed (driving
// against traffic is a tactical decision, not a route), barriers on nodes are ignored.
#pragma once

#include <optional>
#include <string_view>

namespace ncc::routing {

struct WayRule {
  double speed_kmh = 0;
  bool forward = true;   // drivable in the direction of the way's nodes
  bool backward = true;  // drivable against it
};

// Tag lookup: returns nullptr when the tag is absent.
using TagLookup = const char* (*)(const void* ctx, const char* key);

// Decides whether a way with these tags is drivable and how. nullopt: not a road for us.
std::optional<WayRule> EmergencyWayRule(const void* ctx, TagLookup tag);

// Parses an OSM maxspeed value ("50", "30 mph", "50;30"); nullopt for symbolic values.
std::optional<double> ParseMaxspeedKmh(std::string_view value);

}  // namespace ncc::routing
