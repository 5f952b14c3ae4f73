// LiveFeed: the newest acknowledged fix of every unit that moved, handed to the live streams
// (WebSocket /api/v1/stream?positions=1) in batches, at most one per `period`. Fixes are not
// events: the log keeps a throttled checkpoint only (docs/monitoring.md), so a console that draws
// moving units takes them from here. A batch holds at most one fix per unit (the newest), so what a
// slow reader has not taken yet never grows past the number of units: newer positions replace
// older ones, nothing queues without bound.
//
// Only fixes the lane has made durable come here (AvlLane calls Publish after its fdatasync),
// so a screen never shows a position the server could still lose. Who may see which unit is the
// stream's business (the same visibility filter as every read); the feed knows no principal.
//
// Threads: Publish from the lane thread; Listen/Unlisten from any thread; listeners are called
// on the feed's own thread, outside its lock, and must not block (the stream posts to its
// connection's executor). A listener may Unlisten itself, also from its own call.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/events.h"
#include "core/thread_annotations.h"

namespace ncc::monitor {

// One period's newest fixes, shared by every stream (never copied per reader).
struct LiveBatch {
  std::vector<PositionFix> fixes;  // sorted by unit id, one fix each

  // What readers made of this batch, by the reader's view (who may see what): consoles of the
  // same agency, roles and clearance share one rendering instead of filtering and serializing
  // the batch once each. Opaque to the feed; dies with the batch. Any thread.
  std::shared_ptr<const void> Memo(const std::string& view) const EXCLUDES(memo_mu_);
  void SetMemo(const std::string& view, std::shared_ptr<const void> value) const EXCLUDES(memo_mu_);

 private:
  mutable Mutex memo_mu_;
  mutable std::unordered_map<std::string, std::shared_ptr<const void>> memo_ GUARDED_BY(memo_mu_);
};

class LiveFeed {
 public:
  using Batch = LiveBatch;
  using Listener = std::function<void(std::shared_ptr<const Batch>)>;

  // At most one batch per `period`; the first fix after a quiet period goes out at once
  // (leading edge), so a fix waits at most `period` and usually much less.
  explicit LiveFeed(std::chrono::milliseconds period = std::chrono::milliseconds(50));
  ~LiveFeed();  // stops the thread
  LiveFeed(const LiveFeed&) = delete;
  LiveFeed& operator=(const LiveFeed&) = delete;

  // Durable fixes, newest last per unit. Cheap: a map update under the lock.
  void Publish(std::span<const PositionFix> fixes) EXCLUDES(mu_);

  uint64_t Listen(Listener listener) EXCLUDES(mu_);
  void Unlisten(uint64_t id) EXCLUDES(mu_);

  // For metrics: batches handed out and fixes in them, since start.
  uint64_t batches() const { return batches_; }
  uint64_t fixes() const { return fixes_; }

 private:
  void Run();

  const std::chrono::milliseconds period_;
  mutable Mutex mu_;
  std::condition_variable_any wake_;
  std::unordered_map<uint64_t, PositionFix> pending_ GUARDED_BY(mu_);  // by unit id
  std::map<uint64_t, std::shared_ptr<const Listener>> listeners_ GUARDED_BY(mu_);
  uint64_t next_listener_ GUARDED_BY(mu_) = 1;
  bool stop_ GUARDED_BY(mu_) = false;
  std::atomic<uint64_t> batches_{0}, fixes_{0};
  std::thread thread_;
};

}  // namespace ncc::monitor
