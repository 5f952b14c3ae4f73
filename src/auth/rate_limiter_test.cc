#include "auth/rate_limiter.h"

#include <gtest/gtest.h>

#include "auth/credential_store.h"

namespace ncc::auth {
namespace {

TEST(AuthRateLimiter, BurstThenRefill) {
  ManualClock clock;
  RateLimiter limiter(clock, {2, 5});
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(limiter.Take("user:anna").allowed) << i;
  RateDecision d = limiter.Take("user:anna");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after_s, 1);
  clock.AdvanceSeconds(0.5);  // one token back at 2/s
  EXPECT_TRUE(limiter.Take("user:anna").allowed);
  EXPECT_FALSE(limiter.Take("user:anna").allowed);
  clock.AdvanceSeconds(100);  // refills to the burst, not beyond
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(limiter.Take("user:anna").allowed);
  EXPECT_FALSE(limiter.Take("user:anna").allowed);
}

TEST(AuthRateLimiter, KeysAreIndependent) {
  ManualClock clock;
  RateLimiter limiter(clock, {1, 1});
  EXPECT_TRUE(limiter.Take("ip:10.0.0.1").allowed);
  EXPECT_FALSE(limiter.Take("ip:10.0.0.1").allowed);
  EXPECT_TRUE(limiter.Take("ip:10.0.0.2").allowed);
  EXPECT_TRUE(limiter.Take("user:10.0.0.1").allowed);
}

TEST(AuthRateLimiter, RetryAfterForSlowLimitsAndStatus) {
  ManualClock clock;
  RateLimiter limiter(clock, {0.1, 1});  // one per 10 s
  EXPECT_TRUE(limiter.Check("login:anna").ok());
  Status s = limiter.Check("login:anna");
  EXPECT_EQ(s.code(), StatusCode::kRateLimited);
  EXPECT_EQ(RetryAfterSeconds(s), 10) << s.message();
  clock.AdvanceSeconds(4);
  EXPECT_EQ(limiter.Take("login:anna").retry_after_s, 6);
}

TEST(AuthRateLimiter, ClockGoingBackMintsNothing) {
  ManualClock clock;
  RateLimiter limiter(clock, {1, 1});
  EXPECT_TRUE(limiter.Take("k").allowed);
  clock.AdvanceSeconds(-3600);
  EXPECT_FALSE(limiter.Take("k").allowed);
}

TEST(AuthRateLimiter, MemoryStaysBounded) {
  ManualClock clock;
  RateLimiter slow(clock, {0.001, 2}, 100);  // nothing refills: pruning must evict the oldest
  for (int i = 0; i < 1000; ++i) {
    (void)slow.Take("ip:" + std::to_string(i));
    clock.Advance(1);
  }
  EXPECT_LE(slow.KeyCount(), 100u);
  // The newest key kept its state: one of its two tokens is already spent.
  EXPECT_TRUE(slow.Take("ip:999").allowed);
  EXPECT_FALSE(slow.Take("ip:999").allowed);
}

TEST(AuthRateLimiter, FullBucketsAreDroppedFirst) {
  ManualClock clock;
  RateLimiter limiter(clock, {1, 2}, 3);
  EXPECT_TRUE(limiter.Take("busy", 2).allowed);
  EXPECT_TRUE(limiter.Take("idle").allowed);
  clock.AdvanceSeconds(1);  // idle is full again, busy holds 1
  EXPECT_TRUE(limiter.Take("busy").allowed);
  (void)limiter.Take("x");
  (void)limiter.Take("y");  // at the limit: idle (full, so it knows nothing) goes
  EXPECT_EQ(limiter.KeyCount(), 3u);
  EXPECT_FALSE(limiter.Take("busy").allowed) << "busy kept its empty bucket";
}

TEST(AuthRateLimiter, RequestNeedsBothUserAndAddress) {
  ManualClock clock;
  RateLimiter limiter(clock, {1, 2});
  EXPECT_TRUE(limiter.TakeForRequest("anna", "10.0.0.1").allowed);
  EXPECT_TRUE(limiter.TakeForRequest("anna", "10.0.0.2").allowed);
  // anna is out of tokens: refused from a third address, whose bucket is not charged.
  RateDecision d = limiter.TakeForRequest("anna", "10.0.0.3");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after_s, 1);
  EXPECT_TRUE(limiter.TakeForRequest("bert", "10.0.0.3").allowed);
  EXPECT_TRUE(limiter.TakeForRequest("bert", "10.0.0.3").allowed);
  EXPECT_FALSE(limiter.TakeForRequest("carl", "10.0.0.3").allowed) << "the address is spent";
  EXPECT_FALSE(limiter.TakeForRequest("", "10.0.0.3").allowed);
  EXPECT_TRUE(limiter.TakeForRequest("", "10.0.0.9").allowed);
}

TEST(AuthRateLimiter, AddressKeys) {
  EXPECT_EQ(IpRateKey("192.0.2.7"), "ip:192.0.2.7");
  EXPECT_EQ(IpRateKey("::ffff:192.0.2.7"), "ip:192.0.2.7");
  EXPECT_EQ(IpRateKey("2001:db8:1:2:aaaa::1"), "ip6:20010db800010002");
  EXPECT_EQ(IpRateKey("2001:db8:1:2:bbbb::9"), IpRateKey("2001:db8:1:2::1")) << "same /64";
  EXPECT_EQ(IpRateKey("not an address"), "ip?:not an address");
}

}  // namespace
}  // namespace ncc::auth
