#include "routing/contraction.h"

#include <algorithm>
#include <queue>

#include "routing/road_graph.h"

namespace ncc::routing {
namespace {

struct Arc {
  uint32_t other, weight, length, mid, hops;  // hops: original edges this arc stands for
};

struct Shortcut {
  uint32_t from, to, weight, length, hops;
};

class Contractor {
 public:
  Contractor(uint32_t n, std::span<const DirectedEdge> edges, const ContractionOptions& opt)
      : n_(n),
        opt_(opt),
        out_(n),
        in_(n),
        dist_(n, 0),
        stamp_(n, 0),
        depth_(n, 0),
        target_stamp_(n, 0),

        contracted_(n, 0) {
    for (const DirectedEdge& e : edges) {
      if (e.tail == e.head) continue;  // a loop never shortens a path
      AddArc(e.tail, e.head, e.weight_ms, e.length_dm, kNoNode, 1);
    }
  }

  Hierarchy Run() {
    Hierarchy h;
    h.rank.assign(n_, 0);
    using Entry = std::pair<float, uint32_t>;
    std::priority_queue<Entry, std::vector<Entry>, std::greater<>> heap;
    std::vector<float> prio(n_);
    // Estimates for priorities only need a short search; misses merely raise the estimate.
    const uint32_t sim_limit = std::max(8u, opt_.witness_settle_limit / 10);
    std::vector<Shortcut> shortcuts;
    for (uint32_t v = 0; v < n_; ++v) heap.push({prio[v] = Priority(v, sim_limit, &shortcuts), v});
    uint32_t done = 0;
    std::vector<uint32_t> neighbours;
    while (!heap.empty()) {
      auto [p, v] = heap.top();
      heap.pop();
      if (contracted_[v] || p != prio[v]) continue;  // stale entry
      // Lazy update: the priority may have grown since it was computed. The exact shortcuts
      // found here are the ones the contraction adds.
      float fresh = Priority(v, opt_.witness_settle_limit, &shortcuts);
      if (!heap.empty() && fresh > heap.top().first) {
        heap.push({prio[v] = fresh, v});
        continue;
      }
      h.rank[v] = done++;
      for (const Arc& a : out_[v]) h.up.push_back({v, a.other, a.weight, a.length, a.mid});
      for (const Arc& a : in_[v]) h.down.push_back({v, a.other, a.weight, a.length, a.mid});
      for (const Shortcut& s : shortcuts) AddArc(s.from, s.to, s.weight, s.length, v, s.hops);
      neighbours.clear();
      for (const Arc& a : out_[v]) neighbours.push_back(a.other);
      for (const Arc& a : in_[v]) neighbours.push_back(a.other);
      contracted_[v] = 1;
      for (const Arc& a : out_[v]) Erase(in_[a.other], v);
      for (const Arc& a : in_[v]) Erase(out_[a.other], v);
      out_[v] = {};
      in_[v] = {};
      std::sort(neighbours.begin(), neighbours.end());
      neighbours.erase(std::unique(neighbours.begin(), neighbours.end()), neighbours.end());
      for (uint32_t u : neighbours) {
        depth_[u] = std::max(depth_[u], depth_[v] + 1);
        heap.push({prio[u] = Priority(u, sim_limit, &shortcuts), u});
      }
      if (opt_.progress && (done % 4096 == 0 || done == n_)) opt_.progress(done, n_);
    }
    return h;
  }

 private:
  void AddArc(uint32_t from, uint32_t to, uint32_t w, uint32_t len, uint32_t mid, uint32_t hops) {
    for (Arc& a : out_[from]) {
      if (a.other != to) continue;
      if (a.weight <= w) return;
      a = {to, w, len, mid, hops};
      for (Arc& b : in_[to])
        if (b.other == from) b = {from, w, len, mid, hops};
      return;
    }
    out_[from].push_back({to, w, len, mid, hops});
    in_[to].push_back({from, w, len, mid, hops});
  }

