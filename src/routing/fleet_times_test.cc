// FleetTimes must give exactly the point-to-point times, unit -> point, snapping included.
#include "routing/fleet_times.h"

#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <thread>

#include "routing/graph_builder.h"
#include "routing/routing_service.h"
#include "routing/synthetic.h"
#include "routing/test_data.h"

namespace ncc::routing {
namespace {

std::vector<LatLon> PointsIn(const RoadGraph& g, size_t n, std::mt19937& rng) {
  auto [la0, la1] = std::minmax_element(g.lat_e7.begin(), g.lat_e7.end());
  auto [lo0, lo1] = std::minmax_element(g.lon_e7.begin(), g.lon_e7.end());
  std::uniform_real_distribution<double> lat(*la0 / 1e7, *la1 / 1e7), lon(*lo0 / 1e7, *lo1 / 1e7);
  std::vector<LatLon> out;
  while (out.size() < n) out.push_back({lat(rng), lon(rng)});
  return out;
}

// `rounds` fleet states of `units` random units (each round moves every unit, removes a few and
// adds them back elsewhere), one random incident per round; every unit's time is checked against
// plain Dijkstra between the same two points (RouteBetween, snapping and same-edge case included).
// Returns the number of unit -> incident pairs compared.
int CompareWithDijkstra(const RoutingService& svc, int rounds, int units, uint32_t seed) {
  std::mt19937 rng(seed);
  std::unique_ptr<FleetTimes> owner = svc.NewFleet();
  FleetTimes& fleet = *owner;
  std::vector<LatLon> where(units);
  int compared = 0;
  for (int round = 0; round < rounds; ++round) {
    auto pts = PointsIn(svc.graph(), units, rng);
    for (int u = 0; u < units; ++u) {
      where[u] = pts[u];
      EXPECT_TRUE(fleet.Upsert(u, pts[u]).ok());
    }
    for (int u = 0; u < units; u += 7) {  // some units leave and come back elsewhere
      EXPECT_TRUE(fleet.Remove(u));
      where[u] = PointsIn(svc.graph(), 1, rng)[0];
      EXPECT_TRUE(fleet.Upsert(u, where[u]).ok());
    }
    EXPECT_EQ(fleet.size(), static_cast<size_t>(units));
    LatLon incident = PointsIn(svc.graph(), 1, rng)[0];
    auto etas = fleet.ToPoint(incident);
    EXPECT_TRUE(etas.ok()) << etas.status().ToString();
    if (!etas.ok()) return compared;
    EXPECT_EQ(etas->size(), static_cast<size_t>(units));
    for (size_t i = 1; i < etas->size(); ++i)
      EXPECT_LE((*etas)[i - 1].cost.time_ms, (*etas)[i].cost.time_ms) << "sorted fastest first";
    for (const FleetEta& e : *etas) {
      auto ref = svc.RouteBetween(where[e.key], incident, Algorithm::kDijkstra, false);
      EXPECT_EQ(e.reachable, ref.ok()) << "unit " << e.key << " round " << round;
      if (ref.ok()) {
        EXPECT_EQ(e.cost.time_ms, ref->cost.time_ms) << "unit " << e.key << " round " << round;
        EXPECT_DOUBLE_EQ(e.seconds, ref->cost.time_ms / 1000.0);
        EXPECT_DOUBLE_EQ(e.snap_m, ref->from_snap_m);
      }
      ++compared;
    }
  }
  return compared;
}

class FleetTimesRealTest : public ::testing::TestWithParam<const char*> {};

TEST_P(FleetTimesRealTest, EqualsDijkstraForEveryUnitOf1000UnitIncidentPairs) {
  NCC_REQUIRE_OSM_DATA();
  auto x = testing_support::ImportExtract(GetParam());
  ASSERT_TRUE(x.graph);
  RoutingService svc(std::move(x.graph), RoutingOptions{1e9});
  EXPECT_GE(CompareWithDijkstra(svc, 25, 40, 11), 1000);
}

INSTANTIATE_TEST_SUITE_P(Extracts, FleetTimesRealTest,
                         ::testing::Values("sf-north-2020.osm", "monaco.osm.pbf", "andorra.osm.pbf",
                                           "helsinki-centre.osm.pbf"),
                         [](const auto& param_info) {
                           std::string n = param_info.param;
                           return n.substr(0, n.find_first_of("-."));
                         });

std::unique_ptr<RoutingService> SyntheticService(uint32_t side) {
  auto g =
      RoadGraph::FromBytes(RoadGraph::Serialize(BuildGraph(SyntheticRoadGrid(side, 9)).arrays));
  EXPECT_TRUE(g.ok()) << g.status().ToString();
  return std::make_unique<RoutingService>(std::move(g).value(), RoutingOptions{1e9});
}

TEST(FleetTimesSyntheticTest, EqualsDijkstraOnTheSyntheticGrid) {
  auto svc = SyntheticService(80);
  EXPECT_GE(CompareWithDijkstra(*svc, 20, 60, 5), 1000);
}

TEST(FleetTimesSyntheticTest, MovedUnitAnswersFromItsNewPosition) {
  auto svc = SyntheticService(30);
  FleetTimes& fleet = svc->fleet();
  EXPECT_EQ(&fleet, &svc->fleet()) << "one shared fleet per service";
  std::mt19937 rng(3);
  auto p = PointsIn(svc->graph(), 3, rng);
  ASSERT_TRUE(fleet.Upsert(42, p[0]).ok());
  ASSERT_TRUE(fleet.Upsert(42, p[1]).ok());
  EXPECT_EQ(fleet.size(), 1u);
  auto etas = fleet.ToPoint(p[2]);
  ASSERT_TRUE(etas.ok());
  ASSERT_EQ(etas->size(), 1u);
  auto ref = svc->RouteBetween(p[1], p[2], Algorithm::kCh, false);
  ASSERT_TRUE(ref.ok());
  EXPECT_EQ((*etas)[0].key, 42u);
  EXPECT_EQ((*etas)[0].cost.time_ms, ref->cost.time_ms);
  // Moving back and forth leaves no stale bucket entries behind.
  size_t entries = fleet.Stats().bucket_entries;
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(fleet.Upsert(42, p[i % 2]).ok());
  ASSERT_TRUE(fleet.Upsert(42, p[1]).ok());
  EXPECT_EQ(fleet.Stats().bucket_entries, entries);
  EXPECT_TRUE(fleet.Remove(42));
  EXPECT_FALSE(fleet.Remove(42));
  EXPECT_EQ(fleet.Stats().bucket_entries, 0u);
  EXPECT_TRUE(fleet.ToPoint(p[2])->empty());
}

TEST(FleetTimesSyntheticTest, FilterLimitAndOrder) {
  auto svc = SyntheticService(30);
  auto fleet = svc->NewFleet();
  std::mt19937 rng(4);
  auto p = PointsIn(svc->graph(), 21, rng);
  for (uint64_t k = 0; k < 20; ++k) ASSERT_TRUE(fleet->Upsert(k, p[k]).ok());
  auto all = fleet->ToPoint(p[20]);
  ASSERT_TRUE(all.ok());
  FleetQueryOptions opt;
  opt.filter = [](uint64_t key) { return key % 2 == 0; };
  opt.limit = 3;
  auto some = fleet->ToPoint(p[20], opt);
  ASSERT_TRUE(some.ok());
  ASSERT_EQ(some->size(), 3u);
  std::vector<FleetEta> even;
  for (const FleetEta& e : *all)
    if (e.key % 2 == 0) even.push_back(e);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ((*some)[i].key, even[i].key);
    EXPECT_EQ((*some)[i].cost.time_ms, even[i].cost.time_ms);
  }
}

TEST(FleetTimesSyntheticTest, UnsnappablePositionsAreErrorsAndKeepTheLastFix) {
  auto g = RoadGraph::FromBytes(RoadGraph::Serialize(BuildGraph(SyntheticRoadGrid(20, 9)).arrays));
  ASSERT_TRUE(g.ok());
  RoutingService svc(std::move(g).value(), RoutingOptions{200});
  auto fleet = svc.NewFleet();
  LatLon on_road = svc.graph().Position(0), at_sea{25.5, 55.0}, bad{95, 0};
  ASSERT_TRUE(fleet->Upsert(1, on_road).ok());
  Status s = fleet->Upsert(1, at_sea);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("nearest road is"), std::string::npos) << s.message();
  EXPECT_EQ(fleet->Upsert(2, bad).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(fleet->size(), 1u);
  auto etas = fleet->ToPoint(on_road);
  ASSERT_TRUE(etas.ok());
  ASSERT_EQ(etas->size(), 1u);
  EXPECT_EQ((*etas)[0].cost.time_ms, 0u) << "unit 1 kept its last snapped position";
  EXPECT_EQ(fleet->ToPoint(at_sea).status().code(), StatusCode::kInvalidArgument);
}

TEST(FleetTimesSyntheticTest, ConcurrentUpdatesAndQueries) {
  auto svc = SyntheticService(40);
  FleetTimes& fleet = svc->fleet();
  std::mt19937 rng(8);
  auto p = PointsIn(svc->graph(), 200, rng);
  std::atomic<bool> stop{false};
  std::atomic<int> queries{0};
  std::thread reader([&] {
    while (!stop) {
      auto r = fleet.ToPoint(p[queries % 200]);
      ASSERT_TRUE(r.ok());
      ++queries;
    }
  });
  std::vector<std::thread> writers;
  for (int w = 0; w < 2; ++w)
    writers.emplace_back([&, w] {
      for (int i = 0; i < 400; ++i) {
        uint64_t key = w * 1000 + i % 50;
        ASSERT_TRUE(fleet.Upsert(key, p[(i * 7 + w) % 200]).ok());
        if (i % 13 == 0) fleet.Remove(key);
      }
    });
  for (auto& t : writers) t.join();
  stop = true;
  reader.join();
  // After the storm the fleet still answers exactly.
  auto etas = fleet.ToPoint(p[0]);
  ASSERT_TRUE(etas.ok());
  EXPECT_EQ(etas->size(), fleet.size());
  EXPECT_GT(queries.load(), 0);
}

}  // namespace
}  // namespace ncc::routing
