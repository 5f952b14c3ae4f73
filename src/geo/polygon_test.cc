#include "geo/polygon.h"

#include <gtest/gtest.h>

#include <random>

namespace ncc::geo {
namespace {

// A 10x10 degree square with a 4x4 hole in the middle.
Polygon SquareWithHole() {
  Ring outer({{0, 0}, {0, 10}, {10, 10}, {10, 0}, {0, 0}});
  Ring hole({{3, 3}, {3, 7}, {7, 7}, {7, 3}});
  return Polygon(std::move(outer), {std::move(hole)});
}

TEST(Polygon, ContainsHonoursHoles) {
  Polygon p = SquareWithHole();
  EXPECT_TRUE(p.Contains({1, 1}));
  EXPECT_TRUE(p.Contains({9, 5}));
  EXPECT_FALSE(p.Contains({5, 5}));  // in the hole
  EXPECT_FALSE(p.Contains({11, 5}));
  EXPECT_FALSE(p.Contains({-0.1, 5}));
}

TEST(Polygon, ConcaveRingMatchesPlainRayCasting) {
  // A comb: many teeth, so the banded edge index is exercised against the textbook test.
  std::vector<LatLon> pts;
  for (int i = 0; i < 50; ++i) {
    pts.push_back({0, i * 2.0 / 10});
    pts.push_back({5, i * 2.0 / 10});
    pts.push_back({5, (i * 2.0 + 1) / 10});
    pts.push_back({1, (i * 2.0 + 1) / 10});
  }
  pts.push_back({0, 10});
  Ring ring(pts);
  auto plain = [&](LatLon p) {
    bool in = false;
    for (size_t i = 0, j = pts.size() - 1; i < pts.size(); j = i++)
      if ((pts[i].lat > p.lat) != (pts[j].lat > p.lat) &&
          p.lon < pts[i].lon +
                      (p.lat - pts[i].lat) * (pts[j].lon - pts[i].lon) / (pts[j].lat - pts[i].lat))
        in = !in;
    return in;
  };
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> lat(-1, 6), lon(-1, 11);
  int inside = 0;
  for (int i = 0; i < 20000; ++i) {
    LatLon p{lat(rng), lon(rng)};
    ASSERT_EQ(ring.Contains(p), plain(p)) << p.lat << "," << p.lon;
    inside += plain(p);
  }
  EXPECT_GT(inside, 1000);
}

TEST(Polygon, DegenerateRingContainsNothing) {
  Ring r({{0, 0}, {1, 1}});
  EXPECT_FALSE(r.Contains({0.5, 0.5}));
}

}  // namespace
}  // namespace ncc::geo
