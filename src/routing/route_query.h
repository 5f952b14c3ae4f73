// Shortest-path queries over a RoadGraph: point to point (contraction hierarchy or plain
// Dijkstra as the reference), one to many (RPHAST), many to many (buckets) and "reachable
// within T" (bounded Dijkstra).
//
// A RouteQuery holds scratch space sized to the graph and is used by one thread at a time;
// give every thread its own (they all share the read-only graph).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "routing/road_graph.h"

namespace ncc::routing {

// Where a search starts or ends: a graph node plus what it costs to get from the snapped point
// to it (source) or from it to the snapped point (target).
struct Seed {
  uint32_t node;
  uint32_t time_ms = 0;
  uint32_t length_dm = 0;
};

struct Cost {
  uint32_t time_ms = kUnreachable;
  uint64_t length_dm = 0;
  bool reachable() const { return time_ms != kUnreachable; }
};

struct Path {
  Cost cost;
  std::vector<uint32_t> nodes;  // graph nodes from the first seed to the last
};

// The targets of one-to-many queries, prepared once (RPHAST target selection): the union of
// the targets' downward search spaces as a small graph in sweep order. Prepare it once for a
// set of targets that many origins ask about (e.g. the units of a dispatch area). Immutable,
// shareable between threads; valid for the graph it was prepared on.
struct TargetSet {
  struct Arc {
    uint32_t from, weight_ms, length_dm;  // from: local index, always before the arc's node
  };
  std::vector<uint32_t> node;   // selected graph nodes, highest rank first
  std::vector<uint32_t> first;  // local CSR: arcs into node[i] are arcs[first[i]..first[i+1])
  std::vector<Arc> arcs;
  std::vector<std::vector<Seed>> seeds;  // per target, Seed::node is a local index
};

class RouteQuery {
 public:
  explicit RouteQuery(const RoadGraph& graph);

  // Exact fastest path; an unreachable target gives cost.time_ms == kUnreachable.
  // `want_nodes` also fills Path::nodes (shortcuts unpacked).
  Path Ch(std::span<const Seed> from, std::span<const Seed> to, bool want_nodes = false);
  Path Dijkstra(std::span<const Seed> from, std::span<const Seed> to, bool want_nodes = false);
  Cost Ch(uint32_t from, uint32_t to) { return Ch(One(from), One(to)).cost; }
  Cost Dijkstra(uint32_t from, uint32_t to) { return Dijkstra(One(from), One(to)).cost; }

  // From one origin to every target (each target given as its seeds): one upward search and one
  // sweep over the union of the targets' downward search spaces (RPHAST).
  std::vector<Cost> OneToMany(std::span<const Seed> from,
                              std::span<const std::vector<Seed>> targets);
  TargetSet PrepareTargets(std::span<const std::vector<Seed>> targets);
  std::vector<Cost> OneToMany(std::span<const Seed> from, const TargetSet& targets);
  // Every source to every target, row-major [source][target]; bucket method.
  std::vector<Cost> ManyToMany(std::span<const std::vector<Seed>> sources,
                               std::span<const std::vector<Seed>> targets);
  // Nodes reachable within `limit_ms`, with their times (bounded Dijkstra on the road graph).
  std::vector<std::pair<uint32_t, uint32_t>> Reachable(std::span<const Seed> from,
                                                       uint32_t limit_ms);

 private:
  struct Label {
    uint32_t time, stamp, parent, parent_edge;
    uint64_t length;
  };
  static std::vector<Seed> One(uint32_t node) { return {Seed{node}}; }
  uint32_t Time(const std::vector<Label>& l, uint32_t v) const {
    return l[v].stamp == round_ ? l[v].time : kUnreachable;
  }
  // Exhaustive search in the upward graph (forward) or the downward graph (backward); fills
  // `labels` and returns the nodes it settled.
  // RPHAST selection: every node with a downward path to a target, highest rank first; sets
  // pos_ for the selected nodes.
  std::vector<uint32_t> SelectDownward(std::span<const std::vector<Seed>> targets);
  const std::vector<uint32_t>& UpwardSearch(std::span<const Seed> seeds, bool forward,
                                            std::vector<Label>& labels);
  // Appends the road nodes of a hierarchy edge from -> to (excluding `from`). False when the
  // file's shortcut data is inconsistent.
  bool Unpack(uint32_t from, uint32_t to, uint32_t weight, uint32_t mid,
              std::vector<uint32_t>& out) const;

  const RoadGraph& g_;
  std::vector<Label> fwd_, bwd_;
  uint32_t round_ = 0;
  std::vector<uint32_t> settled_;
  std::vector<uint32_t> pos_;            // RPHAST: node -> index in the selection
  std::vector<uint64_t> selected_bits_;  // RPHAST: the selection as a bitmap over node ids
};

}  // namespace ncc::routing
