#include "dispatch/travel_times.h"

#include <algorithm>
#include <queue>

namespace ncc::dispatch {

Status StraightLineTravelTimes::ToIncident(LatLon incident, std::span<const UnitPosition> units,
                                           std::vector<Travel>& out,
                                           const Progress& progress) const {
  NCC_RETURN_IF_ERROR(ValidateLatLon(incident, "location"));
  out.assign(units.size(), Travel{});
  for (size_t i = 0; i < units.size(); ++i) {
    double m = DistanceMeters(units[i].position, incident);
    out[i] = {m / speed_, m};
  }
  // No progress calls: times come in no particular order, so none bounds the others.
  (void)progress;
  return Status::Ok();
}

// Per-query scratch sized to the graph; reused through a pool so queries do not allocate.
struct RoadTravelTimes::Scratch {
  explicit Scratch(uint32_t nodes)
      : time(nodes), length(nodes), stamp(nodes, 0), seed_first(nodes, -1), seed_stamp(nodes, 0) {}
  struct UnitSeed {
    uint32_t unit, time_ms, length_dm;
    int32_t next;
  };
  std::vector<uint32_t> time;
  std::vector<uint64_t> length;
  std::vector<uint32_t> stamp;
  std::vector<int32_t> seed_first;  // node -> first UnitSeed, valid when seed_stamp == round
  std::vector<uint32_t> seed_stamp;
  std::vector<UnitSeed> seeds;
  uint32_t round = 0;
};

RoadTravelTimes::RoadTravelTimes(const routing::RoutingService& routing, double max_snap_m)
    : routing_(routing), max_snap_m_(max_snap_m) {
  const routing::RoadGraph& g = routing.graph();
  uint32_t n = g.node_count();
  in_first_.assign(n + 1, 0);
  for (uint32_t e = 0; e < g.edge_count(); ++e) ++in_first_[g.head[e] + 1];
  for (uint32_t v = 0; v < n; ++v) in_first_[v + 1] += in_first_[v];
  in_tail_.resize(g.edge_count());
  in_weight_.resize(g.edge_count());
  in_length_.resize(g.edge_count());
  std::vector<uint32_t> fill(in_first_.begin(), in_first_.end() - 1);
  for (uint32_t v = 0; v < n; ++v)
    for (uint32_t e = g.first_out[v]; e < g.first_out[v + 1]; ++e) {
      uint32_t k = fill[g.head[e]]++;
      in_tail_[k] = v;
      in_weight_[k] = g.weight_ms[e];
      in_length_[k] = g.length_dm[e];
    }
}

RoadTravelTimes::~RoadTravelTimes() = default;

std::unique_ptr<RoadTravelTimes::Scratch> RoadTravelTimes::Borrow() const {
  {
    std::lock_guard lock(mu_);
    if (!pool_.empty()) {
      auto s = std::move(pool_.back());
      pool_.pop_back();
      return s;
    }
  }
  return std::make_unique<Scratch>(routing_.graph().node_count());
}

void RoadTravelTimes::Return(std::unique_ptr<Scratch> s) const {
  std::lock_guard lock(mu_);
  pool_.push_back(std::move(s));
}

Status RoadTravelTimes::ToIncident(LatLon incident, std::span<const UnitPosition> units,
                                   std::vector<Travel>& out, const Progress& progress) const {
  auto target = routing_.snapper().Nearest(incident, max_snap_m_, "location");
  if (!target.ok()) return target.status();
  out.assign(units.size(), Travel{});

  // Units are snapped once per position: look all up under one lock, snap the missing outside it.
  std::vector<std::shared_ptr<const CachedSnap>> snaps(units.size());
  std::vector<size_t> missing;
  {
    std::lock_guard lock(mu_);
    for (size_t i = 0; i < units.size(); ++i) {
      auto it = snaps_.find(units[i].id);
      if (it != snaps_.end() && it->second->position == units[i].position)
        snaps[i] = it->second;
      else
        missing.push_back(i);
    }
  }
  if (!missing.empty()) {
    for (size_t i : missing) {
      auto c = std::make_shared<CachedSnap>();
      c->position = units[i].position;
      auto s = routing_.snapper().Nearest(units[i].position, max_snap_m_);
      c->ok = s.ok();
      if (s.ok()) c->snap = std::move(*s);
      snaps[i] = std::move(c);
    }
    std::lock_guard lock(mu_);
    for (size_t i : missing) snaps_[units[i].id] = snaps[i];
  }

  auto scratch = Borrow();
  Scratch& s = *scratch;
  if (++s.round == 0) {  // stamps wrapped: clear them once every 4 billion queries
    std::fill(s.stamp.begin(), s.stamp.end(), 0);
    std::fill(s.seed_stamp.begin(), s.seed_stamp.end(), 0);
    s.round = 1;
  }
  const uint32_t round = s.round;
  s.seeds.clear();

  // best[u] in ms, and the units whose best is tentative, smallest first.
  std::vector<uint64_t> best(units.size(), UINT64_MAX), best_len(units.size(), 0);
  std::vector<bool> final(units.size(), false);
  using Item = std::pair<uint64_t, uint32_t>;
  std::priority_queue<Item, std::vector<Item>, std::greater<>> unit_heap;
  auto offer = [&](uint32_t u, uint64_t t, uint64_t len) {
    if (t < best[u]) {
      best[u] = t;
      best_len[u] = len;
      unit_heap.push({t, u});
    }
  };
  for (size_t i = 0; i < units.size(); ++i) {
    if (!snaps[i]->ok) continue;
    const routing::Snap& us = snaps[i]->snap;
    for (const routing::Seed& seed : us.as_source) {
      if (s.seed_stamp[seed.node] != round) {
        s.seed_stamp[seed.node] = round;
        s.seed_first[seed.node] = -1;
      }
      s.seeds.push_back(
          {static_cast<uint32_t>(i), seed.time_ms, seed.length_dm, s.seed_first[seed.node]});
      s.seed_first[seed.node] = static_cast<int32_t>(s.seeds.size() - 1);
    }
    // A unit on the incident's own street segment, just behind it, gets there without a node.
    routing::Cost same = routing::SameEdgeCost(routing_.graph(), us, *target);
    if (same.reachable()) offer(static_cast<uint32_t>(i), same.time_ms, same.length_dm);
  }

  std::priority_queue<Item, std::vector<Item>, std::greater<>> heap;
  auto relax = [&](uint32_t v, uint64_t t, uint64_t len) {
    if (s.stamp[v] != round || t < s.time[v]) {
      s.stamp[v] = round;
      s.time[v] = static_cast<uint32_t>(std::min<uint64_t>(t, UINT32_MAX - 1));
      s.length[v] = len;
      heap.push({t, v});
    }
  };
  for (const routing::Seed& seed : target->as_target)
    relax(seed.node, seed.time_ms, seed.length_dm);

  bool stopped = false;
  // Units whose best cannot improve any more (every later path costs at least `frontier`).
  auto finalize = [&](uint64_t frontier) {
    while (!unit_heap.empty() && unit_heap.top().first <= frontier && !stopped) {
      auto [t, u] = unit_heap.top();
      unit_heap.pop();
      if (final[u] || t != best[u]) continue;
      final[u] = true;
      out[u] = {t / 1000.0, best_len[u] / 10.0};
      if (progress && progress(u, frontier == UINT64_MAX ? t / 1000.0 : frontier / 1000.0))
        stopped = true;
    }
  };
  while (!heap.empty() && !stopped) {
    auto [t, v] = heap.top();
    heap.pop();
    if (s.stamp[v] != round || t != s.time[v]) continue;
    if (s.seed_stamp[v] == round)
      for (int32_t k = s.seed_first[v]; k >= 0; k = s.seeds[k].next)
        offer(s.seeds[k].unit, t + s.seeds[k].time_ms, s.length[v] + s.seeds[k].length_dm);
    finalize(t);
    for (uint32_t k = in_first_[v]; k < in_first_[v + 1]; ++k)
      relax(in_tail_[k], t + in_weight_[k], s.length[v] + in_length_[k]);
  }
  finalize(UINT64_MAX);
  Return(std::move(scratch));
  return Status::Ok();
}

}  // namespace ncc::dispatch
