#include "routing/fleet_times.h"

#include <algorithm>
#include <cmath>
#include <tuple>

#include "routing/min_heap.h"

namespace ncc::routing {

// Labels sized to the graph, reset by a round stamp instead of clearing (a search touches a few
// hundred nodes of a million).
class FleetTimes::Search {
 public:
  explicit Search(uint32_t n) : label_(n, Label{0, 0, 0}) {}

  // Forward: upward edges from the seeds (the unit drives away from its position). Backward:
  // downward edges walked in reverse (arriving at the point). Returns the settled, unstalled
  // nodes with their times.
  const std::vector<Reached>& Run(const RoadGraph& g, std::span<const Seed> seeds, bool forward) {
    ++round_;
    heap_.Clear();
    out_.clear();
    for (const Seed& s : seeds) {
      if (s.node >= label_.size()) continue;
      if (label_[s.node].stamp == round_ && label_[s.node].time <= s.time_ms) continue;
      Set(s.node, s.time_ms, s.length_dm);
      heap_.Push(s.time_ms, s.node);
    }
    while (!heap_.Empty()) {
      auto [d, v] = heap_.Pop();
      if (d != label_[v].time) continue;
      if (forward ? StalledForward(g, v, d) : StalledBackward(g, v, d)) continue;
      out_.push_back({v, d, label_[v].length});
      const auto& first = forward ? g.up_first : g.dn_first;
      const auto& other = forward ? g.up_head : g.dn_tail;
      const auto& weight = forward ? g.up_weight : g.dn_weight;
      const auto& length = forward ? g.up_length : g.dn_length;
      for (uint32_t e = first[v]; e < first[v + 1]; ++e) {
        uint32_t w = other[e], nd = d + weight[e];
        if (label_[w].stamp != round_ || nd < label_[w].time) {
          uint64_t len = uint64_t{label_[v].length} + length[e];
          Set(w, nd, static_cast<uint32_t>(std::min<uint64_t>(len, UINT32_MAX)));
          heap_.Push(nd, w);
        }
      }
    }
    return out_;
  }

 private:
  void Set(uint32_t v, uint32_t t, uint32_t len) { label_[v] = {t, round_, len}; }
  // Stall-on-demand: v is reached cheaper through a higher node u already labelled (u -> v is a
  // downward edge, stored at v), so v's label is not a shortest distance: do not expand or
  // report it.
  bool StalledForward(const RoadGraph& g, uint32_t v, uint32_t d) const {
    for (uint32_t e = g.dn_first[v]; e < g.dn_first[v + 1]; ++e) {
      uint32_t u = g.dn_tail[e];
      if (label_[u].stamp == round_ && uint64_t{label_[u].time} + g.dn_weight[e] < d) return true;
    }
    return false;
  }
  // Backward twin: v -> x upward (stored at v) and x already reaches the point cheaper.
  bool StalledBackward(const RoadGraph& g, uint32_t v, uint32_t d) const {
    for (uint32_t e = g.up_first[v]; e < g.up_first[v + 1]; ++e) {
      uint32_t x = g.up_head[e];
      if (label_[x].stamp == round_ && uint64_t{label_[x].time} + g.up_weight[e] < d) return true;
    }
    return false;
  }

