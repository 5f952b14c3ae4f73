#include "routing/routing_service.h"

#include <algorithm>
#include <cmath>
#include <optional>

namespace ncc::routing {
namespace {

nlohmann::json Point(const LatLon& p) {
  return nlohmann::json::array({p.lon, p.lat});
}
double Seconds(uint32_t ms) {
  return ms / 1000.0;
}
double Meters(uint64_t dm) {
  return dm / 10.0;
}

nlohmann::json ErrorJson(const Status& s) {
  nlohmann::json e{{"code", StatusCodeName(s.code())}, {"message", s.message()}};
  if (!s.field().empty()) e["field"] = s.field();
  return {{"error", e}};
}

// Andrew's monotone chain; returns a closed ring.
std::vector<LatLon> ConvexHull(std::vector<LatLon> pts) {
  std::sort(pts.begin(), pts.end(), [](const LatLon& a, const LatLon& b) {
    return std::tie(a.lon, a.lat) < std::tie(b.lon, b.lat);
  });
  pts.erase(std::unique(pts.begin(), pts.end()), pts.end());
  if (pts.size() < 3) return pts;
  auto cross = [](const LatLon& o, const LatLon& a, const LatLon& b) {
    return (a.lon - o.lon) * (b.lat - o.lat) - (a.lat - o.lat) * (b.lon - o.lon);
  };
  std::vector<LatLon> hull(2 * pts.size());
  size_t k = 0;
  for (size_t i = 0; i < pts.size(); ++i) {
    while (k >= 2 && cross(hull[k - 2], hull[k - 1], pts[i]) <= 0) --k;
    hull[k++] = pts[i];
  }
  for (size_t i = pts.size() - 1, t = k + 1; i > 0; --i) {
    while (k >= t && cross(hull[k - 2], hull[k - 1], pts[i - 1]) <= 0) --k;
    hull[k++] = pts[i - 1];
  }
  hull.resize(k);  // last equals first: a closed ring
  return hull;
}

}  // namespace

// Returns the borrowed scratch to the pool when the call ends.
class RoutingService::Lease {
 public:
  explicit Lease(const RoutingService& s) : s_(s), q_(s.Borrow()) {}
  ~Lease() { s_.Return(std::move(q_)); }
  RouteQuery& operator*() { return *q_; }
  RouteQuery* operator->() { return q_.get(); }

