// The sign-in throttle: how fast one address and one username may try passwords, apart from
// the general request limit (`--rate`/`--burst`), which is sized for API traffic and would let a
// guesser through. Two token buckets (see RateLimiter):
//   - per address: a login or a refresh takes one token from "ip:<address>" before any work;
//   - per username: a login also takes one from the name it tries, whether or not the account
//     exists (so the answer tells nothing about which names are real).
// The lock-out of CredentialStore stays: it counts wrong passwords of one account, while these
// buckets bound the rate of attempts of any kind, from anyone, at any name. Thread-safe.
#pragma once

#include <string_view>

#include "auth/clock.h"
#include "auth/rate_limiter.h"

namespace ncc::auth {

struct LoginThrottlePolicy {
  // A control room behind one NAT address signs in together at shift change: 60 at once, then
  // one a second (3,600 an hour). A guesser from one address gets no more than that.
  RateLimit per_address{1.0, 60};
  // One person mistyping needs a handful; 10 at once, then one every 10 s (360 an hour, before
  // the account's own lock-out, which stops a guesser after 5 wrong passwords anyway).
  RateLimit per_username{0.1, 10};
};

class LoginThrottle {
 public:
  // Borrows `clock`, which must outlive the throttle.
  explicit LoginThrottle(const Clock& clock, LoginThrottlePolicy policy = {});

  // Before any password work: OK, or kRateLimited "too many sign-in attempts; retry
  // after N s" (see RetryAfterSeconds). The address bucket is checked first; when it refuses,
  // the username bucket is left untouched.
  Status TakeAddress(std::string_view address);
  Status TakeUsername(std::string_view username);

  const LoginThrottlePolicy& policy() const { return policy_; }

 private:
  LoginThrottlePolicy policy_;
  RateLimiter by_address_;
  RateLimiter by_username_;
};

}  // namespace ncc::auth
