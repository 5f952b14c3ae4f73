#include "routing/routing_service.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <thread>

#include "routing/test_data.h"

namespace ncc::routing {
namespace {

class RoutingServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    NCC_REQUIRE_OSM_DATA();
    auto x = testing_support::ImportExtract("sf-north-2020.osm");
    ASSERT_TRUE(x.graph);
    service_ = std::make_unique<RoutingService>(std::move(x.graph), RoutingOptions{500});
  }
  // Random positions inside the extract's bounds (MANIFEST.md).
  std::vector<LatLon> RandomPoints(int n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> lat(37.7805, 37.8060), lon(-122.480, -122.400);
    std::vector<LatLon> out;
    for (int i = 0; i < n; ++i) out.push_back({lat(rng), lon(rng)});
    return out;
  }
  std::unique_ptr<RoutingService> service_;
};

TEST_F(RoutingServiceTest, RouteGivesTimeDistanceAndGeoJson) {
  // Ferry Building area to the Marina.
  auto r = service_->Route({37.7955, -122.3940}, {37.8005, -122.4400});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_GT((*r)["seconds"].get<double>(), 60);
  EXPECT_GT((*r)["meters"].get<double>(), 3000);
  EXPECT_EQ((*r)["geometry"]["type"], "LineString");
  EXPECT_GT((*r)["geometry"]["coordinates"].size(), 10u);
  EXPECT_LT((*r)["snap"]["from_meters"].get<double>(), 500);
}

TEST_F(RoutingServiceTest, ChAndDijkstraAgreeBetweenSnappedPoints) {
  auto pts = RandomPoints(200, 1);
  for (size_t i = 0; i + 1 < pts.size(); i += 2) {
    auto c = service_->RouteBetween(pts[i], pts[i + 1], Algorithm::kCh, false);
    auto d = service_->RouteBetween(pts[i], pts[i + 1], Algorithm::kDijkstra, false);
    ASSERT_EQ(c.ok(), d.ok());
    if (c.ok()) {
      EXPECT_EQ(c->cost.time_ms, d->cost.time_ms);
    }
  }
}

TEST_F(RoutingServiceTest, EtaEqualsRouteForEveryTarget) {
  auto pts = RandomPoints(120, 2);
  LatLon origin{37.7930, -122.4200};
  auto eta = service_->Eta(origin, pts);
  ASSERT_TRUE(eta.ok()) << eta.status().ToString();
  const auto& results = (*eta)["results"];
  ASSERT_EQ(results.size(), pts.size());
  int compared = 0;
  for (size_t i = 0; i < pts.size(); ++i) {
    auto route = service_->RouteBetween(origin, pts[i], Algorithm::kCh, false);
    ASSERT_EQ(route.ok(), !results[i].contains("error")) << i;
    if (!route.ok()) continue;
    EXPECT_DOUBLE_EQ(results[i]["seconds"].get<double>(), route->cost.time_ms / 1000.0) << i;
    ++compared;
  }
  EXPECT_GT(compared, 60);
}

TEST_F(RoutingServiceTest, MatrixEqualsRoutes) {
  auto sources = RandomPoints(6, 4), targets = RandomPoints(20, 5);
  sources.push_back({37.8300, -122.4400});  // in the bay: a null row and an error item
  auto m = service_->Matrix(sources, targets);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  ASSERT_EQ((*m)["seconds"].size(), sources.size());
  for (size_t s = 0; s < sources.size(); ++s)
    for (size_t t = 0; t < targets.size(); ++t) {
      auto r = service_->RouteBetween(sources[s], targets[t], Algorithm::kCh, false);
      const auto& cell = (*m)["seconds"][s][t];
      ASSERT_EQ(r.ok(), !cell.is_null()) << s << "," << t;
      if (r.ok()) {
        EXPECT_DOUBLE_EQ(cell.get<double>(), r->cost.time_ms / 1000.0);
      }
    }
  EXPECT_FALSE((*m)["errors"].empty());
}

TEST_F(RoutingServiceTest, PointInTheSeaIsInvalidArgumentWithDistance) {
  // San Francisco Bay, north of the Marina.
  auto r = service_->Route({37.8300, -122.4400}, {37.8005, -122.4400});
  ASSERT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().field(), "from");
  EXPECT_NE(r.status().message().find("nearest road is"), std::string::npos);
  // The same point as one ETA target fails alone.
  auto eta = service_->Eta({37.8005, -122.4400}, {{37.8300, -122.4400}, {37.7930, -122.4200}});
  ASSERT_TRUE(eta.ok());
  EXPECT_TRUE((*eta)["results"][0].contains("error"));
  EXPECT_TRUE((*eta)["results"][1].contains("seconds"));
}

TEST_F(RoutingServiceTest, OutOfRangeAndNanCoordinatesAreRejected) {
  EXPECT_EQ(service_->Route({95, 0}, {37.8, -122.44}).status().field(), "from.lat");
  EXPECT_EQ(service_->Route({37.8, -122.44}, {37.8, 200}).status().field(), "to.lon");
  EXPECT_EQ(service_->Route({NAN, 0}, {37.8, -122.44}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(service_->Eta({37.8, INFINITY}, {}).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(RoutingServiceTest, FarAwayPointStillNamesTheDistance) {
  auto r = service_->Route({0, 0}, {37.8005, -122.4400});
  ASSERT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("nearest road is"), std::string::npos);
}

TEST_F(RoutingServiceTest, ReachableAreaGrowsWithTime) {
  auto small = service_->Reachable({37.7930, -122.4200}, 60);
  auto large = service_->Reachable({37.7930, -122.4200}, 240);
  ASSERT_TRUE(small.ok() && large.ok());
  EXPECT_LT((*small)["nodes"].get<size_t>(), (*large)["nodes"].get<size_t>());
  EXPECT_EQ((*large)["hull"]["type"], "Polygon");
  EXPECT_EQ(service_->Reachable({37.7930, -122.4200}, -1).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(RoutingServiceTest, ConcurrentReadersGetTheSameAnswers) {
  auto pts = RandomPoints(40, 3);
  std::vector<double> expect;
  for (size_t i = 0; i + 1 < pts.size(); i += 2) {
    auto r = service_->RouteBetween(pts[i], pts[i + 1], Algorithm::kCh, false);
    expect.push_back(r.ok() ? r->cost.time_ms : -1.0);
  }
  std::vector<std::thread> threads;
  std::atomic<int> mismatches{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int rep = 0; rep < 5; ++rep)
        for (size_t i = 0; i + 1 < pts.size(); i += 2) {
          auto r = service_->RouteBetween(pts[i], pts[i + 1], Algorithm::kCh, false);
          if ((r.ok() ? r->cost.time_ms : -1.0) != expect[i / 2]) ++mismatches;
        }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches.load(), 0);
}

}  // namespace
}  // namespace ncc::routing
