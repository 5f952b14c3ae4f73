#include "engine/event_feed.h"

#include "core/stored_event.h"

namespace ncc {

const std::string& FeedItem::Json() const {
  std::call_once(once_, [&] { json_ = EventToJson(event_).dump(); });
  return json_;
}

void EventFeed::Publish(std::vector<Event> events) {
  std::vector<Listener> wake;
  {
    std::lock_guard lock(mu_);
    for (Event& e : events) {
      head_ = e.meta.seq;
      ring_.push_back(std::make_shared<const FeedItem>(std::move(e)));
    }
    while (ring_.size() > capacity_) ring_.pop_front();
    wake.reserve(listeners_.size());
    for (auto& [id, l] : listeners_) wake.push_back(l);
  }
  for (auto& l : wake) l();
}

bool EventFeed::ReadAfter(Seq after, size_t max, std::vector<FeedItemPtr>& out) const {
  std::lock_guard lock(mu_);
  if (after >= head_) return true;
  if (ring_.empty() || ring_.front()->seq().value > after.value + 1) return false;
  size_t start = after.value + 1 - ring_.front()->seq().value;
  for (size_t i = start; i < ring_.size() && out.size() < max; ++i) out.push_back(ring_[i]);
  return true;
}

Seq EventFeed::head() const {
  std::lock_guard lock(mu_);
  return head_;
}

uint64_t EventFeed::Listen(Listener listener) {
  std::lock_guard lock(mu_);
  listeners_[next_listener_] = std::move(listener);
  return next_listener_++;
}

void EventFeed::Unlisten(uint64_t id) {
  std::lock_guard lock(mu_);
  listeners_.erase(id);
}

size_t EventFeed::listeners() const {
  std::lock_guard lock(mu_);
  return listeners_.size();
}

}  // namespace ncc
