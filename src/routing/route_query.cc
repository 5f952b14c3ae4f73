#include "routing/route_query.h"

#include <algorithm>

#include "routing/min_heap.h"

namespace ncc::routing {

RouteQuery::RouteQuery(const RoadGraph& graph)
    : g_(graph),
      fwd_(graph.node_count(), Label{0, 0, kNoNode, kNoNode, 0}),
      bwd_(graph.node_count(), Label{0, 0, kNoNode, kNoNode, 0}),
      pos_(graph.node_count(), 0) {}

namespace {

// Sets a label from a seed if it improves it; returns true when it did.
template <typename L>
bool SeedLabel(L& label, uint32_t round, const Seed& s) {
  if (label.stamp == round && label.time <= s.time_ms) return false;
  label = {s.time_ms, round, kNoNode, kNoNode, s.length_dm};
  return true;
}

}  // namespace

Path RouteQuery::Ch(std::span<const Seed> from, std::span<const Seed> to, bool want_nodes) {
  ++round_;
  MinHeap hf, hb;
  for (const Seed& s : from)
    if (SeedLabel(fwd_[s.node], round_, s)) hf.Push(s.time_ms, s.node);
  for (const Seed& s : to)
    if (SeedLabel(bwd_[s.node], round_, s)) hb.Push(s.time_ms, s.node);
  uint64_t best = kUnreachable;
  uint32_t meet = kNoNode;
  while (!hf.Empty() || !hb.Empty()) {
    uint64_t top_f = hf.Empty() ? kUnreachable : hf.TopKey();
    uint64_t top_b = hb.Empty() ? kUnreachable : hb.TopKey();
    if (std::min(top_f, top_b) >= best) break;
    bool forward = top_f <= top_b;
    MinHeap& heap = forward ? hf : hb;
    std::vector<Label>& mine = forward ? fwd_ : bwd_;
    std::vector<Label>& other = forward ? bwd_ : fwd_;
    auto [d, v] = heap.Pop();
    if (d != mine[v].time) continue;
    if (other[v].stamp == round_ && uint64_t{d} + other[v].time < best) {
      best = uint64_t{d} + other[v].time;
      meet = v;
    }
    if (forward) {
      for (uint32_t e = g_.up_first[v]; e < g_.up_first[v + 1]; ++e) {
        uint32_t w = g_.up_head[e], nd = d + g_.up_weight[e];
        if (nd < Time(fwd_, w)) {
          fwd_[w] = {nd, round_, v, e, fwd_[v].length + g_.up_length[e]};
          hf.Push(nd, w);
        }
      }
    } else {
      for (uint32_t e = g_.dn_first[v]; e < g_.dn_first[v + 1]; ++e) {
        uint32_t u = g_.dn_tail[e], nd = d + g_.dn_weight[e];
        if (nd < Time(bwd_, u)) {
          bwd_[u] = {nd, round_, v, e, bwd_[v].length + g_.dn_length[e]};
          hb.Push(nd, u);
        }
      }
    }
  }
  Path p;
  if (meet == kNoNode) return p;
  p.cost = {static_cast<uint32_t>(best), fwd_[meet].length + bwd_[meet].length};
  if (!want_nodes) return p;
  std::vector<uint32_t> chain{meet};  // hierarchy nodes from the source seed to meet
  for (uint32_t v = meet; fwd_[v].parent != kNoNode; v = fwd_[v].parent)
    chain.push_back(fwd_[v].parent);
  std::reverse(chain.begin(), chain.end());
  p.nodes.push_back(chain[0]);
  for (size_t i = 1; i < chain.size(); ++i) {
    uint32_t e = fwd_[chain[i]].parent_edge;
    if (!Unpack(chain[i - 1], chain[i], g_.up_weight[e], g_.up_mid[e], p.nodes)) return {};
  }
  for (uint32_t v = meet; bwd_[v].parent != kNoNode; v = bwd_[v].parent) {
    uint32_t e = bwd_[v].parent_edge;
    if (!Unpack(v, bwd_[v].parent, g_.dn_weight[e], g_.dn_mid[e], p.nodes)) return {};
  }
  return p;
}

bool RouteQuery::Unpack(uint32_t from, uint32_t to, uint32_t weight, uint32_t mid,
                        std::vector<uint32_t>& out) const {
  struct Item {
    uint32_t from, to, weight, mid;
  };
  std::vector<Item> stack{{from, to, weight, mid}};
  while (!stack.empty()) {
    Item it = stack.back();
    stack.pop_back();
    if (it.mid == kNoNode) {
      // A fastest path never repeats a node; more nodes than the graph has means a bad file.
      if (out.size() > g_.node_count()) return false;
      out.push_back(it.to);
      continue;
    }
    // from -> mid is a downward edge stored at mid; mid -> to an upward edge stored at mid.
    uint32_t m = it.mid;
    bool found = false;
    for (uint32_t a = g_.dn_first[m]; a < g_.dn_first[m + 1] && !found; ++a) {
      if (g_.dn_tail[a] != it.from || g_.dn_weight[a] >= it.weight) continue;
      for (uint32_t b = g_.up_first[m]; b < g_.up_first[m + 1]; ++b) {
        if (g_.up_head[b] != it.to || g_.dn_weight[a] + g_.up_weight[b] != it.weight) continue;
        stack.push_back({m, it.to, g_.up_weight[b], g_.up_mid[b]});
        stack.push_back({it.from, m, g_.dn_weight[a], g_.dn_mid[a]});
        found = true;
        break;
      }
    }
    if (!found) return false;
  }
  return true;
}

Path RouteQuery::Dijkstra(std::span<const Seed> from, std::span<const Seed> to, bool want_nodes) {
  ++round_;
  MinHeap heap;
  for (const Seed& s : from)
    if (SeedLabel(fwd_[s.node], round_, s)) heap.Push(s.time_ms, s.node);
  uint64_t best = kUnreachable;
  uint32_t best_target = kNoNode;
  uint64_t best_length = 0;
  while (!heap.Empty()) {
    auto [d, v] = heap.Pop();
    if (d != fwd_[v].time) continue;
    if (d >= best) break;
    for (const Seed& t : to)
      if (t.node == v && uint64_t{d} + t.time_ms < best) {
        best = uint64_t{d} + t.time_ms;
        best_target = v;
        best_length = fwd_[v].length + t.length_dm;
      }
    for (uint32_t e = g_.first_out[v]; e < g_.first_out[v + 1]; ++e) {
      uint32_t w = g_.head[e], nd = d + g_.weight_ms[e];
      if (nd < Time(fwd_, w)) {
        fwd_[w] = {nd, round_, v, e, fwd_[v].length + g_.length_dm[e]};
        heap.Push(nd, w);
      }
    }
  }
  Path p;
  if (best_target == kNoNode) return p;
  p.cost = {static_cast<uint32_t>(best), best_length};
  if (want_nodes) {
    for (uint32_t v = best_target; v != kNoNode; v = fwd_[v].parent) p.nodes.push_back(v);
    std::reverse(p.nodes.begin(), p.nodes.end());
  }
  return p;
}

std::vector<std::pair<uint32_t, uint32_t>> RouteQuery::Reachable(std::span<const Seed> from,
                                                                 uint32_t limit_ms) {
  ++round_;
  MinHeap heap;
  for (const Seed& s : from)
    if (s.time_ms <= limit_ms && SeedLabel(fwd_[s.node], round_, s)) heap.Push(s.time_ms, s.node);
  std::vector<std::pair<uint32_t, uint32_t>> out;
  while (!heap.Empty()) {
    auto [d, v] = heap.Pop();
    if (d != fwd_[v].time) continue;
    out.push_back({v, d});
    for (uint32_t e = g_.first_out[v]; e < g_.first_out[v + 1]; ++e) {
      uint32_t w = g_.head[e], nd = d + g_.weight_ms[e];
      if (nd <= limit_ms && nd < Time(fwd_, w)) {
        fwd_[w] = {nd, round_, v, e, 0};
        heap.Push(nd, w);
      }
    }
  }
  return out;
}

}  // namespace ncc::routing
