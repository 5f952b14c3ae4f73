// Where "now" comes from, for the whole project. Commands read it once per batch and apply
// never does; lock-outs, token expiry and rate limits read it too. Tests drive a ManualClock so
// that timers, expiry and replays are exact. All three are safe to call from any thread.
#pragma once

#include <atomic>
#include <chrono>

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
