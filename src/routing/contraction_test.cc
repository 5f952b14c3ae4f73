#include <gtest/gtest.h>

#include <random>

#include "routing/graph_builder.h"
#include "routing/route_query.h"
#include "routing/synthetic.h"

namespace ncc::routing {
namespace {

std::unique_ptr<RoadGraph> Load(const GraphArrays& a) {
  auto g = RoadGraph::FromBytes(RoadGraph::Serialize(a));
  EXPECT_TRUE(g.ok()) << g.status().ToString();
  return std::move(g).value();
}

TEST(RoutingContractionTest, ChEqualsDijkstraOnSyntheticGrid) {
  BuiltGraph built = BuildGraph(SyntheticRoadGrid(60, 7));
  auto g = Load(built.arrays);
  RouteQuery q(*g);
  std::mt19937 rng(1);
  std::uniform_int_distribution<uint32_t> pick(0, g->node_count() - 1);
  for (int i = 0; i < 2000; ++i) {
    uint32_t s = pick(rng), t = pick(rng);
    Cost d = q.Dijkstra(s, t), c = q.Ch(s, t);
    ASSERT_EQ(c.time_ms, d.time_ms) << s << "->" << t;
  }
}

TEST(RoutingContractionTest, UnpackedPathIsARealPathWithTheSameTime) {
  BuiltGraph built = BuildGraph(SyntheticRoadGrid(40, 3));
  auto g = Load(built.arrays);
  RouteQuery q(*g);
  std::mt19937 rng(2);
  std::uniform_int_distribution<uint32_t> pick(0, g->node_count() - 1);
  for (int i = 0; i < 300; ++i) {
    Seed s{pick(rng)}, t{pick(rng)};
    Path p = q.Ch(std::span(&s, 1), std::span(&t, 1), true);
    ASSERT_TRUE(p.cost.reachable());
    ASSERT_EQ(p.nodes.front(), s.node);
    ASSERT_EQ(p.nodes.back(), t.node);
    uint64_t sum = 0;
    for (size_t k = 1; k < p.nodes.size(); ++k) {
      uint32_t best = kUnreachable;
      for (uint32_t e = g->first_out[p.nodes[k - 1]]; e < g->first_out[p.nodes[k - 1] + 1]; ++e)
        if (g->head[e] == p.nodes[k]) best = std::min(best, g->weight_ms[e]);
      ASSERT_NE(best, kUnreachable) << "not a road edge";
      sum += best;
    }
    EXPECT_EQ(sum, p.cost.time_ms);
  }
}

TEST(RoutingContractionTest, OneToManyAndMatrixEqualPointToPoint) {
  BuiltGraph built = BuildGraph(SyntheticRoadGrid(50, 11));
  auto g = Load(built.arrays);
  RouteQuery q(*g);
  std::mt19937 rng(3);
  std::uniform_int_distribution<uint32_t> pick(0, g->node_count() - 1);
  std::vector<std::vector<Seed>> targets, sources;
  for (int i = 0; i < 200; ++i) targets.push_back({Seed{pick(rng)}});
  for (int i = 0; i < 5; ++i) sources.push_back({Seed{pick(rng)}});
  std::vector<Cost> matrix = q.ManyToMany(sources, targets);
  TargetSet prepared = q.PrepareTargets(targets);  // reused by every origin below
  for (size_t s = 0; s < sources.size(); ++s) {
    std::vector<Cost> row = q.OneToMany(sources[s], targets);
    std::vector<Cost> reused = q.OneToMany(sources[s], prepared);
    for (size_t t = 0; t < targets.size(); ++t) {
      Cost p2p = q.Ch(sources[s][0].node, targets[t][0].node);
      ASSERT_EQ(row[t].time_ms, p2p.time_ms);
      ASSERT_EQ(reused[t].time_ms, p2p.time_ms);
      ASSERT_EQ(matrix[s * targets.size() + t].time_ms, p2p.time_ms);
    }
  }
}

}  // namespace
}  // namespace ncc::routing
