// Driving a unit along its road route: the contraction-hierarchy route between two points
// (routing::RoutingService, the same answer as /api/v1/route), and the unit's position at any
// moment of the drive, at the route's own pace (its travel time spread evenly over its length).
// The simulator samples it at 1 Hz of virtual time and sends those fixes through the AVL lane.
//
// Owner: src/sim. Thread: a Drive is a value; RoutePlanner is used by the simulator's thread
// (RoutingService itself is thread-safe). Errors: a route that cannot be found (a point too far
// from any road, no path) falls back to a straight line at 40 km/h and says so (`road` false).
#pragma once

#include <cstdint>
#include <vector>

#include "core/geo_point.h"
#include "routing/routing_service.h"

namespace ncc::sim {

class Drive {
 public:
  Drive() = default;
  // Along `path` (at least one point), from `start_ms`, taking `seconds`.
  Drive(std::vector<LatLon> path, int64_t start_ms, double seconds);
  LatLon At(int64_t ms) const;
  // Degrees from north of the leg driven at `ms`, and the pace in m/s.
  double HeadingAt(int64_t ms) const;
  double speed_mps() const { return speed_; }
  int64_t start_ms() const { return start_ms_; }
  int64_t end_ms() const { return end_ms_; }
  double meters() const { return cumulative_.empty() ? 0 : cumulative_.back(); }
  LatLon destination() const { return path_.empty() ? LatLon{} : path_.back(); }

 private:
  size_t LegAt(double meters) const;
  std::vector<LatLon> path_;
  std::vector<double> cumulative_;  // meters from the start to path_[i]
  int64_t start_ms_ = 0, end_ms_ = 0;
  double speed_ = 0;
};

struct PlannedRoute {
  std::vector<LatLon> path;
  double seconds = 0, meters = 0;
  bool road = true;  // false: straight-line fallback
};

class RoutePlanner {
 public:
  explicit RoutePlanner(const routing::RoutingService& routing) : routing_(routing) {}
  PlannedRoute Plan(LatLon from, LatLon to) const;
  uint64_t fallbacks() const { return fallbacks_; }
  uint64_t routes() const { return routes_; }

 private:
  const routing::RoutingService& routing_;
  mutable uint64_t fallbacks_ = 0, routes_ = 0;
};

}  // namespace ncc::sim