 private:
  const RoutingService& s_;
  std::unique_ptr<RouteQuery> q_;
};

StatusOr<std::unique_ptr<RoutingService>> RoutingService::Open(const std::string& graph_path,
                                                               RoutingOptions options) {
  auto g = RoadGraph::Load(graph_path);
  if (!g.ok()) return g.status();
  if (options.verification == GraphVerification::kAtOpen) {
    NCC_RETURN_IF_ERROR((*g)->Verify());
    return std::make_unique<RoutingService>(std::move(g).value(), options);
  }
  auto service = std::make_unique<RoutingService>(std::move(g).value(), options);
  service->StartVerification();
  return service;
}

RoutingService::RoutingService(std::unique_ptr<RoadGraph> graph, RoutingOptions options)
    : graph_(std::move(graph)), options_(options), snapper_(*graph_) {}

RoutingService::~RoutingService() {
  if (verifier_.joinable()) verifier_.join();
}

void RoutingService::StartVerification() {
  {
    std::lock_guard lock(verify_mu_);
    verifying_ = true;
  }
  verifier_ = std::thread([this] {
    Status s = graph_->Verify();
    if (!s.ok()) failed_ = true;
    std::lock_guard lock(verify_mu_);
    verify_status_ = s;
    verifying_ = false;
    verify_cv_.notify_all();
  });
}

Status RoutingService::Health() const {
  if (!failed_.load(std::memory_order_acquire)) return Status::Ok();
  std::lock_guard lock(verify_mu_);
  return verify_status_;
}

Status RoutingService::WaitForVerification() const {
  std::unique_lock lock(verify_mu_);
  verify_cv_.wait(lock, [this] { return !verifying_; });
  return verify_status_;
}

std::unique_ptr<RouteQuery> RoutingService::Borrow() const {
  {
    std::lock_guard lock(mu_);
    if (!pool_.empty()) {
      auto q = std::move(pool_.back());
      pool_.pop_back();
      return q;
    }
  }
  return std::make_unique<RouteQuery>(*graph_);
}

FleetTimes& RoutingService::fleet() const {
  std::call_once(fleet_once_, [this] { fleet_ = NewFleet(); });
  return *fleet_;
}

std::unique_ptr<FleetTimes> RoutingService::NewFleet() const {
  return std::make_unique<FleetTimes>(*graph_, snapper_, options_.max_snap_meters,
                                      [this] { return Health(); });
}

void RoutingService::Return(std::unique_ptr<RouteQuery> q) const {
  std::lock_guard lock(mu_);
  pool_.push_back(std::move(q));
}

Cost SameEdgeCost(const RoadGraph& g, const Snap& from, const Snap& to) {
  Cost best;
  for (const EdgeHit& a : from.hits)
    for (const EdgeHit& b : to.hits)
      if (a.edge == b.edge && a.fraction <= b.fraction) {
        double f = b.fraction - a.fraction;
        auto t = static_cast<uint32_t>(std::lround(g.weight_ms[a.edge] * f));
        if (t < best.time_ms)
          best = {t, static_cast<uint64_t>(std::lround(g.length_dm[a.edge] * f))};
      }
  return best;
}

StatusOr<RouteAnswer> RoutingService::RouteBetween(LatLon from, LatLon to, Algorithm algorithm,
                                                   bool want_geometry) const {
  NCC_RETURN_IF_ERROR(Health());
  auto a = snapper_.Nearest(from, options_.max_snap_meters, "from");
  if (!a.ok()) return a.status();
  auto b = snapper_.Nearest(to, options_.max_snap_meters, "to");
  if (!b.ok()) return b.status();
  Lease q(*this);
  Path p = algorithm == Algorithm::kCh ? q->Ch(a->as_source, b->as_target, want_geometry)
                                       : q->Dijkstra(a->as_source, b->as_target, want_geometry);
  Cost direct = SameEdgeCost(*graph_, *a, *b);
  RouteAnswer out;
  out.from_snap_m = a->distance_m;
  out.to_snap_m = b->distance_m;
  if (direct.time_ms <= p.cost.time_ms) {
    out.cost = direct;
    p.nodes.clear();
  } else {
    out.cost = p.cost;
  }
  if (!out.cost.reachable()) return NotFound("no road route between the two points", "to");
  if (want_geometry) {
    out.geometry.push_back(a->on_road);
    for (uint32_t v : p.nodes) out.geometry.push_back(graph_->Position(v));
    out.geometry.push_back(b->on_road);
  }
  return out;
}

StatusOr<nlohmann::json> RoutingService::Route(LatLon from, LatLon to) const {
  auto r = RouteBetween(from, to, Algorithm::kCh, true);
  if (!r.ok()) return r.status();
  nlohmann::json coords = nlohmann::json::array();
  for (const LatLon& p : r->geometry) coords.push_back(Point(p));
  return nlohmann::json{{"seconds", Seconds(r->cost.time_ms)},
                        {"meters", Meters(r->cost.length_dm)},
                        {"snap", {{"from_meters", r->from_snap_m}, {"to_meters", r->to_snap_m}}},
                        {"geometry", {{"type", "LineString"}, {"coordinates", coords}}}};
}

StatusOr<nlohmann::json> RoutingService::Eta(LatLon origin,
                                             const std::vector<LatLon>& targets) const {
  NCC_RETURN_IF_ERROR(Health());
  auto o = snapper_.Nearest(origin, options_.max_snap_meters, "origin");
  if (!o.ok()) return o.status();
  std::vector<StatusOr<Snap>> snaps;
  std::vector<std::vector<Seed>> seeds;
  snaps.reserve(targets.size());
  for (size_t i = 0; i < targets.size(); ++i) {
    snaps.push_back(snapper_.Nearest(targets[i], options_.max_snap_meters,
                                     "targets[" + std::to_string(i) + "]"));
    seeds.push_back(snaps.back().ok() ? snaps.back()->as_target : std::vector<Seed>{});
  }
  std::vector<Cost> costs;
  {
    Lease q(*this);
    costs = q->OneToMany(o->as_source, seeds);
  }
  nlohmann::json results = nlohmann::json::array();
  for (size_t i = 0; i < targets.size(); ++i) {
    if (!snaps[i].ok()) {
      results.push_back(ErrorJson(snaps[i].status()));
      continue;
    }
    Cost c = costs[i], direct = SameEdgeCost(*graph_, *o, *snaps[i]);
    if (direct.time_ms <= c.time_ms) c = direct;
    if (!c.reachable()) {
      results.push_back(ErrorJson(
          NotFound("no road route to this target", "targets[" + std::to_string(i) + "]")));
      continue;
    }
    results.push_back({{"seconds", Seconds(c.time_ms)},
                       {"meters", Meters(c.length_dm)},
                       {"snap_meters", snaps[i]->distance_m}});
  }
  return nlohmann::json{{"origin_snap_meters", o->distance_m}, {"results", results}};
}

StatusOr<nlohmann::json> RoutingService::Matrix(const std::vector<LatLon>& sources,
                                                const std::vector<LatLon>& targets) const {
  NCC_RETURN_IF_ERROR(Health());
  if (sources.size() * targets.size() > 1000000)
    return ResourceExhausted("matrix larger than 1,000,000 cells", "targets");
  nlohmann::json errors = nlohmann::json::array();
  auto snap_all = [&](const std::vector<LatLon>& pts, const char* name, bool as_source,
                      std::vector<std::optional<Snap>>& snaps) {
    std::vector<std::vector<Seed>> seeds;
    for (size_t i = 0; i < pts.size(); ++i) {
      auto s = snapper_.Nearest(pts[i], options_.max_snap_meters,
                                std::string(name) + "[" + std::to_string(i) + "]");
      if (!s.ok()) {
        errors.push_back({{"field", s.status().field()}, {"message", s.status().message()}});
        snaps.emplace_back();
        seeds.emplace_back();
        continue;
      }
      seeds.push_back(as_source ? s->as_source : s->as_target);
      snaps.emplace_back(std::move(s).value());
    }
    return seeds;
  };
  std::vector<std::optional<Snap>> from_snaps, to_snaps;
  auto from = snap_all(sources, "sources", true, from_snaps);
  auto to = snap_all(targets, "targets", false, to_snaps);
  std::vector<Cost> costs;
  {
    Lease q(*this);
    costs = q->ManyToMany(from, to);
  }
  nlohmann::json seconds = nlohmann::json::array(), meters = nlohmann::json::array();
  for (size_t s = 0; s < sources.size(); ++s) {
    nlohmann::json srow = nlohmann::json::array(), mrow = nlohmann::json::array();
    for (size_t t = 0; t < targets.size(); ++t) {
      Cost c = costs[s * targets.size() + t];
      if (from_snaps[s] && to_snaps[t]) {
        Cost direct = SameEdgeCost(*graph_, *from_snaps[s], *to_snaps[t]);
        if (direct.time_ms <= c.time_ms) c = direct;
      }
      srow.push_back(c.reachable() ? nlohmann::json(Seconds(c.time_ms)) : nlohmann::json());
      mrow.push_back(c.reachable() ? nlohmann::json(Meters(c.length_dm)) : nlohmann::json());
    }
    seconds.push_back(std::move(srow));
    meters.push_back(std::move(mrow));
  }
  return nlohmann::json{{"seconds", seconds}, {"meters", meters}, {"errors", errors}};
}

StatusOr<nlohmann::json> RoutingService::Reachable(LatLon origin, double seconds) const {
  NCC_RETURN_IF_ERROR(Health());
  if (!std::isfinite(seconds) || seconds < 0 || seconds > 86400)
    return InvalidArgument("seconds must be in [0, 86400]", "seconds");
  auto o = snapper_.Nearest(origin, options_.max_snap_meters, "origin");
  if (!o.ok()) return o.status();
  std::vector<std::pair<uint32_t, uint32_t>> reached;
  {
    Lease q(*this);
    reached = q->Reachable(o->as_source, static_cast<uint32_t>(seconds * 1000));
  }
  std::vector<LatLon> pts{o->on_road};
  for (auto [v, t] : reached) pts.push_back(graph_->Position(v));
  nlohmann::json ring = nlohmann::json::array();
  for (const LatLon& p : ConvexHull(pts)) ring.push_back(Point(p));
  return nlohmann::json{{"seconds", seconds},
                        {"nodes", reached.size()},
                        {"hull", {{"type", "Polygon"}, {"coordinates", {ring}}}}};
}

}  // namespace ncc::routing
