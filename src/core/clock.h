// Where "now" comes from, for the whole project. Commands read it once per batch and apply
// never does; lock-outs, token expiry and rate limits read it too. Tests drive a ManualClock so
// that timers, expiry and replays are exact. All of them are safe to call from any thread.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>

#include "core/ids.h"

namespace ncc {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Time Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  Time Now() const override {
    using namespace std::chrono;
    return Time{duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count()};
  }
};

// The system clock made to never run backwards: it follows the wall clock forward (an NTP step
// forward is followed at once), and across a backward step it keeps counting from where it
// was at the pace of the steady clock until the wall clock catches up. Timers that compare
// "now" with event times (SLA escalation, staleness, token expiry) therefore never stall or
// fire twice when the wall clock is set back. The server's clock (ncc serve).
class MonotonicWallClock final : public Clock {
 public:
  using Source = std::function<int64_t()>;  // milliseconds
  MonotonicWallClock() : MonotonicWallClock(SystemMs, SteadyMs) {}
  MonotonicWallClock(Source wall, Source steady)
      : wall_(std::move(wall)), steady_(std::move(steady)), last_steady_(steady_()) {}

  Time Now() const override {
    const int64_t wall = wall_(), steady = steady_();
    std::lock_guard lock(mu_);
    last_ms_ = std::max(wall, last_ms_ + std::max<int64_t>(0, steady - last_steady_));
    last_steady_ = steady;
    return Time{last_ms_};
  }
  // Never earlier than `floor` from now on (the log's last event time, at start-up).
  void Seed(Time floor) {
    std::lock_guard lock(mu_);
    last_ms_ = std::max(last_ms_, floor.ms);
  }

 private:
  static int64_t SystemMs() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  }
  static int64_t SteadyMs() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
  }
  Source wall_, steady_;
  mutable std::mutex mu_;
  mutable int64_t last_ms_ = 0;
  mutable int64_t last_steady_;
};

// Starts at a fixed instant and moves only when told to.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(Time start = Time{1'790'000'000'000}) : ms_(start.ms) {}
  Time Now() const override { return Time{ms_.load()}; }
  void Advance(int64_t ms) { ms_ += ms; }
  void AdvanceSeconds(double s) { ms_ += static_cast<int64_t>(s * 1000); }

 private:
  std::atomic<int64_t> ms_;
};

}  // namespace ncc
