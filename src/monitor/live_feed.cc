#include "monitor/live_feed.h"

#include <algorithm>

namespace ncc::monitor {

std::shared_ptr<const void> LiveBatch::Memo(const std::string& view) const {
  MutexLock lock(memo_mu_);
  auto it = memo_.find(view);
  return it == memo_.end() ? nullptr : it->second;
}

void LiveBatch::SetMemo(const std::string& view, std::shared_ptr<const void> value) const {
  MutexLock lock(memo_mu_);
  memo_.emplace(view, std::move(value));
}

LiveFeed::LiveFeed(std::chrono::milliseconds period) : period_(period) {
  thread_ = std::thread([this] { Run(); });
}

LiveFeed::~LiveFeed() {
  {
    MutexLock lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void LiveFeed::Publish(std::span<const PositionFix> fixes) {
  bool was_empty;
  {
    MutexLock lock(mu_);
    if (listeners_.empty()) return;  // nobody draws: keep nothing
    was_empty = pending_.empty();
    for (const PositionFix& f : fixes) {
      auto [it, fresh] = pending_.try_emplace(f.unit.value, f);
      if (!fresh && it->second.time <= f.time) it->second = f;
    }
  }
  if (was_empty) wake_.notify_one();
}

uint64_t LiveFeed::Listen(Listener listener) {
  MutexLock lock(mu_);
  uint64_t id = next_listener_++;
  listeners_[id] = std::make_shared<const Listener>(std::move(listener));
  return id;
}

void LiveFeed::Unlisten(uint64_t id) {
  MutexLock lock(mu_);
  listeners_.erase(id);
}

void LiveFeed::Run() {
  auto last = std::chrono::steady_clock::now() - period_;
  for (;;) {
    std::shared_ptr<Batch> batch;
    std::vector<std::shared_ptr<const Listener>> to_call;
    {
      MutexLock lock(mu_);
      while (!stop_ && pending_.empty()) wake_.wait(mu_);
      // A batch went out less than a period ago: the rest waits for the period's end.
      auto due = last + period_;
      while (!stop_ && std::chrono::steady_clock::now() < due) wake_.wait_until(mu_, due);
      if (stop_) return;
      last = std::chrono::steady_clock::now();
      batch = std::make_shared<Batch>();
      batch->fixes.reserve(pending_.size());
      for (auto& [unit, fix] : pending_) batch->fixes.push_back(fix);
      pending_.clear();
      for (auto& [id, l] : listeners_) to_call.push_back(l);
    }
    std::sort(batch->fixes.begin(), batch->fixes.end(),
              [](const PositionFix& a, const PositionFix& b) { return a.unit < b.unit; });
    ++batches_;
    fixes_ += batch->fixes.size();
    std::shared_ptr<const Batch> shared = std::move(batch);
    for (const auto& l : to_call) (*l)(shared);
  }
}

}  // namespace ncc::monitor
