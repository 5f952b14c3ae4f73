// Exactness and behaviour on the real OSM extracts (see /work/shared/data/MANIFEST.md).
#include <gtest/gtest.h>

#include <random>

#include "routing/route_query.h"
#include "routing/test_data.h"

namespace ncc::routing {
namespace {

using testing_support::ImportExtract;
using testing_support::LoadedExtract;

class RoutingRealExtractTest : public ::testing::TestWithParam<const char*> {};

// 100 sources x 100 targets = 10,000 pairs; each source gets one full Dijkstra as reference.
TEST_P(RoutingRealExtractTest, ChAndOneToManyEqualDijkstraOn10000Pairs) {
  NCC_REQUIRE_OSM_DATA();
  LoadedExtract x = ImportExtract(GetParam());
  ASSERT_TRUE(x.graph);
  const RoadGraph& g = *x.graph;
  RouteQuery q(g);
  std::mt19937 rng(42);
  std::uniform_int_distribution<uint32_t> pick(0, g.node_count() - 1);
  std::vector<uint32_t> ref(g.node_count());
  for (int s = 0; s < 100; ++s) {
    uint32_t source = pick(rng);
    std::fill(ref.begin(), ref.end(), kUnreachable);
    Seed seed{source};
    for (auto [v, t] : q.Reachable(std::span(&seed, 1), kUnreachable - 1)) ref[v] = t;
    std::vector<std::vector<Seed>> targets;
    for (int t = 0; t < 100; ++t) targets.push_back({Seed{pick(rng)}});
    std::vector<Cost> many = q.OneToMany(std::span(&seed, 1), targets);
    for (int t = 0; t < 100; ++t) {
      uint32_t target = targets[t][0].node;
      ASSERT_NE(ref[target], kUnreachable) << "largest SCC must be strongly connected";
      ASSERT_EQ(q.Ch(source, target).time_ms, ref[target]) << source << " -> " << target;
      ASSERT_EQ(many[t].time_ms, ref[target]) << source << " -> " << target;
    }
  }
}

TEST_P(RoutingRealExtractTest, MatrixEqualsPointToPoint) {
  NCC_REQUIRE_OSM_DATA();
  LoadedExtract x = ImportExtract(GetParam());
  ASSERT_TRUE(x.graph);
  RouteQuery q(*x.graph);
  std::mt19937 rng(7);
  std::uniform_int_distribution<uint32_t> pick(0, x.graph->node_count() - 1);
  std::vector<std::vector<Seed>> sources, targets;
  for (int i = 0; i < 10; ++i) sources.push_back({Seed{pick(rng)}});
  for (int i = 0; i < 50; ++i) targets.push_back({Seed{pick(rng)}});
  std::vector<Cost> m = q.ManyToMany(sources, targets);
  for (size_t s = 0; s < sources.size(); ++s)
    for (size_t t = 0; t < targets.size(); ++t)
      ASSERT_EQ(m[s * targets.size() + t].time_ms,
                q.Ch(sources[s][0].node, targets[t][0].node).time_ms);
}

INSTANTIATE_TEST_SUITE_P(Extracts, RoutingRealExtractTest,
                         ::testing::Values("sf-north-2020.osm", "monaco.osm.pbf", "andorra.osm.pbf",
                                           "helsinki-centre.osm.pbf"),
                         [](const auto& param_info) {
                           std::string n = param_info.param;
                           return n.substr(0, n.find_first_of("-."));
                         });

uint32_t EdgeTime(const RoadGraph& g, const std::vector<uint32_t>& from,
                  const std::vector<uint32_t>& to) {
  uint32_t best = kUnreachable;
  for (uint32_t a : from)
    for (uint32_t e = g.first_out[a]; e < g.first_out[a + 1]; ++e)
      if (std::find(to.begin(), to.end(), g.head[e]) != to.end())
        best = std::min(best, g.weight_ms[e]);
  return best;
}

std::vector<Seed> Seeds(const std::vector<uint32_t>& nodes) {
  std::vector<Seed> s;
  for (uint32_t v : nodes) s.push_back({v});
  return s;
}

// A one-way street can be driven only in its direction.
void ExpectOneway(const char* extract, int64_t first, int64_t second) {
  LoadedExtract x = ImportExtract(extract);
  ASSERT_TRUE(x.graph);
  auto a = x.NodesOf(first), b = x.NodesOf(second);
  ASSERT_FALSE(a.empty());
  ASSERT_FALSE(b.empty());
  uint32_t along = EdgeTime(*x.graph, a, b);
  EXPECT_NE(along, kUnreachable) << "the one-way street must be drivable along its direction";
  EXPECT_EQ(EdgeTime(*x.graph, b, a), kUnreachable) << "no edge against the one-way direction";
  RouteQuery q(*x.graph);
  Cost forward = q.Ch(Seeds(a), Seeds(b)).cost, back = q.Ch(Seeds(b), Seeds(a)).cost;
  EXPECT_EQ(forward.time_ms, along);
  EXPECT_GT(back.time_ms, along) << "driving back has to go around the block";
}

TEST(RoutingOnewayTest, PineStreetSanFrancisco) {
  NCC_REQUIRE_OSM_DATA();
  // Way 100400947 "Pine Street" (primary, oneway=yes): node 65352459 then 4759501716.
  ExpectOneway("sf-north-2020.osm", 65352459, 4759501716);
}

TEST(RoutingOnewayTest, KaivokatuHelsinki) {
  NCC_REQUIRE_OSM_DATA();
  // Way 30471502 "Kaivokatu" (secondary, oneway=yes): node 317704055 then 1380976633.
  ExpectOneway("helsinki-centre.osm.pbf", 317704055, 1380976633);
}

// The route from -> to never makes the forbidden turn from -> via -> to, and the detour costs
// more than the forbidden turn would.
void ExpectTurnForbidden(const char* extract, int64_t from, int64_t via, int64_t to) {
  LoadedExtract x = ImportExtract(extract);
  ASSERT_TRUE(x.graph);
  auto f = x.NodesOf(from), v = x.NodesOf(via), t = x.NodesOf(to);
  ASSERT_FALSE(f.empty());
  ASSERT_GT(v.size(), 1u) << "the via node is split per incoming way";
  ASSERT_FALSE(t.empty());
  RouteQuery q(*x.graph);
  Path p = q.Ch(Seeds(f), Seeds(t), true);
  ASSERT_TRUE(p.cost.reachable());
  std::vector<int64_t> osm;
  for (uint32_t n : p.nodes)
    if (osm.empty() || osm.back() != x.osm_node[n]) osm.push_back(x.osm_node[n]);
  for (size_t i = 2; i < osm.size(); ++i)
    EXPECT_FALSE(osm[i - 2] == from && osm[i - 1] == via && osm[i] == to) << "forbidden turn taken";
  uint64_t forbidden = uint64_t{EdgeTime(*x.graph, f, v)} + EdgeTime(*x.graph, v, t);
  EXPECT_GT(p.cost.time_ms, forbidden);
  EXPECT_EQ(p.cost.time_ms, q.Dijkstra(Seeds(f), Seeds(t)).cost.time_ms);
}

TEST(RoutingTurnRestrictionTest, BulevardiToYrjonkatuHelsinki) {
  NCC_REQUIRE_OSM_DATA();
  // Relation 50620 no_left_turn: from way 217644146 (Bulevardi) via node 25291564 to way
  // 233999572 (Yrjönkatu); the last Bulevardi node before the junction is 311086402, the first
  // Yrjönkatu node after it 292859342.
  ExpectTurnForbidden("helsinki-centre.osm.pbf", 311086402, 25291564, 292859342);
}

TEST(RoutingTurnRestrictionTest, TunnelToMoyenneCornicheMonaco) {
  NCC_REQUIRE_OSM_DATA();
  // Relation 4799601 no_left_turn: from way 92627402 (Tunnel vers Nationale 7, oneway) via node
  // 1397731778 to way 65562952 (Route de la Moyenne Corniche), next node 1699978884.
  ExpectTurnForbidden("monaco.osm.pbf", 1074584561, 1397731778, 1699978884);
}

}  // namespace
}  // namespace ncc::routing
