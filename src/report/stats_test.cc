#include "report/stats.h"

#include <gtest/gtest.h>

namespace ncc::report {
namespace {

TEST(Percentile, IsTheNearestRankAndAnObservedValue) {
  EXPECT_EQ(Percentile({4, 1, 3, 2}, 50), 2);                                // ceil(0.5 * 4) = 2nd
  EXPECT_EQ(Percentile({4, 1, 3, 2}, 90), 4);                                // ceil(0.9 * 4) = 4th
  EXPECT_EQ(Percentile({10, 20, 30, 40, 50, 60, 70, 80, 90, 100}, 90), 90);  // the 9th of ten
  EXPECT_EQ(Percentile({10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110}, 90), 100);  // ceil(9.9)
  EXPECT_EQ(Percentile({7}, 1), 7);
  EXPECT_EQ(Percentile({3, 1, 2}, 100), 3);
  EXPECT_FALSE(Percentile({}, 50).has_value());
}

TEST(Percentile, NothingIsTrimmed) {
  // One outlier among ten moves P90 only if it is within the top 10 %: the 9th value here.
  std::vector<double> v = {1, 1, 1, 1, 1, 1, 1, 1, 500, 100000};
  EXPECT_EQ(Percentile(v, 90), 500);
}

TEST(PercentWithin, CountsValuesAtOrBelowTheLimit) {
  EXPECT_EQ(PercentWithin({100, 240, 241, 300}, 240), 50);
  EXPECT_FALSE(PercentWithin({}, 240).has_value());
}

TEST(Bootstrap, IsDeterministicForTheSameSeedAndLabel) {
  std::vector<double> v;
  for (int i = 0; i < 200; ++i) v.push_back((i * 37) % 101);
  BootstrapOptions o{7, 500};
  auto a = BootstrapPercentile(v, 90, o, "all/travel");
  auto b = BootstrapPercentile(v, 90, o, "all/travel");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->low, b->low);
  EXPECT_EQ(a->high, b->high);
  EXPECT_LE(a->low, *Percentile(v, 90));
  EXPECT_GE(a->high, *Percentile(v, 90));
  EXPECT_LT(a->low, a->high);
  // Another stream gives other resamples (the interval bounds are observed values, so compare
  // the stream itself).
  EXPECT_NE(StreamSeed(7, "all/travel"), StreamSeed(7, "all/turnout"));
  EXPECT_NE(StreamSeed(7, "all/travel"), StreamSeed(8, "all/travel"));
}

TEST(Bootstrap, ConstantSamplesGiveAPointAndNoResamplesGiveNone) {
  auto c = BootstrapPercentile({5, 5, 5, 5}, 50, {1, 100}, "x");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->low, 5);
  EXPECT_EQ(c->high, 5);
  EXPECT_FALSE(BootstrapPercentile({1, 2}, 50, {1, 0}, "x"));
  EXPECT_FALSE(BootstrapPercentile({}, 50, {1, 100}, "x"));
}

TEST(Bootstrap, DifferenceOfShiftedRunsCentresOnTheShift) {
  std::vector<double> a, b;
  for (int i = 0; i < 300; ++i) {
    a.push_back(100 + (i * 53) % 97);
    b.push_back(a.back() - 20);
  }
  auto d = BootstrapPercentileDifference(a, b, 90, {3, 400}, "all/travel/p90");
  ASSERT_TRUE(d);
  EXPECT_LE(d->low, -20 + 1e-9);
  EXPECT_GE(d->high, -20 - 1e-9);
  EXPECT_LT(d->high, 0);  // clearly faster
}

// The interval drawn through the Beta order statistic matches one from resamples built the
// long way (n draws with replacement, then the nearest rank), up to Monte Carlo noise.
TEST(Bootstrap, MatchesResamplingTheLongWay) {
  std::vector<double> v;
  for (int i = 0; i < 200; ++i) v.push_back(i);  // value = rank - 1
  constexpr int kResamples = 4000;
  SplitMix64 rng(99);
  std::vector<double> stats;
  for (int b = 0; b < kResamples; ++b) {
    std::vector<double> r;
    for (size_t i = 0; i < v.size(); ++i) r.push_back(v[rng.Below(v.size())]);
    stats.push_back(*Percentile(r, 90));
  }
  auto fast = BootstrapPercentile(v, 90, {5, kResamples}, "x");
  ASSERT_TRUE(fast);
  EXPECT_NEAR(fast->low, *Percentile(stats, 2.5), 2);
  EXPECT_NEAR(fast->high, *Percentile(stats, 97.5), 2);
  EXPECT_GT(fast->high - fast->low, 10);  // a real spread, not a point
}

TEST(SplitMix64, BelowStaysInRange) {
  SplitMix64 rng(42);
  for (int i = 0; i < 10000; ++i) EXPECT_LT(rng.Below(7), 7u);
}

}  // namespace
}  // namespace ncc::report