  struct Label {
    uint32_t time, stamp, length;  // one cache line fetch per node, not three
  };
  std::vector<Label> label_;
  uint32_t round_ = 0;
  MinHeap heap_;
  std::vector<Reached> out_;
};

namespace {

// Driving from `from` to `to` along one edge, when `to` lies ahead (the case no search through
// nodes can see); as SameEdgeCost in routing_service.cc.
Cost SameEdge(const RoadGraph& g, const std::vector<EdgeHit>& from,
              const std::vector<EdgeHit>& to) {
  Cost best;
  for (const EdgeHit& a : from)
    for (const EdgeHit& b : to)
      if (a.edge == b.edge && a.fraction <= b.fraction) {
        double f = b.fraction - a.fraction;
        auto t = static_cast<uint32_t>(std::lround(g.weight_ms[a.edge] * f));
        if (t < best.time_ms)
          best = {t, static_cast<uint64_t>(std::lround(g.length_dm[a.edge] * f))};
      }
  return best;
}

}  // namespace

FleetTimes::FleetTimes(const RoadGraph& graph, const Snapper& snapper, double max_snap_meters,
                       std::function<Status()> health)
    : g_(graph),
      snapper_(snapper),
      max_snap_m_(max_snap_meters),
      health_(std::move(health)),
      bucket_(graph.node_count()) {}

FleetTimes::~FleetTimes() = default;

std::unique_ptr<FleetTimes::Search> FleetTimes::Borrow() const {
  {
    std::lock_guard lock(pool_mu_);
    if (!pool_.empty()) {
      auto s = std::move(pool_.back());
      pool_.pop_back();
      return s;
    }
  }
  return std::make_unique<Search>(g_.node_count());
}

void FleetTimes::Return(std::unique_ptr<Search> s) const {
  std::lock_guard lock(pool_mu_);
  pool_.push_back(std::move(s));
}

void FleetTimes::EraseEntries(uint32_t slot) {
  Unit& u = units_[slot];
  for (size_t i = 0; i < u.nodes.size(); ++i) {
    std::vector<Entry>& b = bucket_[u.nodes[i]];
    uint32_t pos = u.at[i];
    b[pos] = b.back();  // swap-remove, then tell the moved entry's unit where it went
    b.pop_back();
    if (pos < b.size()) units_[b[pos].slot].at[b[pos].back] = pos;
  }
  entries_ -= u.nodes.size();
  u.nodes.clear();
  u.at.clear();
  for (const EdgeHit& h : u.hits) {
    auto it = on_edge_.find(h.edge);
    if (it == on_edge_.end()) continue;
    std::erase(it->second, slot);
    if (it->second.empty()) on_edge_.erase(it);
  }
  u.hits.clear();
}

Status FleetTimes::Upsert(uint64_t key, LatLon position) {
  if (health_) NCC_RETURN_IF_ERROR(health_());
  auto snap = snapper_.Nearest(position, max_snap_m_, "position");
  if (!snap.ok()) return snap.status();
  std::unique_ptr<Search> search = Borrow();
  const std::vector<Reached>& reached = search->Run(g_, snap->as_source, /*forward=*/true);
  {
    std::unique_lock lock(mu_);
    uint32_t slot;
    auto it = slot_of_.find(key);
    if (it != slot_of_.end()) {
      slot = it->second;
      EraseEntries(slot);
    } else {
      if (!free_slots_.empty()) {
        slot = free_slots_.back();
        free_slots_.pop_back();
      } else {
        slot = static_cast<uint32_t>(units_.size());
        units_.emplace_back();
        heads_.emplace_back();
      }
      slot_of_.emplace(key, slot);
    }
    Unit& u = units_[slot];
    heads_[slot] = {key, snap->distance_m, true};
    u.hits = std::move(snap->hits);
    for (const EdgeHit& h : u.hits) {
      std::vector<uint32_t>& on = on_edge_[h.edge];
      if (std::find(on.begin(), on.end(), slot) == on.end()) on.push_back(slot);
    }
    u.nodes.resize(reached.size());
    u.at.resize(reached.size());
    for (uint32_t i = 0; i < reached.size(); ++i) {
      const Reached& r = reached[i];
      std::vector<Entry>& b = bucket_[r.node];
      u.nodes[i] = r.node;
      u.at[i] = static_cast<uint32_t>(b.size());
      b.push_back({slot, r.time_ms, r.length_dm, i});
    }
    entries_ += reached.size();
  }
  Return(std::move(search));
  return Status::Ok();
}

bool FleetTimes::Remove(uint64_t key) {
  std::unique_lock lock(mu_);
  auto it = slot_of_.find(key);
  if (it == slot_of_.end()) return false;
  uint32_t slot = it->second;
  EraseEntries(slot);
  units_[slot] = Unit{};
  heads_[slot] = Head{};
  free_slots_.push_back(slot);
  slot_of_.erase(it);
  return true;
}

bool FleetTimes::Contains(uint64_t key) const {
  std::shared_lock lock(mu_);
  return slot_of_.count(key) != 0;
}

size_t FleetTimes::size() const {
  std::shared_lock lock(mu_);
  return slot_of_.size();
}

FleetStats FleetTimes::Stats() const {
  std::shared_lock lock(mu_);
  return {slot_of_.size(), entries_};
}

StatusOr<std::vector<FleetEta>> FleetTimes::ToPoint(LatLon point,
                                                    const FleetQueryOptions& options) const {
  if (health_) NCC_RETURN_IF_ERROR(health_());
  auto snap = snapper_.Nearest(point, max_snap_m_, "position");
  if (!snap.ok()) return snap.status();
  return ToSnapped(*snap, options);
}

std::vector<FleetEta> FleetTimes::ToSnapped(const Snap& point,
                                            const FleetQueryOptions& options) const {
  std::unique_ptr<Search> search = Borrow();
  const std::vector<Reached>& reached = search->Run(g_, point.as_target, /*forward=*/false);
  struct Item {
    uint32_t time, slot;
    uint64_t key;
  };
  std::vector<Item> items;
  std::vector<uint32_t> time;
  std::vector<uint64_t> length;
  std::vector<double> snap_m;
  {
    std::shared_lock lock(mu_);
    const size_t slots = units_.size();
    time.assign(slots, kUnreachable);
    length.assign(slots, 0);
    // The scan: every unit whose upward space meets the point's backward space at r.node.
    for (const Reached& r : reached)
      for (const Entry& e : bucket_[r.node]) {
        uint32_t t = e.time_ms + r.time_ms;
        if (t < time[e.slot]) {
          time[e.slot] = t;
          length[e.slot] = uint64_t{e.length_dm} + r.length_dm;
        }
      }
    for (const EdgeHit& h : point.hits) {
      auto it = on_edge_.find(h.edge);
      if (it == on_edge_.end()) continue;
      for (uint32_t s : it->second) {
        Cost direct = SameEdge(g_, units_[s].hits, point.hits);
        if (direct.time_ms <= time[s]) {
          time[s] = direct.time_ms;
          length[s] = direct.length_dm;
        }
      }
    }
    items.reserve(slot_of_.size());
    snap_m.resize(slots);
    for (uint32_t s = 0; s < slots; ++s) {
      const Head& h = heads_[s];
      if (!h.used) continue;
      items.push_back({time[s], s, h.key});
      snap_m[s] = h.snap_m;
    }
  }
  Return(std::move(search));
  // Outside the lock: the caller's filter may take its own locks.
  if (options.filter || !options.include_unreachable)
    std::erase_if(items, [&](const Item& it) {
      return (!options.include_unreachable && it.time == kUnreachable) ||
             (options.filter && !options.filter(it.key));
    });
  auto faster = [](const Item& a, const Item& b) {
    return std::tie(a.time, a.key) < std::tie(b.time, b.key);
  };
  if (options.limit > 0 && options.limit < items.size()) {
    std::partial_sort(items.begin(), items.begin() + static_cast<ptrdiff_t>(options.limit),
                      items.end(), faster);
    items.resize(options.limit);
  } else {
    std::sort(items.begin(), items.end(), faster);
  }
  std::vector<FleetEta> out(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    const Item& it = items[i];
    FleetEta& e = out[i];
    e.key = it.key;
    e.snap_m = snap_m[it.slot];
    e.reachable = it.time != kUnreachable;
    if (e.reachable) {
      e.cost = {it.time, length[it.slot]};
      e.seconds = it.time / 1000.0;
      e.meters = e.cost.length_dm / 10.0;
    }
  }
  return out;
}

}  // namespace ncc::routing
