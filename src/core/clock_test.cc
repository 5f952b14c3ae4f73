#include "core/clock.h"

#include <gtest/gtest.h>

namespace ncc {
namespace {

// The wall clock set back two hours (a bad NTP step, a restored VM): the server's clock keeps
// counting from where it was, so SLA timers neither stall for two hours nor fire twice; a step
// forward is followed at once.
TEST(MonotonicWallClock, CountsOnAcrossABackwardStepAndFollowsAForwardOne) {
  int64_t wall = 1'800'000'000'000, steady = 5'000;
  MonotonicWallClock clock([&] { return wall; }, [&] { return steady; });
  EXPECT_EQ(clock.Now().ms, wall);
  wall += 1'000, steady += 1'000;
  EXPECT_EQ(clock.Now().ms, 1'800'000'001'000);

  wall -= 2 * 3600 * 1000;  // set back
  steady += 500;
  EXPECT_EQ(clock.Now().ms, 1'800'000'001'500);
  wall += 10'000, steady += 10'000;
  EXPECT_EQ(clock.Now().ms, 1'800'000'011'500);

  wall = 1'800'000'100'000;  // set forward past where it counted
  steady += 1;
  EXPECT_EQ(clock.Now().ms, 1'800'000'100'000);

  clock.Seed(Time{1'900'000'000'000});  // the log's last event is later still
  EXPECT_EQ(clock.Now().ms, 1'900'000'000'000);
  clock.Seed(Time{1});  // a floor never moves it back
  EXPECT_GE(clock.Now().ms, 1'900'000'000'000);
}

}  // namespace
}  // namespace ncc
