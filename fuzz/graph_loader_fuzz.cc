// libFuzzer target: the graph file loader must turn any byte string into a graph or a Status.
// Valid inputs also get a few queries, so a file that passes validation cannot crash a reader.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "routing/road_graph.h"
#include "routing/route_query.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  // Half of the inputs get a correct checksum, so that the structural validation behind it
  // is fuzzed too (random bytes almost never pass the checksum).
  if (size > 128 && (data[size - 1] & 1)) {
    uint64_t sum = ncc::routing::GraphChecksum(bytes.data() + 128, size - 128);
    std::memcpy(bytes.data() + 24, &sum, 8);
  }
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
