// Travel times of units TO an incident, behind one small interface so the recommender does not
// care how they are computed. Two implementations here:
//   - RoadTravelTimes: exact fastest road times over the routing graph (a backward Dijkstra from
//     the incident on the reversed road graph, units snapped once per position and cached),
//     which can stop as soon as the caller has what it needs;
//   - StraightLineTravelTimes: great-circle distance at a fixed speed, the quality baseline.
// A bucket-based "fleet" structure in src/routing can implement the same interface later.
//
// Direction matters: units drive to the incident, so one-way streets count the right way.
// Thread: all implementations are safe to call from any number of threads at once.
#pragma once

#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <span>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/geo_point.h"
#include "core/ids.h"
#include "core/status.h"
#include "routing/routing_service.h"

namespace ncc::dispatch {

struct UnitPosition {
  UnitId id;  // lets implementations cache per unit (a snap, a bucket)
  LatLon position;
};

struct Travel {
  double seconds = std::numeric_limits<double>::infinity();  // infinity: not reached
  double meters = 0;
  bool reached() const { return seconds != std::numeric_limits<double>::infinity(); }
};

class TravelTimes {
 public:
  virtual ~TravelTimes() = default;
  // Called each time the travel of units[index] is final, with `frontier_s`: every unit not
  // final yet takes at least that long. Returning true ends the search early (the rest stay
  // unreached). Implementations that compute everything at once may call it for every unit.
  using Progress = std::function<bool(size_t index, double frontier_s)>;

  // Fills out[i] for units[i] (out is resized). Errors: InvalidArgument naming "location" when
  // the incident cannot be placed on the network (the caller may fall back to straight lines).
  virtual Status ToIncident(LatLon incident, std::span<const UnitPosition> units,
                            std::vector<Travel>& out, const Progress& progress = {}) const = 0;
  virtual std::string_view name() const = 0;  // "road", "straight_line"
};

class StraightLineTravelTimes final : public TravelTimes {
 public:
  explicit StraightLineTravelTimes(double meters_per_second = 40 / 3.6)
      : speed_(meters_per_second) {}
  Status ToIncident(LatLon incident, std::span<const UnitPosition> units, std::vector<Travel>& out,
                    const Progress& progress = {}) const override;
  std::string_view name() const override { return "straight_line"; }

 private:
  double speed_;
};

class RoadTravelTimes final : public TravelTimes {
 public:
  explicit RoadTravelTimes(const routing::RoutingService& routing, double max_snap_m = 500);
  ~RoadTravelTimes() override;
  Status ToIncident(LatLon incident, std::span<const UnitPosition> units, std::vector<Travel>& out,
                    const Progress& progress = {}) const override;
  std::string_view name() const override { return "road"; }

 private:
  struct Scratch;
  struct CachedSnap {
    LatLon position;
    bool ok = false;
    routing::Snap snap;
  };
  std::shared_ptr<const CachedSnap> SnapOf(const UnitPosition& u) const;
  std::unique_ptr<Scratch> Borrow() const;
  void Return(std::unique_ptr<Scratch> s) const;

  const routing::RoutingService& routing_;
  double max_snap_m_;
  // The road graph reversed (edges into each node), built once.
  std::vector<uint32_t> in_first_, in_tail_, in_weight_, in_length_;
  mutable std::mutex mu_;  // guards snaps_ and pool_
  mutable std::unordered_map<UnitId, std::shared_ptr<const CachedSnap>> snaps_;
  mutable std::vector<std::unique_ptr<Scratch>> pool_;
};

}  // namespace ncc::dispatch
