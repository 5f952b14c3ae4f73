#include "exchange/cot/fix_batcher.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <mutex>

namespace ncc::cot {
namespace {

bool SamePrincipal(const auth::Principal& a, const auth::Principal& b) {
  return a.kind == b.kind && a.user == b.user && a.agency == b.agency &&
         a.clearance == b.clearance && a.lanes == b.lanes && a.roles == b.roles;
}

struct Batch {
  auth::Principal who;
  std::vector<PositionFix> fixes;
};

}  // namespace

struct FixBatcher::State : std::enable_shared_from_this<State> {
  State(monitor::AvlLane& l, Post p, size_t max) : lane(l), post(std::move(p)), max_pending(max) {}

  monitor::AvlLane& lane;
  const Post post;
  const size_t max_pending;

  std::mutex mu;
  std::vector<Batch> pile;  // waiting for the next hand-off, one entry per key
  size_t pile_fixes = 0;
  size_t in_flight = 0;  // lane batches of the current hand-off not yet done
  bool busy = false;     // a hand-off is posted or in the lane
  bool stopped = false;
  std::vector<std::function<void()>> waiting;  // sessions that stopped reading

  std::atomic<uint64_t> handoffs{0}, refused{0};
  std::atomic<int64_t> last_warning_ms{0};

  // Takes the pile (under `mu`) and submits it. Wakes the sessions waiting for room.
  void HandOff(std::unique_lock<std::mutex>& lock) {
    std::vector<Batch> take;
    take.swap(pile);
    pile_fixes = 0;
    in_flight = take.size();
    std::vector<std::function<void()>> wake;
    wake.swap(waiting);
    lock.unlock();
    for (auto& resume : wake) resume();
    handoffs += take.size();
    auto self = shared_from_this();
    for (Batch& b : take) {
      size_t n = b.fixes.size();
      lane.Submit(monitor::Source::kCot, b.who, std::move(b.fixes),
                  [self, n](monitor::BatchResult r) { self->Done(n, r); });
    }
  }

  // A lane batch is done (lane thread, engine writer, or the submitting thread when the lane
  // refused at once). Once the whole hand-off is, the next one starts off this thread.
  void Done(size_t n, const monitor::BatchResult& r) {
    if (!r.status.ok()) Refused(n, r.status);
    std::unique_lock lock(mu);
    if (--in_flight > 0) return;
    if (pile.empty() || stopped) {  // after Stop() nothing waits: Add submits directly
      busy = false;
      return;
    }
    // Posted under the lock: Stop() sets `stopped` under it before the executor goes away.
    post([self = shared_from_this()] {
      std::unique_lock relock(self->mu);
      if (self->pile.empty()) {  // Stop() took it
        self->busy = self->in_flight > 0;
        return;
      }
      self->HandOff(relock);
    });
  }

  void Refused(size_t n, const Status& why) {
    refused += n;
    // Said at most once a second: a stopped lane refuses every hand-off with the same cause.
    int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now().time_since_epoch())
                      .count();
    int64_t last = last_warning_ms.load();
    if (now - last >= 1000 && last_warning_ms.compare_exchange_strong(last, now))
      spdlog::warn("CoT fixes not stored ({} so far): {}", refused.load(), why.ToString());
  }
};

FixBatcher::FixBatcher(monitor::AvlLane& lane, Post post, size_t max_pending)
    : state_(std::make_shared<State>(lane, std::move(post), std::max<size_t>(1, max_pending))) {}

FixBatcher::~FixBatcher() {
  Stop();
}

bool FixBatcher::Add(const auth::Principal& who, std::vector<PositionFix> fixes) {
  if (fixes.empty()) return true;
  State& s = *state_;
  std::unique_lock lock(s.mu);
  if (s.stopped) {  // no executor to post to any more: straight to the lane
    ++s.in_flight;
    lock.unlock();
    size_t n = fixes.size();
    s.handoffs += 1;
    s.lane.Submit(monitor::Source::kCot, who, std::move(fixes),
                  [self = state_, n](monitor::BatchResult r) { self->Done(n, r); });
    return true;
  }
  s.pile_fixes += fixes.size();
  Batch* batch = nullptr;
  for (Batch& b : s.pile)
    if (SamePrincipal(b.who, who)) batch = &b;
  if (!batch) batch = &s.pile.emplace_back(Batch{who, {}});
  if (batch->fixes.empty())
    batch->fixes = std::move(fixes);
  else
    batch->fixes.insert(batch->fixes.end(), fixes.begin(), fixes.end());
  if (!s.busy) {  // nothing in the lane: hand off now, on this thread
    s.busy = true;
    s.HandOff(lock);
    return true;
  }
  return s.pile_fixes < s.max_pending;
}

void FixBatcher::WhenRoom(std::function<void()> resume) {
  State& s = *state_;
  {
    std::lock_guard lock(s.mu);
    if (s.pile_fixes >= s.max_pending) {
      s.waiting.push_back(std::move(resume));
      return;
    }
  }
  resume();
}

void FixBatcher::Stop() {
  State& s = *state_;
  std::unique_lock lock(s.mu);
  if (s.stopped) return;
  s.stopped = true;
  s.waiting.clear();  // their sessions are going away with the listener
  if (s.pile.empty()) return;
  // After the hand-off in the lane (queued before it), so each unit's order holds.
  std::vector<Batch> take;
  take.swap(s.pile);
  s.pile_fixes = 0;
  s.in_flight += take.size() + 1;  // + 1: every Submit below is made before any Done ends it
  s.busy = true;
  lock.unlock();
  s.handoffs += take.size();
  for (Batch& b : take) {
    size_t n = b.fixes.size();
    s.lane.Submit(monitor::Source::kCot, b.who, std::move(b.fixes),
                  [self = state_, n](monitor::BatchResult r) { self->Done(n, r); });
  }
  s.Done(0, monitor::BatchResult{});
}

uint64_t FixBatcher::handoffs() const {
  return state_->handoffs.load();
}

uint64_t FixBatcher::refused() const {
  return state_->refused.load();
}

uint64_t FixBatcher::pending() const {
  std::lock_guard lock(state_->mu);
  return state_->pile_fixes;
}

}  // namespace ncc::cot
