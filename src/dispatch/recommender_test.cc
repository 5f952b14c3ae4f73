// Recommendations on the real San Francisco road network, checked against brute force.
#include "dispatch/recommender.h"

#include <gtest/gtest.h>

#include <functional>
#include <random>

#include "routing/test_data.h"

namespace ncc::dispatch {
namespace {

constexpr const char* kPlans = R"(
[turnout]
civil_defence = 80s
ambulance = 60s
* = 30s

[plan default]
need = 1 patrol from police
target.* = 3m 90 15m

[plan fire.structure]
need = 2 engine from civil_defence
need = 1 ladder from civil_defence
need = 1 ambulance
substitute.engine = ladder
target.* = 90 90 10m
)";

class RecommenderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    NCC_REQUIRE_OSM_DATA();
    if (!routing_) {  // imported once for the whole suite
      auto x = routing::testing_support::ImportExtract("sf-north-2020.osm");
      ASSERT_TRUE(x.graph);
      routing_ = std::make_unique<routing::RoutingService>(std::move(x.graph),
                                                           routing::RoutingOptions{500});
      road_ = std::make_unique<RoadTravelTimes>(*routing_);
    }
    auto p = PlanSet::Parse(kPlans, "test.conf");
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    plans_ = std::move(*p);
  }
  // A random position that snaps to a road within 100 m (so every unit is routable).
  LatLon RoadPoint(std::mt19937& rng) {
    std::uniform_real_distribution<double> lat(37.7805, 37.8060), lon(-122.470, -122.400);
    while (true) {
      LatLon p{lat(rng), lon(rng)};
      auto s = routing_->snapper().Nearest(p, 100);
      if (s.ok()) return p;
    }
  }
  UnitInfo MakeUnit(uint64_t id, const std::string& kind, const std::string& agency, LatLon at,
                    UnitStatus status = UnitStatus::kAvailable) {
    UnitInfo u;
    u.id = UnitId(id);
    u.callsign = kind + std::to_string(id);
    u.kind = kind;
    u.agency = agency;
    u.position = at;
    u.status = status;
    if (status != UnitStatus::kAvailable && status != UnitStatus::kOutOfService)
      u.incident = IncidentId(99);
    return u;
  }
  // Exact road time unit -> incident through the contraction hierarchy, point to point.
  double RoadSeconds(LatLon from, LatLon to) {
    auto r = routing_->RouteBetween(from, to, routing::Algorithm::kCh, false);
    return r.ok() ? r->cost.time_ms / 1000.0 : INFINITY;
  }
  static inline std::unique_ptr<routing::RoutingService> routing_;
  static inline std::unique_ptr<RoadTravelTimes> road_;
  PlanSet plans_;
};

// Brute force: every way to give each slot a distinct unit (or none); best = most slots filled,
// then smallest sum of arrivals.
std::pair<int, double> BruteForce(const std::vector<std::function<int(const UnitInfo&)>>& slot_fit,
                                  const std::vector<UnitInfo>& units,
                                  const std::vector<double>& arrival) {
  std::pair<int, double> best{-1, 0};
  std::vector<bool> used(units.size(), false);
  std::function<void(size_t, int, double)> go = [&](size_t s, int filled, double sum) {
    if (s == slot_fit.size()) {
      if (filled > best.first || (filled == best.first && sum < best.second - 1e-6))
        best = {filled, sum};
      return;
    }
    go(s + 1, filled, sum);  // leave empty
    for (size_t u = 0; u < units.size(); ++u) {
      if (used[u] || units[u].status != UnitStatus::kAvailable || !slot_fit[s](units[u]) ||
          !std::isfinite(arrival[u]))
        continue;
      used[u] = true;
      go(s + 1, filled + 1, sum + arrival[u]);
      used[u] = false;
    }
  };
  go(0, 0, 0);
  return best;
}

