// FixBatcher: how the CoT listener hands position fixes to the AVL lane, across reads and
// connections. While one hand-off is in the lane (screened, applied to the live index, appended
// to the track store, made durable by the group's fdatasync), what every session reads piles up
// here; when the hand-off is done, everything piled up goes as the next one — one lane batch per
// key — so thousands of reads share one screening pass and one sync instead of one each.
//
// What a CoT fix is promised (docs/tak-hub.md "Fixes into the live index"): TAK has no
// acknowledgement, so nobody is told; a fix counts as accepted (ncc_avl_fixes_accepted_total
// {source="cot"}) and is sent on to other clients only once its group is durable. The lane
// fails stop as for every lane: a failed sync refuses its group and everything after it, and
// the fixes of every refused hand-off are counted here (refused()), never dropped silently.
//
// Memory is bounded: Add returns false once `max_pending` fixes wait for the next hand-off; the
// session then stops reading its socket (back-pressure on the client's TCP window) and passes
// a resume to WhenRoom, which runs it once the pile has been handed to the lane.
//
// Per unit, fixes reach the lane in the order they were added (one hand-off at a time).
//
// Threads: Add/WhenRoom from any thread (the sessions' strands). A hand-off after the first is
// started through `post` (the listener's io_context), never on the lane thread, so screening
// stays off it. Resumes run on the thread that hands the pile off and must not block (they
// post to their strand). Stop() before `post`'s executor goes away: later hand-offs are then
// submitted directly, and nothing is posted any more.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "auth/authorize.h"
#include "core/world.h"
#include "monitor/avl_lane.h"

namespace ncc::cot {

class FixBatcher {
 public:
  using Post = std::function<void(std::function<void()>)>;
  FixBatcher(monitor::AvlLane& lane, Post post, size_t max_pending);
  ~FixBatcher();
  FixBatcher(const FixBatcher&) = delete;
  FixBatcher& operator=(const FixBatcher&) = delete;

  // Queues `fixes` reported under `who`. False when `max_pending` fixes now wait: stop reading
  // and call WhenRoom.
  bool Add(const auth::Principal& who, std::vector<PositionFix> fixes);
  // Runs `resume` once fewer than `max_pending` fixes wait (at once when that is already so).
  void WhenRoom(std::function<void()> resume);
  // Hands whatever waits to the lane at once and posts nothing from now on (listener stop).
  void Stop();

  uint64_t handoffs() const;  // lane batches submitted
  uint64_t refused() const;   // fixes in hand-offs the lane refused whole (stopped, overload)
  uint64_t pending() const;   // fixes waiting for the next hand-off

  struct State;

 private:
  std::shared_ptr<State> state_;  // shared with the lane's done callbacks, which may outlive us
};

}  // namespace ncc::cot
