#include "auth/rate_limiter.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace ncc::auth {

RateLimiter::RateLimiter(const Clock& clock, RateLimit limit, size_t max_keys)
    : clock_(clock), limit_(limit), max_keys_(max_keys) {}

RateLimiter::Bucket& RateLimiter::Refilled(const std::string& key, int64_t now) {
  // Never prunes: callers make room first, so references handed out stay valid.
  Bucket& b = buckets_.try_emplace(key, Bucket{limit_.burst, now}).first->second;
  // A clock that steps back must not mint tokens, hence max(0, ...).
  double elapsed_s = static_cast<double>(std::max<int64_t>(0, now - b.last_ms)) / 1000.0;
  b.tokens = std::min(limit_.burst, b.tokens + elapsed_s * limit_.per_second);
  b.last_ms = std::max(b.last_ms, now);
  return b;
}

RateDecision RateLimiter::Refusal(const Bucket& b, double cost) const {
  double wait_s = limit_.per_second > 0 ? (cost - b.tokens) / limit_.per_second : 3600;
  return {false, std::max(1, static_cast<int>(std::ceil(wait_s)))};
}

RateDecision RateLimiter::Take(std::string_view key, double cost) {
  const int64_t now = clock_.Now().ms;
  MutexLock lock(mu_);
  const std::string k(key);
  if (!buckets_.contains(k) && buckets_.size() + 1 > max_keys_) Prune(now, 1);
  Bucket& b = Refilled(k, now);
  if (b.tokens < cost) return Refusal(b, cost);
  b.tokens -= cost;
  return {true, 0};
}

RateDecision RateLimiter::TakeForRequest(std::string_view user, std::string_view ip_address) {
  const int64_t now = clock_.Now().ms;
  // Every request of every I/O thread passes here: the keys (an address parse, two strings)
  // are made before the lock, which then covers only the two buckets.
  const std::string ip_key = IpRateKey(ip_address);
  const std::string user_key = user.empty() ? std::string() : "user:" + std::string(user);
  MutexLock lock(mu_);
  const size_t missing =
      !buckets_.contains(ip_key) + (!user.empty() && !buckets_.contains(user_key));
  if (buckets_.size() + missing > max_keys_) Prune(now, missing);
  Bucket& ip_b = Refilled(ip_key, now);
  if (user.empty()) {
    if (ip_b.tokens < 1) return Refusal(ip_b, 1);
    ip_b.tokens -= 1;
    return {true, 0};
  }
  Bucket& user_b = Refilled(user_key, now);
  if (ip_b.tokens < 1 || user_b.tokens < 1) {
    RateDecision a = ip_b.tokens < 1 ? Refusal(ip_b, 1) : RateDecision{};
    RateDecision b = user_b.tokens < 1 ? Refusal(user_b, 1) : RateDecision{};
    return {false, std::max(a.retry_after_s, b.retry_after_s)};
  }
  ip_b.tokens -= 1;
  user_b.tokens -= 1;
  return {true, 0};
}

Status RateLimiter::Check(std::string_view key, double cost) {
  RateDecision d = Take(key, cost);
  if (d.allowed) return Status::Ok();
  return RateLimited("rate limit exceeded; retry after " + std::to_string(d.retry_after_s) + " s");
}

size_t RateLimiter::KeyCount() const {
  MutexLock lock(mu_);
  return buckets_.size();
}

void RateLimiter::Prune(int64_t now_ms, size_t needed) {
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
  if (buckets_.size() + needed <= max_keys_) return;
  std::vector<std::pair<int64_t, std::string>> by_age;
  by_age.reserve(buckets_.size());
  for (const auto& [key, b] : buckets_) by_age.emplace_back(b.last_ms, key);
  const size_t drop = by_age.size() / 2 + 1;
  std::nth_element(by_age.begin(), by_age.begin() + static_cast<ptrdiff_t>(drop - 1), by_age.end());
  for (size_t i = 0; i < drop; ++i) buckets_.erase(by_age[i].second);
}

std::string IpRateKey(std::string_view address) {
  std::string a(address);
  in_addr v4;
  if (::inet_pton(AF_INET, a.c_str(), &v4) == 1) return "ip:" + a;
  in6_addr v6;
  if (::inet_pton(AF_INET6, a.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_V4MAPPED(&v6)) {
      char buf[INET_ADDRSTRLEN];
      ::inet_ntop(AF_INET, &v6.s6_addr[12], buf, sizeof buf);
      return std::string("ip:") + buf;
    }
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out = "ip6:";
    for (int i = 0; i < 8; ++i) {
      out += kDigits[v6.s6_addr[i] >> 4];
      out += kDigits[v6.s6_addr[i] & 15];
    }
    return out;
  }
  return "ip?:" + a;
}

}  // namespace ncc::auth
