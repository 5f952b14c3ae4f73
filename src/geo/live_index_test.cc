#include "geo/live_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

namespace ncc::geo {
namespace {

constexpr LatLon kDoha{25.2854, 51.5310};

LatLon Offset(LatLon p, double north_m, double east_m) {
  return {p.lat + north_m / 111195.0, p.lon + east_m / (111195.0 * std::cos(p.lat * M_PI / 180))};
}

std::vector<Neighbor> BruteNearest(const std::vector<std::pair<UnitId, LatLon>>& units,
                                   const std::vector<uint8_t>& attrs, LatLon q, size_t k,
                                   UnitFilter f) {
  std::vector<Neighbor> all;
  for (size_t i = 0; i < units.size(); ++i)
    if (f.Matches(attrs[i])) all.push_back({units[i].first, DistanceMeters(q, units[i].second)});
  std::sort(all.begin(), all.end(), [](const Neighbor& a, const Neighbor& b) {
    return a.meters != b.meters ? a.meters < b.meters : a.unit < b.unit;
  });
  if (all.size() > k) all.resize(k);
  return all;
}

TEST(LiveIndex, NearestEqualsBruteForceOnRandomData) {
  std::mt19937_64 rng(42);
  // Doha with three cell sizes, then far north (Tromso) where degrees of longitude are short.
  for (auto [cell, centre] :
       {std::pair{100.0, kDoha}, {500.0, kDoha}, {5000.0, kDoha}, {500.0, LatLon{69.65, 18.96}}}) {
    LiveIndex index({.cell_meters = cell, .reference_lat = centre.lat});
    std::vector<std::pair<UnitId, LatLon>> units;
    std::vector<uint8_t> attrs;
    std::uniform_real_distribution<double> d(-20000, 20000);
    for (uint64_t i = 1; i <= 3000; ++i) {
      // Clusters and sparse outliers both, so rings of every size get walked.
      LatLon p =
          i % 10 == 0 ? Offset(kDoha, d(rng) * 10, d(rng) * 10) : Offset(kDoha, d(rng), d(rng));
      units.push_back({UnitId{i}, p});
      attrs.push_back(static_cast<uint8_t>(rng() & 3));
      ASSERT_EQ(index.Update(UnitId{i}, p, Time{1000}), FixOutcome::kAccepted);
      index.SetAttributes(UnitId{i}, attrs.back());
    }
    for (int q = 0; q < 200; ++q) {
      LatLon c =
          q % 20 == 0 ? Offset(kDoha, d(rng) * 30, d(rng) * 30) : Offset(kDoha, d(rng), d(rng));
      size_t k = 1 + rng() % 25;
      UnitFilter f{.require_all = static_cast<uint8_t>(q % 3 == 0 ? 1 : 0)};
      auto got = index.Nearest(c, k, f);
      auto want = BruteNearest(units, attrs, c, k, f);
      ASSERT_EQ(got.size(), want.size())
          << "cell " << cell << " centre " << centre.lat << " query " << q << " k " << k;
      for (size_t i = 0; i < got.size(); ++i) {
        EXPECT_EQ(got[i].unit, want[i].unit) << "cell " << cell << " query " << q << " rank " << i;
        EXPECT_DOUBLE_EQ(got[i].meters, want[i].meters);
      }
    }
  }
}

TEST(LiveIndex, NearestWithFewerUnitsThanK) {
  LiveIndex index;
  EXPECT_TRUE(index.Nearest(kDoha, 5).empty());
  ASSERT_EQ(index.Update(UnitId{1}, Offset(kDoha, 100000, 0), Time{1}), FixOutcome::kAccepted);
  ASSERT_EQ(index.Update(UnitId{2}, Offset(kDoha, 0, -300000), Time{1}), FixOutcome::kAccepted);
  auto got = index.Nearest(kDoha, 5);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].unit, UnitId{1});
}

