#include "auth/login_throttle.h"

#include <gtest/gtest.h>

#include "auth/credential_store.h"

namespace ncc::auth {
namespace {

TEST(AuthLoginThrottle, DefaultsAreTheDocumentedRates) {
  ManualClock clock;
  LoginThrottle throttle(clock);
  EXPECT_EQ(throttle.policy().per_address.burst, 60);
  EXPECT_EQ(throttle.policy().per_address.per_second, 1.0);
  EXPECT_EQ(throttle.policy().per_username.burst, 10);
  EXPECT_EQ(throttle.policy().per_username.per_second, 0.1);
}

TEST(AuthLoginThrottle, OneAddressIsRefusedAfterItsBurst) {
  ManualClock clock;
  LoginThrottle throttle(clock);
  for (int i = 0; i < 60; ++i) ASSERT_TRUE(throttle.TakeAddress("10.0.0.7").ok()) << i;
  Status refused = throttle.TakeAddress("10.0.0.7");
  EXPECT_EQ(refused.code(), StatusCode::kRateLimited);
  EXPECT_EQ(RetryAfterSeconds(refused), 1) << refused.message();
  EXPECT_NE(refused.message().find("too many sign-in attempts"), std::string::npos);
  // Another address has its own bucket, and an IPv4-mapped IPv6 address is the same host.
  EXPECT_TRUE(throttle.TakeAddress("10.0.0.8").ok());
  EXPECT_FALSE(throttle.TakeAddress("::ffff:10.0.0.7").ok());
  clock.AdvanceSeconds(1);
  EXPECT_TRUE(throttle.TakeAddress("10.0.0.7").ok());
  EXPECT_FALSE(throttle.TakeAddress("10.0.0.7").ok());
}

TEST(AuthLoginThrottle, OneUsernameIsRefusedAfterItsBurstKnownOrNot) {
  ManualClock clock;
  LoginThrottle throttle(clock);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(throttle.TakeUsername("anna").ok()) << i;
  Status refused = throttle.TakeUsername("anna");
  EXPECT_EQ(refused.code(), StatusCode::kRateLimited);
  EXPECT_EQ(RetryAfterSeconds(refused), 10) << refused.message();
  EXPECT_TRUE(throttle.TakeUsername("bert").ok());
  clock.AdvanceSeconds(10);
  EXPECT_TRUE(throttle.TakeUsername("anna").ok());
}

TEST(AuthLoginThrottle, IndependentOfTheRequestLimit) {
  // The server's request limiter may be set very high (tests use 100000/s); the throttle keeps
  // its own policy whatever that is.
  ManualClock clock;
  LoginThrottle throttle(clock, {{0.5, 3}, {0.2, 2}});
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(throttle.TakeAddress("192.0.2.1").ok());
  EXPECT_EQ(RetryAfterSeconds(throttle.TakeAddress("192.0.2.1")), 2);
  for (int i = 0; i < 2; ++i) EXPECT_TRUE(throttle.TakeUsername("x").ok());
  EXPECT_EQ(RetryAfterSeconds(throttle.TakeUsername("x")), 5);
}

}  // namespace
}  // namespace ncc::auth
