// Coverage: zones (GeoJSON polygons) with a target such as "90 % of the zone reachable by an
// available ambulance within 8 minutes". A zone is measured on a grid of demand points inside
// it (default every 250 m); a point is covered when some available unit of the capability can
// drive to it within the time. Below target, move-ups are proposed: which available unit to
// reposition to which point, ranked by points covered gained over every zone of that
// capability (what the move uncovers elsewhere is subtracted).
//
// Zones file (docs/dispatch.md): a FeatureCollection of Polygon/MultiPolygon features with
// properties {"id", "name"?, "capability", "minutes", "target" (0..1), "agency"?,
// "spacing_m"?}. Errors name the field, e.g. "features[1].properties.minutes".
//
// Thread: Zones are immutable after parsing; Measure is a pure function (any thread).
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "dispatch/recommender.h"
#include "geo/polygon.h"
#include "routing/routing_service.h"

namespace ncc::dispatch {

struct CoverageZone {
  std::string id, name;
  std::string capability;
  std::string agency;  // empty: units of any agency count
  double minutes = 8;
  double target = 0.9;
  std::vector<geo::Polygon> polygons;
  std::vector<LatLon> points;  // demand points
};

// Errors: InvalidArgument naming the field. `max_points` caps each zone's demand points.
StatusOr<std::vector<CoverageZone>> ParseCoverageZones(std::string_view geojson,
                                                       size_t max_points = 2000);
StatusOr<std::vector<CoverageZone>> LoadCoverageZones(const std::string& path);

struct MoveUp {
  UnitId unit;
  std::string callsign;
  LatLon from, to;
  int gained = 0;       // net demand points covered gained over all zones of the capability
  double fraction = 0;  // this zone's coverage after the move
};

struct ZoneCoverage {
  const CoverageZone* zone = nullptr;
  size_t points = 0, covered = 0;
  double fraction = 0;
  bool below() const { return fraction < zone->target; }
  std::vector<std::pair<std::string, double>> by_agency;  // each agency's units alone
  std::vector<MoveUp> move_ups;                           // when below target, best first
};

// Remembers, from one measurement to the next, each source's travel times to a capability's
// demand points, with the points' snaps to the roads. Units standing at a post and the
// candidate posts recur between measurements, and one bounded road search per source is most
// of a measurement's cost; a unit on the move is a new source each time. A measurement with
// a cache gives exactly what it gives without one. Forgets everything when it holds more than
// `max_times` travel times (8 bytes each). Owned by the caller; one measurement at a time
// (callers that share one across threads lock it).
class ReachCache {
 public:
  explicit ReachCache(size_t max_times = 8u << 20);
  ~ReachCache();
  ReachCache(const ReachCache&) = delete;
  ReachCache& operator=(const ReachCache&) = delete;
  size_t hits() const;    // sources whose times were remembered
  size_t misses() const;  // sources searched
  struct Impl;            // defined in coverage.cc
  Impl& impl() { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

// `routing` may be null: straight lines at 40 km/h then. Only available units with a position
// count. Reachability by road honours one-way streets (units drive to the point). `cache` (may
// be null) must only ever see the same zones with the same `routing`.
std::vector<ZoneCoverage> MeasureCoverage(std::span<const CoverageZone> zones,
                                          std::span<const UnitInfo> units,
                                          const routing::RoutingService* routing,
                                          size_t max_move_ups = 5, ReachCache* cache = nullptr);

nlohmann::json ToJson(const std::vector<ZoneCoverage>& coverage);

}  // namespace ncc::dispatch
