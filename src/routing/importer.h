// The import pipeline behind `import-osm`: read OSM -> expand turn restrictions -> keep the
// largest strongly connected component -> contract -> lay out (and write) the graph file.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "routing/road_graph.h"

namespace ncc::routing {

struct ImportOptions {
  bool show_progress = true;  // only ever drawn when stderr is a terminal
  uint32_t witness_settle_limit = 200;
};

struct ImportSummary {
  uint32_t osm_ways = 0, osm_points = 0, segments = 0;
  uint32_t restrictions = 0, restrictions_skipped = 0, split_nodes = 0;
  uint32_t components_dropped = 0, nodes_dropped = 0;
  uint32_t nodes = 0, edges = 0, up_edges = 0, down_edges = 0;
  double read_seconds = 0, contract_seconds = 0, contract_cpu_seconds = 0, total_seconds = 0;
  uint64_t peak_rss_kb = 0, file_bytes = 0;
  std::string ToString() const;  // multi-line, for people
};

struct ImportedGraph {
  GraphArrays arrays;
  std::vector<int64_t> osm_node;  // per graph node; lets tests name real OSM nodes
  ImportSummary summary;
};

// Errors: those of ReadOsm (NotFound, InvalidArgument, DataLoss).
StatusOr<ImportedGraph> BuildFromOsm(const std::string& input, const ImportOptions& options = {});
StatusOr<ImportSummary> ImportOsmToFile(const std::string& input, const std::string& output,
                                        const ImportOptions& options = {});

uint64_t PeakRssKb();

}  // namespace ncc::routing
