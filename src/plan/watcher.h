// The plan watcher: turns what happens into plan commands, so that an active plan runs by
// itself where it can. It follows the engine's feed for decision points (an alarm of the
// point's kind inside its sector; open incidents inside a sector reaching the point's count)
// and the clock for time (a phase starts and ends at its planned times; a task past its
// deadline unfinished escalates, plan_task_overdue). On every tick it also carries out what
// activation asks of an active plan (activation.h): its postings as move-ups, its tasks'
// incidents and assignments, each once under a command id the World remembers.
//
// Everything it does is decided by decide() on the World, which refuses a second firing or
// escalation, so after a restart the same checks give each firing and escalation exactly once.
// An alarm that arrived while the server was down is not looked at again (the feed starts at
// the head); a count of incidents is, since it is checked on every tick.
//
// Threads: one background thread (Start/Stop); Follow and CheckTimers are public for tests,
// which call them on their own thread with a ManualClock.
#pragma once

#include <condition_variable>
#include <mutex>
#include <thread>

#include "core/clock.h"
#include "engine/engine.h"
#include "plan/activation.h"

namespace ncc::plan {

class PlanWatcher {
 public:
  PlanWatcher(Engine& engine, const Clock& clock, int64_t tick_ms = 1000);
  ~PlanWatcher();

  // Looks at the events after `after` for decision points; returns the last seq looked at.
  Seq Follow(Seq after);
  // Phases due to start or end, overdue tasks, incident counts; returns commands accepted.
  size_t CheckTimers();

  void Start();
  void Stop();

 private:
  void Loop();
  size_t SubmitAll(std::vector<PlanAction> todo);

  Engine& engine_;
  const Clock& clock_;
  const int64_t tick_ms_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false, woken_ = false;
  uint64_t listener_ = 0;
  std::thread thread_;
};

}  // namespace ncc::plan
