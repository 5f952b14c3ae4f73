// Token-bucket rate limits, keyed by whatever the caller chooses ("user:alice", "ip:10.0.0.7",
// "login:alice"). Each key holds up to `burst` tokens, refilled at `per_second`; a request
// takes one. Memory is bounded: beyond `max_keys`, buckets that have refilled completely are
// dropped (they hold no information), then if need be the least recently used half. Thread-safe:
// any thread may call.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "auth/clock.h"
#include "core/status.h"
#include "core/thread_annotations.h"

namespace ncc::auth {

struct RateLimit {
  double per_second = 10;
  double burst = 20;
};

struct RateDecision {
  bool allowed = true;
  int retry_after_s = 0;  // when refused: whole seconds until one token is back (>= 1)
};

class RateLimiter {
 public:
  // Borrows `clock`, which must outlive the limiter.
  RateLimiter(const Clock& clock, RateLimit limit, size_t max_keys = 100'000);

  RateDecision Take(std::string_view key, double cost = 1) EXCLUDES(mu_);
  // One request of a signed-in user from an address: both buckets must allow it, and a token
  // is taken from both only then. `user` may be empty (not signed in yet).
  RateDecision TakeForRequest(std::string_view user, std::string_view ip_address) EXCLUDES(mu_);
  // OK, or kRateLimited "rate limit exceeded; retry after N s" (see RetryAfterSeconds).
  Status Check(std::string_view key, double cost = 1) EXCLUDES(mu_);
  size_t KeyCount() const EXCLUDES(mu_);

 private:
  struct Bucket {
    double tokens;
    int64_t last_ms;
  };
  Bucket& Refilled(const std::string& key, int64_t now_ms) REQUIRES(mu_);
  void Prune(int64_t now_ms, size_t needed) REQUIRES(mu_);  // frees `needed`
  RateDecision Refusal(const Bucket& b, double cost) const;

  const Clock& clock_;
  const RateLimit limit_;
  const size_t max_keys_;
  mutable Mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_ GUARDED_BY(mu_);
};

// The bucket key of a client address: "ip:<IPv4>" (IPv4-mapped IPv6 included), and for IPv6
// "ip6:<first 64 bits in hex>", since one host commonly holds a whole /64. Anything that does
// not parse stays as given, prefixed "ip?:".
std::string IpRateKey(std::string_view address);

}  // namespace ncc::auth
