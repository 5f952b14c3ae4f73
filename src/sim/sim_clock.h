// The simulator's virtual time: a Clock that moves only when the simulator says so, and the
// queue of what happens next, ordered by time and then by the order it was scheduled in (so two
// runs of the same inputs pop the same events in the same order: determinism, docs/sim.md).
//
// Owner: src/sim. Thread: SimClock::Now() from any thread (the engine's writer and the AVL lane
// read it); Set() and the EventQueue only from the simulator's thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <queue>
#include <vector>

#include "core/clock.h"

namespace ncc::sim {

class SimClock final : public Clock {
 public:
  explicit SimClock(Time start = Time{}) : ms_(start.ms) {}
  Time Now() const override { return Time{ms_.load(std::memory_order_acquire)}; }
  // Never backwards: the log's times never run back either.
  void Set(Time t) {
    if (t.ms > ms_.load()) ms_.store(t.ms, std::memory_order_release);
  }

 private:
  std::atomic<int64_t> ms_;
};

// What the simulator does at one instant. `subject` is a call or unit index, `arg` an extra
// (a dispatch group, or the unit's epoch so that a step scheduled before the unit was sent
// elsewhere is dropped).
struct SimEvent {
  int64_t at_ms = 0;
  uint64_t order = 0;
  uint8_t kind = 0;
  uint32_t subject = 0;
  uint64_t arg = 0;
};

class EventQueue {
 public:
  void Push(int64_t at_ms, uint8_t kind, uint32_t subject, uint64_t arg = 0) {
    heap_.push(SimEvent{at_ms, next_++, kind, subject, arg});
  }
  bool empty() const { return heap_.empty(); }
  const SimEvent& top() const { return heap_.top(); }
  SimEvent Pop() {
    SimEvent e = heap_.top();
    heap_.pop();
    return e;
  }
  size_t size() const { return heap_.size(); }

 private:
  struct Later {
    bool operator()(const SimEvent& a, const SimEvent& b) const {
      return a.at_ms != b.at_ms ? a.at_ms > b.at_ms : a.order > b.order;
    }
  };
  std::priority_queue<SimEvent, std::vector<SimEvent>, Later> heap_;
  uint64_t next_ = 0;
};

}  // namespace ncc::sim