  static void Erase(std::vector<Arc>& arcs, uint32_t node) {
    for (size_t i = 0; i < arcs.size(); ++i)
      if (arcs[i].other == node) {
        arcs[i] = arcs.back();
        arcs.pop_back();
        return;
      }
  }

  // OSRM's priority: shortcut/removed edge ratio, the same for original edges, plus depth so
  // that contraction spreads evenly over the graph.
  float Priority(uint32_t v, uint32_t settle_limit, std::vector<Shortcut>* shortcuts) {
    uint32_t added_hops = 0;
    *shortcuts = FindShortcuts(v, settle_limit, &added_hops);
    const std::vector<Shortcut>& s = *shortcuts;
    uint32_t removed = static_cast<uint32_t>(in_[v].size() + out_[v].size());
    uint32_t removed_hops = 0;
    for (const Arc& a : in_[v]) removed_hops += a.hops;
    for (const Arc& a : out_[v]) removed_hops += a.hops;
    if (removed == 0) return static_cast<float>(depth_[v]);
    return 2.f * s.size() / removed + 4.f * added_hops / std::max(1u, removed_hops) +
           static_cast<float>(depth_[v]);
  }

  std::vector<Shortcut> FindShortcuts(uint32_t v, uint32_t settle_limit, uint32_t* hops_out) {
    std::vector<Shortcut> result;
    uint32_t max_out = 0;
    for (const Arc& b : out_[v]) max_out = std::max(max_out, b.weight);
    for (const Arc& a : in_[v]) {
      WitnessSearch(a.other, v, a.weight + max_out, settle_limit);
      for (const Arc& b : out_[v]) {
        if (b.other == a.other) continue;
        uint32_t via = a.weight + b.weight;
        if (Dist(b.other) <= via) continue;  // a witness path avoids v
        result.push_back({a.other, b.other, via, a.length + b.length, a.hops + b.hops});
        if (hops_out) *hops_out += a.hops + b.hops;
      }
    }
    return result;
  }

  uint32_t Dist(uint32_t x) const { return stamp_[x] == round_ ? dist_[x] : kUnreachable; }

  // Dijkstra from `source` around `avoid`; stops once every out-neighbour of `avoid` is
  // settled, beyond `max_dist`, or after `settle_limit` nodes.
  void WitnessSearch(uint32_t source, uint32_t avoid, uint32_t max_dist, uint32_t settle_limit) {
    ++round_;
    uint32_t targets_left = 0;
    for (const Arc& b : out_[avoid])
      if (target_stamp_[b.other] != round_ && b.other != source) {
        target_stamp_[b.other] = round_;
        ++targets_left;
      }
    heap_.clear();
    dist_[source] = 0;
    stamp_[source] = round_;
    heap_.push_back({0, source});
    uint32_t settled = 0;
    while (!heap_.empty() && targets_left > 0) {
      std::pop_heap(heap_.begin(), heap_.end(), std::greater<>());
      auto [d, u] = heap_.back();
      heap_.pop_back();
      if (d != dist_[u]) continue;
      if (d > max_dist || ++settled > settle_limit) break;
      if (target_stamp_[u] == round_) {
        target_stamp_[u] = 0;
        --targets_left;
      }
      for (const Arc& a : out_[u]) {
        if (a.other == avoid) continue;
        uint32_t nd = d + a.weight;
        if (nd < Dist(a.other)) {
          dist_[a.other] = nd;
          stamp_[a.other] = round_;
          heap_.push_back({nd, a.other});
          std::push_heap(heap_.begin(), heap_.end(), std::greater<>());
        }
      }
    }
  }

  uint32_t n_;
  const ContractionOptions& opt_;
  std::vector<std::vector<Arc>> out_, in_;
  std::vector<uint32_t> dist_, stamp_, depth_, target_stamp_;
  std::vector<uint8_t> contracted_;
  uint32_t round_ = 0;
  std::vector<std::pair<uint32_t, uint32_t>> heap_;
};

}  // namespace

Hierarchy Contract(uint32_t node_count, std::span<const DirectedEdge> edges,
                   const ContractionOptions& options) {
  return Contractor(node_count, edges, options).Run();
}

}  // namespace ncc::routing
