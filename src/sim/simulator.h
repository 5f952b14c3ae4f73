// The simulator (`ncc sim`, and `ncc demo` live): real calls arrive at their real times on an
// embedded engine, a policy (policies.h) decides who goes, units drive their CH routes
// (driver.h) sending fixes at 1 Hz of virtual time through the real AVL lane, stay on scene,
// transport and come back as long as the data's own intervals say, then drive back to quarters
// (fleet.h). Everything is recorded by the engine as the normal events a live centre writes
// (incident_created, recommendation_made, unit_assigned, unit_status_changed, positions), so
// `ncc report` and `ncc log verify` read a run like any data folder.
//
// Determinism (docs/sim.md): one thread decides everything in virtual-time order (sim_clock.h);
// the virtual clock moves only when no command or fix batch is in flight, so every event's time
// and order depend on the inputs and the seed alone: two runs give byte-identical logs (the
// chain head is the run's digest). The seed draws the intervals a row lacks from the data's own
// distribution of that interval.
//
// Owner: src/sim. Thread: Run() on the caller's thread; it submits to the engine and the lane
// and waits for each (their own threads do the work). Errors: Run returns the engine's or the
// lane's failure (a refused fix or command is a broken rule: counted in `refused`, and kept
// with its message in `first_refusal`).
#pragma once

#include <atomic>
#include <cmath>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "dispatch/coverage.h"
#include "engine/engine.h"
#include "monitor/avl_lane.h"
#include "routing/routing_service.h"
#include "sim/policies.h"
#include "sim/sf_calls.h"
#include "sim/sim_clock.h"

namespace ncc::sim {

struct SimProgress {
  size_t calls_done = 0, calls = 0;
  Time virtual_now;
  uint64_t events = 0;
};

// A unit pre-positioned by an operation plan (the what-if, whatif.h): from `from` until `to` its
// post is `post` instead of its quarters. It drives there when available (a posting that runs
// when the run starts finds it standing there already: activation moved it before), goes back
// there after each call, and returns to quarters at `to` unless another posting of it runs.
struct SimPosting {
  std::string agency, callsign;
  LatLon post;
  Time from, to;
};

// One call as it came out: where and when it was received, and its first unit's travel
// (en route -> on scene; NaN when no unit arrived).
struct CallOutcome {
  LatLon location;
  Time received;
  double first_unit_travel_s = NAN;
};

// The coverage of one zone at one moment (SimOptions::sample_zones).
struct CoverageSample {
  std::string zone;
  Time at;
  double fraction = 0;
};

struct SimOptions {
  uint64_t seed = 1;
  // 0: as fast as possible on the virtual clock. > 0 (live, the demo): virtual time runs at
  // `speed` times real time on the engine's own clock, fixes stamped with that clock.
  double speed = 0;
  int64_t fix_flush_ms = 30'000;  // virtual ms of fixes per lane batch (fast mode)
  std::function<void(const SimProgress&)> progress;  // about every 0.5 % of the calls
  const std::atomic<bool>* stop = nullptr;
  std::string actor = "sim";
  // Rows to estimate the units' quarters from (fleet.h): the whole file, so that a unit based
  // outside the graph's area is known to be so and left out of the fleet. Null: the simulated
  // rows themselves.
  const std::vector<UnitResponse>* quarters_from = nullptr;
  // Plan postings (the what-if). A posted unit that answered none of the simulated calls is
  // taken into the fleet from `quarters_from` (its quarters estimated like every unit's).
  std::vector<SimPosting> postings;
  // Coverage measured every `sample_every_ms` of virtual time in [sample_from, sample_to] by
  // the units as they stand (ladders count as engines, as they may fill an engine's slot).
  // Reads only: the log is the same with or without samples.
  std::vector<dispatch::CoverageZone> sample_zones;
  int64_t sample_every_ms = 0;
  Time sample_from, sample_to;
};

struct SimFigures {
  std::string policy;
  uint64_t seed = 0;
  size_t calls = 0, unit_responses = 0, units = 0, units_outside_area = 0, slots = 0,
         slots_unfilled = 0, substituted = 0, move_ups = 0, resolved = 0, cancelled = 0,
         calls_no_arrival = 0;
  uint64_t events = 0, fixes = 0, fixes_refused = 0, commands = 0, refused = 0, route_fallbacks = 0,
           drawn_intervals = 0;
  std::string first_refusal;
  double seconds = 0, virtual_seconds = 0;
  std::vector<double> first_unit_travel_s;  // per call with an arrival
  std::string log_digest;
  std::vector<CallOutcome> outcomes;  // per call, in the order received
  std::vector<CoverageSample> coverage_samples;
  size_t posting_moves = 0, postings_unmatched = 0;  // drives to or from a posting; postings of
                                                     // units not in the fleet
  nlohmann::json ToJson() const;                     // the one line a run prints last (run.json)
};

// Nearest-rank percentile (p in 0..1) of `v`; NaN when empty.
double Percentile(std::vector<double> v, double p);

// The SF file's own figures for comparison: per call, the first unit to arrive, en route ->
// on scene. Rows with impossible order (on scene before en route) are excluded and counted.
struct RealTravel {
  std::vector<double> first_unit_travel_s;
  std::vector<double> first_unit_dispatch_to_scene_s;  // the same unit: dispatch -> on scene
  size_t impossible_order = 0, no_arrival = 0;
};
RealTravel RealFirstUnitTravel(const std::vector<UnitResponse>& rows);

class Simulator {
 public:
  // `virtual_clock` is the engine's and the lane's clock in fast mode; null in live mode (then
  // `clock` is the server's clock). All references must outlive the simulator.
  Simulator(Engine& engine, monitor::AvlLane& lane, const routing::RoutingService& routing,
            const Clock& clock, SimClock* virtual_clock, Policy& policy, SimOptions options);
  ~Simulator();
  // `rows` are unit responses of calls already restricted to the graph's area.
  StatusOr<SimFigures> Run(const std::vector<UnitResponse>& rows);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// Keeps the calls whose location lies inside the graph's box and within `max_snap_m` of a road
// (the area rule of docs/sim.md); every row of a call goes with it.
struct AreaFilter {
  std::vector<UnitResponse> kept;
  size_t calls_kept = 0, calls_outside = 0, rows_outside = 0;
};
// The area rule for one point.
class GraphArea {
 public:
  explicit GraphArea(const routing::RoutingService& routing);
  bool Contains(LatLon p, double max_snap_m = 250) const;

 private:
  const routing::RoutingService& routing_;
  double lat0_ = 90, lat1_ = -90, lon0_ = 180, lon1_ = -180;
};

AreaFilter RestrictToGraph(std::vector<UnitResponse> rows, const routing::RoutingService& routing,
                           double max_snap_m = 250);

}  // namespace ncc::sim
