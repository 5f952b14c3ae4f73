// The recent past, in memory, for live readers (WebSocket streams, catch-up pages): a ring of
// the last N committed events. The writer publishes and moves on; it never waits for a reader.
// Each event's JSON is rendered once, by whichever reader first needs it, then shared.
//
// Threads: Publish from the writer thread; everything else from any thread.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/events.h"

namespace ncc {

class FeedItem {
 public:
  explicit FeedItem(Event e) : event_(std::move(e)) {}
  const Event& event() const { return event_; }
  Seq seq() const { return event_.meta.seq; }
  const std::string& Json() const;

 private:
  Event event_;
  mutable std::once_flag once_;
  mutable std::string json_;
};

using FeedItemPtr = std::shared_ptr<const FeedItem>;

class EventFeed {
 public:
  explicit EventFeed(size_t capacity) : capacity_(capacity) {}

  // Where the log stood at start-up: older events are read from the log, not the ring.
  void StartAt(Seq head) {
    std::lock_guard lock(mu_);
    head_ = head;
  }
  // Appends committed events, drops the oldest beyond capacity, then wakes every listener.
  void Publish(std::vector<Event> events);

  // Up to `max` items with seq > after. False when `after` is older than the ring still holds,
  // so the caller must page from the EventLog first.
  bool ReadAfter(Seq after, size_t max, std::vector<FeedItemPtr>& out) const;
  Seq head() const;

  // A listener is called on the writer thread after each publish: it must only post work
  // elsewhere, never block.
  using Listener = std::function<void()>;
  uint64_t Listen(Listener listener);
  void Unlisten(uint64_t id);
  size_t listeners() const;

 private:
  const size_t capacity_;
  mutable std::mutex mu_;
  std::deque<FeedItemPtr> ring_;
  Seq head_;
  std::map<uint64_t, Listener> listeners_;
  uint64_t next_listener_ = 1;
};

}  // namespace ncc
