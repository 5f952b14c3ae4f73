// A generated road-like network for tests and benchmarks, clearly not a real place: a perturbed
// grid (~100 m blocks) with arterials every 8th line, varied speeds, some one-way streets and
// some missing links, kept to its largest strongly connected component.
#pragma once

#include <cstdint>

#include "routing/graph_builder.h"

namespace ncc::routing {

DirectedGraph SyntheticRoadGrid(uint32_t side, uint64_t seed);

}  // namespace ncc::routing
