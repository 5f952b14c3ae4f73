// Travel times for the rest of ncc (HTTP routes, dispatch recommendations): loads a graph file
// once and answers route, ETA and reachability questions as JSON.
//
// Thread-safe: any number of threads may call the const methods at once; each call borrows a
// RouteQuery (scratch space) from a small pool, so readers never share mutable state.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "core/geo_point.h"
#include "core/status.h"
#include "routing/fleet_times.h"
#include "routing/road_graph.h"
#include "routing/route_query.h"
#include "routing/snapper.h"

namespace ncc::routing {

// When Open checks the graph file's payload (RoadGraph::Verify: section checksums, structure).
enum class GraphVerification {
  // Open returns after the header checks (milliseconds) and verifies on a background thread;
  // if the file turns out corrupt, every later query fails with DataLoss (a query running
  // during those ~0.1-0.3 s per million nodes reads the file unverified).
  kBackground,
  kAtOpen,  // Open verifies before returning (DataLoss from Open)
};

struct RoutingOptions {
  double max_snap_meters = 500;  // farther from any road than this is an InvalidArgument
  GraphVerification verification = GraphVerification::kBackground;
};

enum class Algorithm { kCh, kDijkstra };

// A route between two snapped points.
struct RouteAnswer {
  Cost cost;
  double from_snap_m = 0, to_snap_m = 0;
  std::vector<LatLon> geometry;  // snapped start, road nodes, snapped end
};

class RoutingService {
 public:
  // Errors: those of RoadGraph::Load.
  static StatusOr<std::unique_ptr<RoutingService>> Open(const std::string& graph_path,
                                                        RoutingOptions options = {});
  // `graph` as it is (FromBytes graphs are verified already; Load-ed ones are not).
  RoutingService(std::unique_ptr<RoadGraph> graph, RoutingOptions options);
  ~RoutingService();

  // Ok, or the DataLoss that background verification found (then every query returns it).
  // Health() does not wait; WaitForVerification() waits for the background check to finish.
  Status Health() const;
  Status WaitForVerification() const;

  // {"seconds","meters","snap":{"from_meters","to_meters"},"geometry":GeoJSON LineString}.
  // Errors: InvalidArgument (bad or unsnappable position, field "from"/"to"), NotFound (no
  // route between the points).
  StatusOr<nlohmann::json> Route(LatLon from, LatLon to) const;
  // {"origin_snap_meters", "results":[{"seconds","meters","snap_meters"} or {"error":{...}}]}
  // in target order; one bad target never fails the others. Errors: InvalidArgument for the
  // origin only.
  StatusOr<nlohmann::json> Eta(LatLon origin, const std::vector<LatLon>& targets) const;
  // Travel times between every source and every target (bucket many-to-many):
  // {"seconds":[[...]], "meters":[[...]]} row per source, null where unreachable or unsnappable,
  // and "errors":[{"field","message"}] for points that could not be snapped.
  // Errors: ResourceExhausted beyond 1,000,000 cells.
  StatusOr<nlohmann::json> Matrix(const std::vector<LatLon>& sources,
                                  const std::vector<LatLon>& targets) const;
  // Area reachable within `seconds`: {"seconds","nodes","hull": GeoJSON Polygon}.
  StatusOr<nlohmann::json> Reachable(LatLon origin, double seconds) const;

  // The typed form behind Route (used by the CLI and benchmarks).
  StatusOr<RouteAnswer> RouteBetween(LatLon from, LatLon to, Algorithm algorithm,
                                     bool want_geometry) const;
  const RoadGraph& graph() const { return *graph_; }
  const Snapper& snapper() const { return snapper_; }

  // Live unit -> point travel times for dispatch (routing/fleet_times.h): Upsert each unit's
  // fix as it arrives (~one upward search), then ToPoint(incident) answers for the whole fleet
  // in one small search plus bucket scans. Results equal RouteBetween(unit, point) exactly.
  // fleet(): the service's shared fleet, created empty on first use, thread-safe, lives as
  // long as the service. NewFleet(): an independent fleet (e.g. per dispatch area or for
  // tests); the service must outlive it. Both snap with this service's max_snap_meters.
  FleetTimes& fleet() const;
  std::unique_ptr<FleetTimes> NewFleet() const;

 private:
  class Lease;
  std::unique_ptr<RouteQuery> Borrow() const;
  void Return(std::unique_ptr<RouteQuery> q) const;

  std::unique_ptr<RoadGraph> graph_;
  RoutingOptions options_;
  Snapper snapper_;
  mutable std::mutex mu_;  // guards pool_
  mutable std::vector<std::unique_ptr<RouteQuery>> pool_;
  // Background verification (GraphVerification::kBackground).
  void StartVerification();
  std::thread verifier_;
  std::atomic<bool> failed_{false};
  mutable std::mutex verify_mu_;
  mutable std::condition_variable verify_cv_;
  bool verifying_ = false;  // guarded by verify_mu_
  Status verify_status_;    // guarded by verify_mu_
  mutable std::once_flag fleet_once_;
  mutable std::unique_ptr<FleetTimes> fleet_;
};

// Travel between two points on the same directed edge, when `to` lies ahead of `from`.
Cost SameEdgeCost(const RoadGraph& g, const Snap& from, const Snap& to);

}  // namespace ncc::routing
