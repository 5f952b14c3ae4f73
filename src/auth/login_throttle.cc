#include "auth/login_throttle.h"

#include <string>

namespace ncc::auth {

namespace {

Status Refused(const RateDecision& d) {
  return RateLimited("too many sign-in attempts; retry after " + std::to_string(d.retry_after_s) +
                     " s");
}

}  // namespace

LoginThrottle::LoginThrottle(const Clock& clock, LoginThrottlePolicy policy)
    : policy_(policy),
      by_address_(clock, policy.per_address),
      by_username_(clock, policy.per_username) {}

Status LoginThrottle::TakeAddress(std::string_view address) {
  RateDecision d = by_address_.Take(IpRateKey(address));
  return d.allowed ? Status::Ok() : Refused(d);
}

Status LoginThrottle::TakeUsername(std::string_view username) {
  RateDecision d = by_username_.Take("user:" + std::string(username));
  return d.allowed ? Status::Ok() : Refused(d);
}

}  // namespace ncc::auth
