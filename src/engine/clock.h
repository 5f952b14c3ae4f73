// Where "now" comes from. Commands read it once per batch; apply never does. Tests drive a
// ManualClock so that timers and replays are exact.
#pragma once

#include <atomic>
#include <chrono>

#include "core/ids.h"

namespace ncc {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Time Now() = 0;
};

class SystemClock final : public Clock {
 public:
  Time Now() override {
    using namespace std::chrono;
    return Time{duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count()};
  }
};

class ManualClock final : public Clock {
 public:
  explicit ManualClock(Time start) : ms_(start.ms) {}
  Time Now() override { return Time{ms_.load()}; }
  void Advance(int64_t ms) { ms_ += ms; }

 private:
  std::atomic<int64_t> ms_;
};

}  // namespace ncc
