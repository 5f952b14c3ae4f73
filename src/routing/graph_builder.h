// Turns a directed road graph into the stored form: contracts it, renumbers nodes by rank,
// lays out the CSR arrays and the snapping grid.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "routing/contraction.h"
#include "routing/road_graph.h"

namespace ncc::routing {

struct DirectedGraph {
  std::vector<int32_t> lat_e7, lon_e7;
  std::vector<DirectedEdge> edges;
  uint32_t node_count() const { return static_cast<uint32_t>(lat_e7.size()); }
};

struct BuiltGraph {
  GraphArrays arrays;
  std::vector<uint32_t> new_id;        // new_id[node of the input graph] = node id in `arrays`
  double contraction_seconds = 0;      // wall clock
  double contraction_cpu_seconds = 0;  // this thread's CPU time: fair on a busy machine
};

BuiltGraph BuildGraph(const DirectedGraph& graph, const ContractionOptions& options = {});

// Keeps the largest strongly connected component (Tarjan). Returns the old->new node map
// (kNoNode for dropped nodes) and counts what was dropped.
struct ComponentReport {
  uint32_t components_dropped = 0;
  uint32_t nodes_dropped = 0;
};
std::vector<uint32_t> KeepLargestComponent(DirectedGraph& graph, ComponentReport* report);

}  // namespace ncc::routing
