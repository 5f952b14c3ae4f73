// One-to-many (RPHAST, Delling et al. 2011) and many-to-many (buckets, Knopp et al. 2007) over
// the contraction hierarchy. Both rest on one fact: every shortest path is an upward part from
// the source followed by a downward part to the target.
#include <algorithm>
#include <functional>

#include "routing/min_heap.h"
#include "routing/route_query.h"

namespace ncc::routing {

const std::vector<uint32_t>& RouteQuery::UpwardSearch(std::span<const Seed> seeds, bool forward,
                                                      std::vector<Label>& labels) {
  settled_.clear();
  MinHeap heap;
  for (const Seed& s : seeds) {
    Label& l = labels[s.node];
    if (l.stamp == round_ && l.time <= s.time_ms) continue;
    l = {s.time_ms, round_, kNoNode, kNoNode, s.length_dm};
    heap.Push(s.time_ms, s.node);
  }
  while (!heap.Empty()) {
    auto [d, v] = heap.Pop();
    if (d != labels[v].time) continue;
    settled_.push_back(v);
    const auto& first = forward ? g_.up_first : g_.dn_first;
    const auto& other = forward ? g_.up_head : g_.dn_tail;
    const auto& weight = forward ? g_.up_weight : g_.dn_weight;
    const auto& length = forward ? g_.up_length : g_.dn_length;
    for (uint32_t e = first[v]; e < first[v + 1]; ++e) {
      uint32_t w = other[e], nd = d + weight[e];
      if (nd < Time(labels, w)) {
        labels[w] = {nd, round_, v, e, labels[v].length + length[e]};
        heap.Push(nd, w);
      }
    }
  }
  return settled_;
}

std::vector<uint32_t> RouteQuery::SelectDownward(std::span<const std::vector<Seed>> targets) {
  // Selection: everything from which a downward path reaches a target.
  std::vector<uint32_t> stack;
  selected_bits_.assign((g_.node_count() + 63) / 64, 0);
  size_t count = 0;
  auto select = [&](uint32_t v) {
    uint64_t& word = selected_bits_[v / 64];
    uint64_t bit = uint64_t{1} << (v % 64);
    if (word & bit) return;
    word |= bit;
    ++count;
    stack.push_back(v);
  };
  for (const std::vector<Seed>& seeds : targets)
    for (const Seed& s : seeds) select(s.node);
  while (!stack.empty()) {
    uint32_t v = stack.back();
    stack.pop_back();
    for (uint32_t e = g_.dn_first[v]; e < g_.dn_first[v + 1]; ++e) select(g_.dn_tail[e]);
  }
  // Node ids are ranks: reading the bitmap from the top visits every tail before the nodes
  // below it, with no sort.
  std::vector<uint32_t> selected;
  selected.reserve(count);
  for (size_t w = selected_bits_.size(); w-- > 0;)
    for (uint64_t bits = selected_bits_[w]; bits != 0;) {
      int b = 63 - __builtin_clzll(bits);
      bits &= ~(uint64_t{1} << b);
      selected.push_back(static_cast<uint32_t>(w * 64 + b));
    }
  for (uint32_t i = 0; i < selected.size(); ++i) pos_[selected[i]] = i;
  return selected;
}

TargetSet RouteQuery::PrepareTargets(std::span<const std::vector<Seed>> targets) {
  TargetSet ts;
  ts.node = SelectDownward(targets);
  // The restricted downward graph in local indexes, so that the sweep reads memory in order.
  size_t arcs = 0;
  for (uint32_t v : ts.node) arcs += g_.dn_first[v + 1] - g_.dn_first[v];
  ts.arcs.reserve(arcs);
  ts.first.reserve(ts.node.size() + 1);
  ts.first.push_back(0);
  for (uint32_t v : ts.node) {
    for (uint32_t e = g_.dn_first[v]; e < g_.dn_first[v + 1]; ++e)
      ts.arcs.push_back({pos_[g_.dn_tail[e]], g_.dn_weight[e], g_.dn_length[e]});
    ts.first.push_back(static_cast<uint32_t>(ts.arcs.size()));
  }
  ts.seeds.resize(targets.size());
  for (size_t t = 0; t < targets.size(); ++t)
    for (const Seed& s : targets[t]) ts.seeds[t].push_back({pos_[s.node], s.time_ms, s.length_dm});
  return ts;
}

// One-shot form: sweeps the graph's own arrays instead of building a TargetSet first, which
// halves the time when the targets are used once.
std::vector<Cost> RouteQuery::OneToMany(std::span<const Seed> from,
                                        std::span<const std::vector<Seed>> targets) {
  ++round_;
  UpwardSearch(from, /*forward=*/true, fwd_);
  std::vector<uint32_t> selected = SelectDownward(targets);
  std::vector<uint32_t> time(selected.size());
  std::vector<uint64_t> length(selected.size());
  for (uint32_t i = 0; i < selected.size(); ++i) {
    uint32_t v = selected[i];
    time[i] = Time(fwd_, v);
    length[i] = time[i] == kUnreachable ? 0 : fwd_[v].length;
    for (uint32_t e = g_.dn_first[v]; e < g_.dn_first[v + 1]; ++e) {
      uint32_t j = pos_[g_.dn_tail[e]];
      if (time[j] == kUnreachable) continue;
      uint32_t nd = time[j] + g_.dn_weight[e];
      if (nd < time[i]) {
        time[i] = nd;
        length[i] = length[j] + g_.dn_length[e];
      }
    }
  }
  std::vector<Cost> out(targets.size());
  for (size_t t = 0; t < targets.size(); ++t)
    for (const Seed& s : targets[t]) {
      uint32_t i = pos_[s.node];
      if (time[i] == kUnreachable) continue;
      uint64_t total = uint64_t{time[i]} + s.time_ms;
      if (total < out[t].time_ms) out[t] = {static_cast<uint32_t>(total), length[i] + s.length_dm};
    }
  return out;
}

std::vector<Cost> RouteQuery::OneToMany(std::span<const Seed> from, const TargetSet& ts) {
  ++round_;
  UpwardSearch(from, /*forward=*/true, fwd_);
  const size_t n = ts.node.size();
  std::vector<uint32_t> time(n, kUnreachable);
  std::vector<uint64_t> length(n, 0);
  for (uint32_t v : settled_) {  // the origin's upward search meets the selection
    auto it = std::lower_bound(ts.node.begin(), ts.node.end(), v, std::greater<>());
    if (it == ts.node.end() || *it != v) continue;
    size_t i = it - ts.node.begin();
    time[i] = fwd_[v].time;
    length[i] = fwd_[v].length;
  }
  for (size_t i = 0; i < n; ++i)
    for (uint32_t a = ts.first[i]; a < ts.first[i + 1]; ++a) {
      const TargetSet::Arc& arc = ts.arcs[a];
      if (time[arc.from] == kUnreachable) continue;
      uint32_t nd = time[arc.from] + arc.weight_ms;
      if (nd < time[i]) {
        time[i] = nd;
        length[i] = length[arc.from] + arc.length_dm;
      }
    }
  std::vector<Cost> out(ts.seeds.size());
  for (size_t t = 0; t < ts.seeds.size(); ++t)
    for (const Seed& s : ts.seeds[t]) {
      if (time[s.node] == kUnreachable) continue;
      uint64_t total = uint64_t{time[s.node]} + s.time_ms;
      if (total < out[t].time_ms)
        out[t] = {static_cast<uint32_t>(total), length[s.node] + s.length_dm};
    }
  return out;
}

std::vector<Cost> RouteQuery::ManyToMany(std::span<const std::vector<Seed>> sources,
                                         std::span<const std::vector<Seed>> targets) {
  struct Bucket {
    uint32_t node, target, time;
    uint64_t length;
  };
  std::vector<Bucket> buckets;
  for (uint32_t t = 0; t < targets.size(); ++t) {
    ++round_;
    for (uint32_t v : UpwardSearch(targets[t], /*forward=*/false, bwd_))
      buckets.push_back({v, t, bwd_[v].time, bwd_[v].length});
  }
  std::sort(buckets.begin(), buckets.end(),
            [](const Bucket& a, const Bucket& b) { return a.node < b.node; });
  std::vector<Cost> out(sources.size() * targets.size());
  for (size_t s = 0; s < sources.size(); ++s) {
    ++round_;
    for (uint32_t v : UpwardSearch(sources[s], /*forward=*/true, fwd_)) {
      auto it = std::lower_bound(buckets.begin(), buckets.end(), v,
                                 [](const Bucket& b, uint32_t n) { return b.node < n; });
      for (; it != buckets.end() && it->node == v; ++it) {
        uint64_t total = uint64_t{fwd_[v].time} + it->time;
        Cost& c = out[s * targets.size() + it->target];
        if (total < c.time_ms) c = {static_cast<uint32_t>(total), fwd_[v].length + it->length};
      }
    }
  }
  return out;
}

}  // namespace ncc::routing
