// Test helpers: real OSM extracts from the data folder (NCC_DATA_DIR, set by ncc_test()).
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "routing/importer.h"
#include "routing/road_graph.h"

namespace ncc::routing::testing_support {

// The osm/ folder, or "" when the data folder is absent (tests then skip).
inline std::string OsmDir() {
  const char* d = std::getenv("NCC_DATA_DIR");
  if (!d || !std::filesystem::is_directory(std::string(d) + "/osm")) return "";
  return std::string(d) + "/osm";
}

#define NCC_REQUIRE_OSM_DATA()                           \
  if (::ncc::routing::testing_support::OsmDir().empty()) \
  GTEST_SKIP() << "NCC_DATA_DIR/osm absent; real-data tests skipped"

struct LoadedExtract {
  std::unique_ptr<RoadGraph> graph;
  std::vector<int64_t> osm_node;
  std::vector<uint32_t> NodesOf(int64_t osm_id) const {
    std::vector<uint32_t> out;
    for (uint32_t v = 0; v < osm_node.size(); ++v)
      if (osm_node[v] == osm_id) out.push_back(v);
    return out;
  }
};

// Imports an extract in memory and loads it through the file format (as production does).
inline LoadedExtract ImportExtract(const std::string& name) {
  ImportOptions opt;
  opt.show_progress = false;
  auto built = BuildFromOsm(OsmDir() + "/" + name, opt);
  EXPECT_TRUE(built.ok()) << built.status().ToString();
  if (!built.ok()) return {};
  auto g = RoadGraph::FromBytes(RoadGraph::Serialize(built->arrays));
  EXPECT_TRUE(g.ok()) << g.status().ToString();
  if (!g.ok()) return {};
  return {std::move(g).value(), std::move(built->osm_node)};
}

}  // namespace ncc::routing::testing_support