TEST(LiveIndex, OutOfOrderAndDuplicateFixesNeverOverwriteNewer) {
  LiveIndex index;
  UnitId u{7};
  EXPECT_EQ(index.Update(u, kDoha, Time{10'000}), FixOutcome::kAccepted);
  LatLon moved = Offset(kDoha, 50, 0);
  EXPECT_EQ(index.Update(u, moved, Time{5'000}), FixOutcome::kStaleOlder);
  EXPECT_EQ(index.Update(u, moved, Time{10'000}), FixOutcome::kDuplicate);
  EXPECT_EQ(index.Get(u)->position, kDoha);
  EXPECT_EQ(index.Update(u, moved, Time{12'000}), FixOutcome::kAccepted);
  EXPECT_EQ(index.Get(u)->position, moved);
  EXPECT_EQ(index.Get(u)->time.ms, 12'000);
}

TEST(LiveIndex, ImpossibleJumpIsHeldBackThenConfirmedOrRefuted) {
  LiveIndex index({.max_speed_mps = 100, .jump_tolerance_m = 100});
  UnitId u{1};
  ASSERT_EQ(index.Update(u, kDoha, Time{0}), FixOutcome::kAccepted);
  // 50 km in 10 s: 5000 m/s.
  LatLon far = Offset(kDoha, 50000, 0);
  EXPECT_EQ(index.Update(u, far, Time{10'000}), FixOutcome::kImpossibleJump);
  EXPECT_TRUE(index.Get(u)->suspect);
  EXPECT_EQ(index.Get(u)->position, kDoha);  // index keeps the trusted fix
  EXPECT_EQ(index.Get(u)->last_seen.ms, 10'000);
  EXPECT_TRUE(index.Nearest(kDoha, 1).empty());  // suspect units are not offered
  // Outlier refuted: the next fix is near the trusted one.
  LatLon near = Offset(kDoha, 200, 0);
  EXPECT_EQ(index.Update(u, near, Time{20'000}), FixOutcome::kAccepted);
  EXPECT_FALSE(index.Get(u)->suspect);
  // A real relocation: two consistent fixes far away confirm it.
  EXPECT_EQ(index.Update(u, far, Time{30'000}), FixOutcome::kImpossibleJump);
  EXPECT_EQ(index.Update(u, Offset(far, 300, 0), Time{40'000}), FixOutcome::kAccepted);
  EXPECT_FALSE(index.Get(u)->suspect);
  EXPECT_EQ(index.Nearest(far, 1).at(0).unit, u);
  // GPS noise on a fast clock is not a jump.
  EXPECT_EQ(index.Update(u, Offset(far, 350, 0), Time{40'001}), FixOutcome::kAccepted);
}

TEST(LiveIndex, RestorePutsAUnitBackExactly) {
  LiveIndex index({.max_speed_mps = 100, .jump_tolerance_m = 100});
  UnitId u{1}, v{2}, fresh{3};
  ASSERT_EQ(index.Update(u, kDoha, Time{1'000}, 4.0f), FixOutcome::kAccepted);
  ASSERT_EQ(index.Update(v, kDoha, Time{1'000}), FixOutcome::kAccepted);
  index.SetAttributes(u, 5);
  LatLon far = Offset(kDoha, 50'000, 0);
  ASSERT_EQ(index.Update(u, far, Time{2'000}), FixOutcome::kImpossibleJump);  // held back
  auto saved_u = index.Save(u), saved_fresh = index.Save(fresh);
  const UnitPosition before = *index.Get(u);
  // What a failed group did: the jump confirmed (the unit moved cells), a new unit appeared.
  ASSERT_EQ(index.Update(u, Offset(far, 300, 0), Time{20'000}), FixOutcome::kAccepted);
  ASSERT_EQ(index.Update(fresh, kDoha, Time{3'000}), FixOutcome::kAccepted);
  index.Restore(saved_u);
  index.Restore(saved_fresh);
  const UnitPosition after = *index.Get(u);
  EXPECT_EQ(after.position, before.position);
  EXPECT_EQ(after.time, before.time);
  EXPECT_EQ(after.last_seen, before.last_seen);
  EXPECT_TRUE(after.suspect);
  EXPECT_EQ(after.attrs, 5);
  EXPECT_FALSE(index.Get(fresh).has_value());
  EXPECT_EQ(index.size(), 2u);
  EXPECT_TRUE(index.Nearest(far, 5).empty() ||
              index.Nearest(far, 5).front().unit != u);  // not where the refused fix put it
  auto near_doha = index.Nearest(kDoha, 5);
  ASSERT_EQ(near_doha.size(), 1u);  // u is back in Doha's cell but suspect, so only v
  EXPECT_EQ(near_doha[0].unit, v);
  // The held-back jump is still pending: the same confirming fix is accepted again.
  EXPECT_EQ(index.Update(u, Offset(far, 300, 0), Time{20'000}), FixOutcome::kAccepted);
  EXPECT_EQ(index.Nearest(far, 1).at(0).unit, u);
}

TEST(LiveIndex, RejectsInvalidFixes) {
  LiveIndex index;
  EXPECT_EQ(index.Update(UnitId{}, kDoha, Time{1}), FixOutcome::kInvalid);
  EXPECT_EQ(index.Update(UnitId{1}, {91, 0}, Time{1}), FixOutcome::kInvalid);
  EXPECT_EQ(index.Update(UnitId{1}, {NAN, 0}, Time{1}), FixOutcome::kInvalid);
  EXPECT_EQ(index.size(), 0u);
}

TEST(LiveIndex, RadiusPolygonAndRemove) {
  LiveIndex index({.cell_meters = 200, .reference_lat = kDoha.lat});
  for (uint64_t i = 1; i <= 100; ++i)
    ASSERT_EQ(index.Update(UnitId{i}, Offset(kDoha, 0, static_cast<double>(i) * 100), Time{1}),
              FixOutcome::kAccepted);
  auto r = index.WithinRadius(kDoha, 1050);
  ASSERT_EQ(r.size(), 10u);
  EXPECT_EQ(r.front().unit, UnitId{1});
  EXPECT_EQ(r.back().unit, UnitId{10});
  Polygon box(Ring({Offset(kDoha, -50, 450), Offset(kDoha, -50, 1250), Offset(kDoha, 50, 1250),
                    Offset(kDoha, 50, 450)}),
              {});
  auto in = index.WithinPolygon(box);
  ASSERT_EQ(in.size(), 8u);  // units 5..12
  EXPECT_EQ(in.front(), UnitId{5});
  EXPECT_TRUE(index.Remove(UnitId{5}));
  EXPECT_FALSE(index.Remove(UnitId{5}));
  EXPECT_EQ(index.WithinPolygon(box).size(), 7u);
  EXPECT_FALSE(index.Get(UnitId{5}));
  EXPECT_EQ(index.Get(UnitId{100})->position, Offset(kDoha, 0, 10000));  // moved slot still right
  EXPECT_EQ(index.Nearest(Offset(kDoha, 0, 10000), 1).at(0).unit, UnitId{100});
}

TEST(LiveIndex, StaleListsUnitsWithoutRecentFix) {
  LiveIndex index;
  ASSERT_EQ(index.Update(UnitId{1}, kDoha, Time{100'000}), FixOutcome::kAccepted);
  ASSERT_EQ(index.Update(UnitId{2}, kDoha, Time{10'000}), FixOutcome::kAccepted);
  index.SetAttributes(UnitId{3}, 1);  // registered, never reported
  auto stale = index.Stale(Time{130'000}, 60'000);
  EXPECT_EQ(stale, (std::vector<UnitId>{UnitId{2}, UnitId{3}}));
  auto all = index.All();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].time.ms, 100'000);
  EXPECT_EQ(all[2].unit, UnitId{3});
  EXPECT_EQ(all[2].attrs, 1);
}

TEST(LiveIndex, UnitsMovingAcrossCellsStayFindable) {
  LiveIndex index({.cell_meters = 100, .reference_lat = kDoha.lat});
  std::mt19937 rng(1);
  std::vector<LatLon> pos(500, kDoha);
  for (int step = 1; step <= 40; ++step)
    for (uint64_t i = 0; i < pos.size(); ++i) {
      pos[i] = Offset(pos[i], static_cast<double>(rng() % 81) - 40,
                      static_cast<double>(rng() % 81) - 40);
      ASSERT_EQ(index.Update(UnitId{i + 1}, pos[i], Time{step * 1000}), FixOutcome::kAccepted);
    }
  for (uint64_t i = 0; i < pos.size(); ++i) {
    auto r = index.WithinRadius(pos[i], 0.01);
    ASSERT_FALSE(r.empty());
    bool found =
        std::any_of(r.begin(), r.end(), [&](const Neighbor& n) { return n.unit == UnitId{i + 1}; });
    EXPECT_TRUE(found);
  }
}

}  // namespace
}  // namespace ncc::geo
