#include "auth/rate_limiter.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace ncc::auth {

RateLimiter::RateLimiter(const Clock& clock, RateLimit limit, size_t max_keys)
    : clock_(clock), limit_(limit), max_keys_(max_keys) {}

RateDecision RateLimiter::Take(std::string_view key, double cost) {
  const int64_t now = clock_.Now().ms;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = buckets_.find(std::string(key));
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_keys_) Prune(now);
    it = buckets_.emplace(std::string(key), Bucket{limit_.burst, now}).first;
  }
  Bucket& b = it->second;
  // A clock that steps back must not mint tokens, hence max(0, ...).
  double elapsed_s = static_cast<double>(std::max<int64_t>(0, now - b.last_ms)) / 1000.0;
  b.tokens = std::min(limit_.burst, b.tokens + elapsed_s * limit_.per_second);
  b.last_ms = std::max(b.last_ms, now);
  if (b.tokens >= cost) {
    b.tokens -= cost;
    return {true, 0};
  }
  double wait_s = limit_.per_second > 0 ? (cost - b.tokens) / limit_.per_second : 3600;
  return {false, std::max(1, static_cast<int>(std::ceil(wait_s)))};
}

Status RateLimiter::Check(std::string_view key, double cost) {
  RateDecision d = Take(key, cost);
  if (d.allowed) return Status::Ok();
  return ResourceExhausted("rate limit exceeded; retry after " + std::to_string(d.retry_after_s) +
                           " s");
}

size_t RateLimiter::KeyCount() const {
  std::lock_guard<std::mutex> lock(mu_);
  return buckets_.size();
}

void RateLimiter::Prune(int64_t now_ms) {
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    double elapsed_s =
        static_cast<double>(std::max<int64_t>(0, now_ms - it->second.last_ms)) / 1000.0;
    if (it->second.tokens + elapsed_s * limit_.per_second >= limit_.burst)
      it = buckets_.erase(it);
    else
      ++it;
  }
  // Under a flood of distinct keys nothing may be full: drop the least recently used half
  // rather than grow (or forget everyone at once, which would hand the flooder a fresh bucket).
  if (buckets_.size() < max_keys_) return;
  std::vector<std::pair<int64_t, std::string>> by_age;
  by_age.reserve(buckets_.size());
  for (const auto& [key, b] : buckets_) by_age.emplace_back(b.last_ms, key);
  const size_t drop = by_age.size() / 2 + 1;
  std::nth_element(by_age.begin(), by_age.begin() + static_cast<ptrdiff_t>(drop - 1), by_age.end());
  for (size_t i = 0; i < drop; ++i) buckets_.erase(by_age[i].second);
}

}  // namespace ncc::auth
