// Coverage on real San Francisco roads against a brute force of point-to-point routes.
#include "dispatch/coverage.h"

#include <gtest/gtest.h>

#include <random>

#include "routing/test_data.h"

namespace ncc::dispatch {
namespace {

std::string Zone(double minutes, double target, const char* id = "union-square") {
  return std::string(
             R"({"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":")") +
         id + R"(","capability":"ambulance","minutes":)" + std::to_string(minutes) +
         R"(,"target":)" + std::to_string(target) + R"(,"spacing_m":120},
      "geometry":{"type":"Polygon","coordinates":[[[-122.414,37.784],[-122.402,37.784],[-122.402,37.792],[-122.414,37.792],[-122.414,37.784]]]}}]})";
}

class CoverageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    NCC_REQUIRE_OSM_DATA();
    if (!routing_) {
      auto x = routing::testing_support::ImportExtract("sf-north-2020.osm");
      ASSERT_TRUE(x.graph);
      routing_ = std::make_unique<routing::RoutingService>(std::move(x.graph),
                                                           routing::RoutingOptions{500});
    }
  }
  UnitInfo Ambulance(uint64_t id, LatLon at, const std::string& agency = "ambulance") {
    UnitInfo u;
    u.id = UnitId(id);
    u.callsign = "A" + std::to_string(id);
    u.kind = "ambulance";
    u.agency = agency;
    u.position = at;
    return u;
  }
  bool Within(LatLon from, LatLon to, double seconds) {
    auto r = routing_->RouteBetween(from, to, routing::Algorithm::kCh, false);
    return r.ok() && r->cost.time_ms <= seconds * 1000;
  }
  static inline std::unique_ptr<routing::RoutingService> routing_;
};

TEST_F(CoverageTest, MatchesBruteForceOnASmallZone) {
  auto zones = ParseCoverageZones(Zone(1.5, 0.9));
  ASSERT_TRUE(zones.ok()) << zones.status().ToString();
  ASSERT_GT((*zones)[0].points.size(), 20u);
  std::vector<UnitInfo> units = {
      Ambulance(1, {37.7880, -122.4100}), Ambulance(2, {37.7800, -122.4200}),
      Ambulance(3, {37.7950, -122.4000}, "private_ems"), Ambulance(4, {37.7870, -122.4050})};
  units[3].status = UnitStatus::kDispatched;  // busy units cover nothing
  auto cov = MeasureCoverage(*zones, units, routing_.get());
  ASSERT_EQ(cov.size(), 1u);
  size_t n = 0, hit = 0, hit_ambulance = 0;
  for (const LatLon& p : (*zones)[0].points) {
    if (!routing_->snapper().Nearest(p, 500).ok()) continue;
    ++n;
    bool by_amb = Within(*units[0].position, p, 90) || Within(*units[1].position, p, 90);
    bool by_any = by_amb || Within(*units[2].position, p, 90);
    hit += by_any;
    hit_ambulance += by_amb;
  }
  EXPECT_EQ(cov[0].points, n);
  EXPECT_EQ(cov[0].covered, hit);
  EXPECT_GT(hit, 0u);
  EXPECT_LT(hit, n) << "pick a time that leaves part of the zone uncovered";
  ASSERT_EQ(cov[0].by_agency.size(), 2u);
  EXPECT_EQ(cov[0].by_agency[0].first, "ambulance");
  EXPECT_DOUBLE_EQ(cov[0].by_agency[0].second, double(hit_ambulance) / n);
  // Below target: the best move-up's gain is what brute force gives for that move.
  ASSERT_TRUE(cov[0].below());
  ASSERT_FALSE(cov[0].move_ups.empty());
  const MoveUp& m = cov[0].move_ups[0];
  size_t after = 0;
  for (const LatLon& p : (*zones)[0].points) {
    if (!routing_->snapper().Nearest(p, 500).ok()) continue;
    bool c = Within(m.to, p, 90);
    for (int u = 0; u < 3; ++u)
      if (units[u].id != m.unit) c |= Within(*units[u].position, p, 90);
    after += c;
  }
  EXPECT_EQ(static_cast<int>(after) - static_cast<int>(hit), m.gained);
  for (size_t k = 1; k < cov[0].move_ups.size(); ++k)
    EXPECT_GE(cov[0].move_ups[k - 1].gained, cov[0].move_ups[k].gained);
}

