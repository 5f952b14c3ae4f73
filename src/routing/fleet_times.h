// Live travel times from a moving fleet to any point: "which units reach this incident first?"
//
// The dispatch question is many-to-one (every unit drives TO the incident) and the units move
// all the time, so the work is split the classic bucket way (Knopp et al. 2007) over the
// contraction hierarchy:
//   - when a unit reports a position (Upsert), it is snapped once and its forward upward search
//     space is stored in buckets: bucket[node] += (unit, time unit -> node);
//   - a query (ToPoint) snaps the incident, runs ONE backward upward search from it and scans
//     the buckets of the nodes it settles: time(unit -> incident) = min over common nodes of
//     bucket time + backward time.
// Both searches use stall-on-demand (a stalled node has a non-optimal label and can never be the
// meeting node of a shortest path), which keeps the buckets small. Results are exactly the
// point-to-point times (same snapped partial-edge costs, same-edge shortcut as
// RoutingService::RouteBetween), in the unit -> incident direction.
//
// Thread-safe: any number of threads may Upsert, Remove and query at once. Searches run outside
// the lock on per-thread scratch; the buckets are guarded by a shared mutex (queries share it,
// updates take it briefly to splice a unit's entries in or out).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <unordered_map>
#include <vector>

#include "core/geo_point.h"
#include "core/status.h"
#include "routing/road_graph.h"
#include "routing/route_query.h"
#include "routing/snapper.h"

namespace ncc::routing {

// One unit's travel to the asked point.
struct FleetEta {
  uint64_t key = 0;        // the caller's unit id
  double seconds = 0;      // travel time unit -> point (0 when unreachable)
  double meters = 0;       // length of that route
  double snap_m = 0;       // how far the unit's last position was from its road
  bool reachable = false;  // false: no road route from the unit to the point
  Cost cost;               // the same in integer ms / dm (exact; for tests and tie-breaking)
};

struct FleetQueryOptions {
  // Only units for which this returns true (e.g. available, right agency); empty = all.
  std::function<bool(uint64_t key)> filter;
  // At most this many results (the fastest); 0 = every unit. Results are always sorted by
  // travel time, fastest first, unreachable units last (then by key).
  size_t limit = 0;
  bool include_unreachable = true;
};

struct FleetStats {
  size_t units = 0;
  size_t bucket_entries = 0;  // total stored search-space entries (memory ~ 16 B each)
};

class FleetTimes {
 public:
  // `graph` and `snapper` must outlive the fleet. `max_snap_meters` bounds both unit positions
  // and query points (farther is InvalidArgument with the distance in the message).
  // `health`, when given, is asked before every Upsert and ToPoint; an error there (the graph
  // file failed verification) is returned as is.
  FleetTimes(const RoadGraph& graph, const Snapper& snapper, double max_snap_meters,
             std::function<Status()> health = {});
  ~FleetTimes();
  FleetTimes(const FleetTimes&) = delete;
  FleetTimes& operator=(const FleetTimes&) = delete;

  // Adds the unit or moves it to `position`. Errors: InvalidArgument (field "position") for a
  // bad or unsnappable position; the unit then keeps its previous position, if any (a GPS glitch
  // in the sea must not drop a unit from dispatch; the caller decides whether to Remove it).
  Status Upsert(uint64_t key, LatLon position);
  // False when the unit was not in the fleet.
  bool Remove(uint64_t key);
  bool Contains(uint64_t key) const;
  size_t size() const;
  FleetStats Stats() const;

  // Travel time from every unit (passing the filter) to `point`. Errors: InvalidArgument (field
  // "position") when the point cannot be snapped.
  StatusOr<std::vector<FleetEta>> ToPoint(LatLon point,
                                          const FleetQueryOptions& options = {}) const;
  // The same from an already snapped point (the caller snapped it, e.g. once per incident);
  // does not consult `health`.
  std::vector<FleetEta> ToSnapped(const Snap& point, const FleetQueryOptions& options = {}) const;

  const Snapper& snapper() const { return snapper_; }

 private:
  struct Entry {                              // one node of one unit's upward search space
    uint32_t slot, time_ms, length_dm, back;  // back: index in the unit's `nodes`
  };
  struct Head {  // the per-unit fields a query reads, packed apart from the bulky ones
    uint64_t key = 0;
    double snap_m = 0;
    bool used = false;
  };
  struct Unit {
    std::vector<EdgeHit> hits;    // for the same-edge case
    std::vector<uint32_t> nodes;  // nodes whose bucket holds this unit
    std::vector<uint32_t> at;     // at[i]: index of the unit's entry in bucket[nodes[i]]
  };
  class Search;  // per-thread scratch: labels for one upward search with stalling
  struct Reached {
    uint32_t node, time_ms, length_dm;
  };

  std::unique_ptr<Search> Borrow() const;
  void Return(std::unique_ptr<Search> s) const;
  void EraseEntries(uint32_t slot);  // caller holds mu_ exclusively

  const RoadGraph& g_;
  const Snapper& snapper_;
  double max_snap_m_;
  std::function<Status()> health_;

  mutable std::shared_mutex mu_;            // guards everything below
  std::vector<std::vector<Entry>> bucket_;  // per graph node
  std::vector<Head> heads_;                 // by slot
  std::vector<Unit> units_;                 // by slot
  // Units standing on each road edge: the one case no node search sees (unit and point on the
  // same edge, point ahead) is then found without looking at every unit.
  std::unordered_map<uint32_t, std::vector<uint32_t>> on_edge_;
  std::vector<uint32_t> free_slots_;
  std::unordered_map<uint64_t, uint32_t> slot_of_;
  size_t entries_ = 0;

  mutable std::mutex pool_mu_;
  mutable std::vector<std::unique_ptr<Search>> pool_;
};

}  // namespace ncc::routing