TEST_F(RecommenderTest, PlanSatisfiedWithMinimumEtasAgainstBruteForce) {
  std::mt19937 rng(7);
  const char* kinds[] = {"engine", "engine", "ladder", "ambulance", "patrol"};
  const char* agencies[] = {"civil_defence", "civil_defence", "civil_defence", "ambulance",
                            "police"};
  auto fits = [](const std::string& cap, bool allow_ladder) {
    return [cap, allow_ladder](const UnitInfo& u) {
      return int(u.agency == (cap == "ambulance" ? u.agency : "civil_defence") &&
                 (u.kind == cap || (allow_ladder && u.kind == "ladder")));
    };
  };
  std::vector<std::function<int(const UnitInfo&)>> slot_fit = {
      fits("engine", true), fits("engine", true), fits("ladder", false), fits("ambulance", false)};
  for (int round = 0; round < 25; ++round) {
    LatLon incident = RoadPoint(rng);
    std::vector<UnitInfo> units;
    int n = 4 + static_cast<int>(rng() % 5);  // 4..8 units: brute force stays small
    for (int k = 0; k < n; ++k) {
      int t = static_cast<int>(rng() % 5);
      UnitStatus st = rng() % 5 == 0 ? UnitStatus::kDispatched : UnitStatus::kAvailable;
      units.push_back(MakeUnit(k + 1, kinds[t], agencies[t], RoadPoint(rng), st));
    }
    std::vector<double> arrival;
    for (const UnitInfo& u : units)
      arrival.push_back(RoadSeconds(*u.position, incident) + plans_.TurnoutSeconds(u.agency));
    auto expect = BruteForce(slot_fit, units, arrival);

    auto rec = Recommend({IncidentId(1), "fire.structure", 1, incident}, units, plans_, *road_);
    EXPECT_EQ(rec.travel, "road");
    double sum = 0;
    for (const Candidate& c : rec.chosen) {
      size_t idx = c.unit.value - 1;
      EXPECT_EQ(units[idx].status, UnitStatus::kAvailable) << "never a busy unit";
      EXPECT_NEAR(c.eta_s, arrival[idx], 0.0015) << "road ETA from the unit TO the incident";
      sum += c.eta_s;
    }
    EXPECT_EQ(static_cast<int>(rec.chosen.size()), expect.first) << "round " << round;
    EXPECT_NEAR(sum, expect.second, 0.01) << "round " << round;
    int missing = 0;
    for (const std::string& m : rec.missing) missing += m[0] - '0';
    EXPECT_EQ(missing, 4 - expect.first);
    for (size_t k = 1; k < rec.chosen.size(); ++k)
      EXPECT_LE(rec.chosen[k - 1].eta_s, rec.chosen[k].eta_s);
  }
}

TEST_F(RecommenderTest, RoadTimesMatchPointToPointForManyUnitsAndStopEarlyExactly) {
  std::mt19937 rng(11);
  std::vector<UnitPosition> units;
  for (int k = 0; k < 300; ++k) units.push_back({UnitId(k + 1), RoadPoint(rng)});
  LatLon incident = RoadPoint(rng);
  std::vector<Travel> all;
  ASSERT_TRUE(road_->ToIncident(incident, units, all).ok());
  for (size_t k = 0; k < units.size(); k += 7)
    EXPECT_NEAR(all[k].seconds, RoadSeconds(units[k].position, incident), 0.0015) << k;
  // Stopping after the 10 nearest: exactly the 10 smallest times are known.
  std::vector<Travel> some;
  size_t seen = 0;
  ASSERT_TRUE(
      road_->ToIncident(incident, units, some, [&](size_t, double) { return ++seen == 10; }).ok());
  std::vector<double> sorted;
  for (const Travel& t : all) sorted.push_back(t.seconds);
  std::sort(sorted.begin(), sorted.end());
  size_t reached = 0;
  for (size_t k = 0; k < some.size(); ++k)
    if (some[k].reached()) {
      ++reached;
      EXPECT_LE(some[k].seconds, sorted[9] + 1e-9);
      EXPECT_EQ(some[k].seconds, all[k].seconds);
    }
  EXPECT_EQ(reached, 10u);
}

