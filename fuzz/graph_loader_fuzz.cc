// libFuzzer target: the graph file loader must turn any byte string into a graph or a Status.
// Valid inputs also get a few queries, so a file that passes validation cannot crash a reader.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "routing/road_graph.h"
#include "routing/route_query.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  // Half of the inputs get correct header and section checksums, so that the section table
  // checks and the structural validation behind them are fuzzed too (random bytes almost never
  // pass a checksum).
  if (size > 0 && (data[size - 1] & 1)) ncc::routing::RoadGraph::Reseal(bytes);
  // FromBytes = Load's header/section checks + Verify (checksums, structure).
  auto g = ncc::routing::RoadGraph::FromBytes(bytes);
  if (!g.ok() || (*g)->node_count() == 0) return 0;
  ncc::routing::RouteQuery q(**g);
  uint32_t n = (*g)->node_count();
  ncc::routing::Seed a{0}, b{n - 1};
  (void)q.Ch(std::span(&a, 1), std::span(&b, 1), true);
  (void)q.Dijkstra(std::span(&a, 1), std::span(&b, 1), false);
  std::vector<std::vector<ncc::routing::Seed>> targets{{b}, {a}};
  (void)q.OneToMany(std::span(&a, 1), targets);
  return 0;
}
