// Contraction hierarchies (Geisberger et al. 2008): nodes are contracted one by one in order of
// a lazily updated priority; a shortcut u->x replaces u->v->x only when a bounded witness search
// finds no path of equal or lower cost around v. Shortcuts always stand for real paths, so a
// query over the hierarchy gives exactly the Dijkstra travel time (weights are integer ms).
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

namespace ncc::routing {

// One directed road edge of the node-based (turn-expanded) graph.
struct DirectedEdge {
  uint32_t tail, head, weight_ms, length_dm;
};

// An edge of the hierarchy. `low` is the lower-ranked end, `high` the higher one. For an upward
// edge the travel direction is low -> high, for a downward edge high -> low.
struct ChEdge {
  uint32_t low, high, weight_ms, length_dm, mid;  // mid: bypassed node, or kNoNode
};

struct Hierarchy {
  std::vector<uint32_t> rank;  // rank[node], 0 = contracted first
  std::vector<ChEdge> up, down;
};

struct ContractionOptions {
  uint32_t witness_settle_limit = 200;  // bounds each witness search; misses only add shortcuts
  // Called now and then with the number of contracted nodes (for a progress display).
  std::function<void(uint32_t done, uint32_t total)> progress;
};

Hierarchy Contract(uint32_t node_count, std::span<const DirectedEdge> edges,
                   const ContractionOptions& options = {});

}  // namespace ncc::routing
