// Snapping: a position to the nearest drivable road segment, through the uniform grid stored in
// the graph file. Thread-safe (const, no scratch). Construction is O(1): the grid, the edge
// tails and the empty-block map all live in the mapped file.
#pragma once

#include <cstdint>
#include <vector>

#include "core/geo_point.h"
#include "core/status.h"
#include "routing/road_graph.h"
#include "routing/route_query.h"

namespace ncc::routing {

// One directed edge the point lies on (a two-way street gives two, a split junction more).
struct EdgeHit {
  uint32_t edge, tail, head;
  double fraction;  // 0 at tail, 1 at head
};

struct Snap {
  LatLon on_road;
  double distance_m = 0;
  std::vector<EdgeHit> hits;
  std::vector<Seed> as_source;  // drive on from the point to the heads
  std::vector<Seed> as_target;  // arrive from the tails to the point
};

class Snapper {
 public:
  explicit Snapper(const RoadGraph& graph);
  // Errors: InvalidArgument naming `field` for a bad position, or when the nearest road is
  // farther than `max_distance_m` (the message gives that distance).
  StatusOr<Snap> Nearest(const LatLon& p, double max_distance_m,
                         const std::string& field = "position") const;

 private:
  const RoadGraph& g_;
};

}  // namespace ncc::routing