TEST_F(RecommenderTest, SubstitutesBusyAndOutOfServiceUnitsAreExplained) {
  // The incident on Van Ness; engines busy or out of service right next to it, a ladder near.
  LatLon incident{37.7900, -122.4225};
  std::vector<UnitInfo> units = {
      MakeUnit(1, "engine", "civil_defence", {37.7905, -122.4222}, UnitStatus::kDispatched),
      MakeUnit(2, "engine", "civil_defence", {37.7895, -122.4228}, UnitStatus::kOutOfService),
      MakeUnit(3, "ladder", "civil_defence", {37.7930, -122.4210}),
      MakeUnit(4, "ladder", "civil_defence", {37.7990, -122.4350}),
      MakeUnit(5, "engine", "civil_defence", {37.8020, -122.4100}),
      MakeUnit(6, "ambulance", "ambulance", {37.7850, -122.4100}),
  };
  auto rec = Recommend({IncidentId(1), "fire.structure", 1, incident}, units, plans_, *road_);
  ASSERT_EQ(rec.chosen.size(), 4u);
  EXPECT_TRUE(rec.complete());
  int substitutes = 0;
  for (const Candidate& c : rec.chosen) {
    EXPECT_NE(c.unit.value, 1u);
    EXPECT_NE(c.unit.value, 2u);
    if (c.substitute) {
      ++substitutes;
      EXPECT_EQ(c.kind, "ladder");
      EXPECT_EQ(c.slot, "engine");
      EXPECT_NE(c.reason.find("substitution"), std::string::npos);
    }
    EXPECT_GT(c.meters, 0);
  }
  EXPECT_EQ(substitutes, 1);  // two ladders: one fills the ladder slot, one an engine slot
  bool busy = false, oos = false;
  for (const Candidate& p : rec.passed) {
    if (p.unit.value == 1) busy = p.reason.find("dispatched on incident 99") != std::string::npos;
    if (p.unit.value == 2) oos = p.reason == "out of service";
  }
  EXPECT_TRUE(busy) << rec.ToJson().dump(2);
  EXPECT_TRUE(oos) << rec.ToJson().dump(2);
}

TEST_F(RecommenderTest, UnsatisfiablePlanGivesPartialAndWhatIsMissing) {
  LatLon incident{37.7900, -122.4225};
  std::vector<UnitInfo> units = {MakeUnit(1, "engine", "civil_defence", {37.7930, -122.4210}),
                                 MakeUnit(2, "engine", "police", {37.7930, -122.4200})};
  auto rec = Recommend({IncidentId(1), "fire.structure", 1, incident}, units, plans_, *road_);
  ASSERT_EQ(rec.chosen.size(), 1u);
  EXPECT_FALSE(rec.complete());
  EXPECT_EQ(rec.missing, (std::vector<std::string>{"1 engine from civil_defence",
                                                   "1 ladder from civil_defence", "1 ambulance"}));
  EXPECT_FALSE(rec.ToJson()["complete"].get<bool>());
}

TEST_F(RecommenderTest, UnknownTypeUsesTheDefaultPlanAndSaysSo) {
  std::vector<UnitInfo> units = {MakeUnit(1, "patrol", "police", {37.7930, -122.4210})};
  auto rec =
      Recommend({IncidentId(1), "alien.landing", 2, {37.7900, -122.4225}}, units, plans_, *road_);
  EXPECT_EQ(rec.plan, "default");
  EXPECT_NE(rec.note.find("no plan for type alien.landing; used the default plan"),
            std::string::npos);
  ASSERT_EQ(rec.chosen.size(), 1u);
}

TEST_F(RecommenderTest, IncidentOffTheNetworkFallsBackToStraightLinesAndSaysSo) {
  StraightLineTravelTimes line;
  std::vector<UnitInfo> units = {MakeUnit(1, "patrol", "police", {37.7930, -122.4210})};
  // In the bay, far from any road.
  auto rec =
      Recommend({IncidentId(1), "police.x", 1, {37.8300, -122.4700}}, units, plans_, *road_, &line);
  EXPECT_EQ(rec.travel, "straight_line");
  EXPECT_NE(rec.note.find("straight-line estimates"), std::string::npos);
  ASSERT_EQ(rec.chosen.size(), 1u);
}

}  // namespace
}  // namespace ncc::dispatch
