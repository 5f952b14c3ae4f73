// Turns the OSM road network into a directed node graph that obeys via-node turn restrictions.
//
// Method (node splitting, docs/formats/graph.md): a via node of a restriction becomes one copy
// per incoming way; an edge enters the copy of the way it belongs to, and leaves only from the
// copies whose (incoming way -> outgoing way) turn is allowed. Nodes without restrictions stay
// single, so the graph grows only around restricted junctions, and a plain node-based search
// (and contraction hierarchy) over it is exact with respect to the restrictions.
#pragma once

#include <cstdint>
#include <vector>

#include "routing/graph_builder.h"
#include "routing/osm_reader.h"

namespace ncc::routing {

struct ExpandedNetwork {
  DirectedGraph graph;
  std::vector<int64_t> osm_node;  // per graph node (copies share their OSM node)
  uint32_t split_nodes = 0;       // OSM nodes that got more than one copy
};

ExpandedNetwork ExpandTurns(const RoadNetwork& net);

}  // namespace ncc::routing
