#include "routing/road_profile.h"

#include <charconv>
#include <cstring>
#include <string>

namespace ncc::routing {
namespace {

struct ClassSpeed {
  const char* highway;
  double kmh;
};

// Free-flow speeds by road class when no maxspeed is tagged; close to OSRM's car profile.
constexpr ClassSpeed kSpeeds[] = {
    {"motorway", 90},      {"motorway_link", 45}, {"trunk", 85},        {"trunk_link", 40},
    {"primary", 65},       {"primary_link", 30},  {"secondary", 55},    {"secondary_link", 25},
    {"tertiary", 40},      {"tertiary_link", 20}, {"unclassified", 25}, {"residential", 25},
    {"living_street", 10}, {"service", 15},       {"road", 20},
};

bool Is(const char* v, const char* want) {
  return v && std::strcmp(v, want) == 0;
}
bool IsAny(const char* v, std::initializer_list<const char*> wants) {
  for (const char* w : wants)
    if (Is(v, w)) return true;
  return false;
}

}  // namespace

std::optional<double> ParseMaxspeedKmh(std::string_view value) {
  double number = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), number);
  if (ec != std::errc() || number <= 0 || number > 200) return std::nullopt;
  std::string_view rest(end, value.data() + value.size() - end);
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  if (rest.starts_with("mph")) return number * 1.609344;
  if (rest.empty() || rest.front() == ';' || rest.starts_with("km")) return number;
  return std::nullopt;
}

std::optional<WayRule> EmergencyWayRule(const void* ctx, TagLookup tag) {
  const char* highway = tag(ctx, "highway");
  if (!highway || Is(tag(ctx, "area"), "yes")) return std::nullopt;
  const char* emergency = tag(ctx, "emergency");
  bool emergency_allowed = IsAny(emergency, {"yes", "designated", "permissive"});
  if (Is(emergency, "no")) return std::nullopt;
  WayRule rule;
  for (const ClassSpeed& c : kSpeeds)
    if (Is(highway, c.highway)) rule.speed_kmh = c.kmh;
  // Ways built for emergency access, or pedestrian zones opened to emergency vehicles.
  if (rule.speed_kmh == 0 && emergency_allowed &&
      IsAny(highway, {"pedestrian", "track", "footway", "cycleway"}))
    rule.speed_kmh = 10;
  if (rule.speed_kmh == 0) return std::nullopt;
  if (!emergency_allowed) {
    for (const char* key : {"access", "vehicle", "motor_vehicle", "motorcar"})
      if (IsAny(tag(ctx, key), {"no", "private", "agricultural", "forestry"})) return std::nullopt;
  }
  if (const char* ms = tag(ctx, "maxspeed"))
    if (auto kmh = ParseMaxspeedKmh(ms)) rule.speed_kmh = *kmh;
  // Emergency vehicles are faster than traffic on open roads but not in dense streets; the
  // profile keeps the plain legal speed and lets dispatch add its own factor.
  const char* oneway = tag(ctx, "oneway");
  bool implied = Is(highway, "motorway") || IsAny(tag(ctx, "junction"), {"roundabout", "circular"});
  if (IsAny(oneway, {"yes", "true", "1"}) || (implied && !Is(oneway, "no"))) {
    rule.backward = false;
  } else if (IsAny(oneway, {"-1", "reverse"})) {
    rule.forward = false;
  }
  return rule;
}

}  // namespace ncc::routing