void ExpectSame(const std::vector<ZoneCoverage>& plain, const std::vector<ZoneCoverage>& cached,
                const char* step) {
  ASSERT_EQ(plain.size(), cached.size()) << step;
  for (size_t z = 0; z < plain.size(); ++z) {
    EXPECT_EQ(plain[z].covered, cached[z].covered) << step;
    EXPECT_EQ(plain[z].points, cached[z].points) << step;
    EXPECT_EQ(plain[z].by_agency, cached[z].by_agency) << step;
    ASSERT_EQ(plain[z].move_ups.size(), cached[z].move_ups.size()) << step;
    for (size_t m = 0; m < plain[z].move_ups.size(); ++m) {
      EXPECT_EQ(plain[z].move_ups[m].unit, cached[z].move_ups[m].unit) << step;
      EXPECT_EQ(plain[z].move_ups[m].gained, cached[z].move_ups[m].gained) << step;
      EXPECT_EQ(plain[z].move_ups[m].to, cached[z].move_ups[m].to) << step;
    }
  }
}

// What a cache remembers must never change an answer: the same fleet measured with and
// without one, while units move, leave and come back, and with a cache that forgets.
TEST_F(CoverageTest, ACacheGivesTheSameAnswersAsNone) {
  auto zones = ParseCoverageZones(Zone(1.5, 0.9));
  ASSERT_TRUE(zones.ok()) << zones.status().ToString();
  std::vector<UnitInfo> units = {Ambulance(1, {37.7880, -122.4100}),
                                 Ambulance(2, {37.7800, -122.4200}),
                                 Ambulance(3, {37.7950, -122.4000}, "private_ems")};
  ReachCache cache, tiny(1);  // tiny forgets before every measurement
  auto same = [&](const char* step) {
    auto plain = MeasureCoverage(*zones, units, routing_.get());
    ExpectSame(plain, MeasureCoverage(*zones, units, routing_.get(), 5, &cache), step);
    ExpectSame(plain, MeasureCoverage(*zones, units, routing_.get(), 5, &tiny), step);
  };
  same("first");
  size_t searched = cache.misses();
  EXPECT_GT(searched, 0u);
  same("again");
  EXPECT_EQ(cache.misses(), searched) << "units standing still and the posts are remembered";
  EXPECT_GT(cache.hits(), 0u);
  units[0].position = LatLon{37.7860, -122.4080};  // on the move: a new source
  same("moved");
  EXPECT_EQ(cache.misses(), searched + 1);
  units[1].status = UnitStatus::kDispatched;
  same("left");
  units[1].status = UnitStatus::kAvailable;
  same("back");
  EXPECT_EQ(tiny.hits(), 0u);
  EXPECT_GT(tiny.misses(), 2 * cache.misses()) << "a forgetting cache searches again";
}

TEST(CoverageZones, BadFilesNameTheField) {
  struct Case {
    std::string text, field;
  };
  std::string ok = Zone(8, 0.9);
  std::vector<Case> cases = {
      {"[", "zones"},
      {R"({"type":"Feature"})", "type"},
      {R"({"type":"FeatureCollection","features":{}})", "features"},
      {R"({"type":"FeatureCollection","features":[{"properties":{"capability":"ambulance"}}]})",
       "features[0].properties.id"},
      {R"({"type":"FeatureCollection","features":[{"properties":{"id":"a","capability":"ambulance","minutes":-1}}]})",
       "features[0].properties.minutes"},
      {R"({"type":"FeatureCollection","features":[{"properties":{"id":"a","capability":"ambulance","target":1.5}}]})",
       "features[0].properties.target"},
      {R"({"type":"FeatureCollection","features":[{"properties":{"id":"a","capability":"ambulance"},"geometry":{"type":"Point","coordinates":[1,2]}}]})",
       "features[0].geometry.type"},
      {R"({"type":"FeatureCollection","features":[{"properties":{"id":"a","capability":"ambulance"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,2]]]}}]})",
       "features[0].geometry.coordinates[0]"},
      {R"({"type":"FeatureCollection","features":[{"properties":{"id":"a","capability":"ambulance"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,"x"],[0,0]]]}}]})",
       "features[0].geometry.coordinates[0][2]"},
      {std::string(100, '['), "zones"},
  };
  for (const Case& c : cases) {
    auto z = ParseCoverageZones(c.text);
    ASSERT_FALSE(z.ok()) << c.text;
    EXPECT_EQ(z.status().field(), c.field) << c.text << " -> " << z.status().ToString();
  }
  EXPECT_TRUE(ParseCoverageZones(ok).ok());
}

}  // namespace
}  // namespace ncc::dispatch
