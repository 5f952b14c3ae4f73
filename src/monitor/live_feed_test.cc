#include "monitor/live_feed.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>

namespace ncc::monitor {
namespace {

using namespace std::chrono_literals;

PositionFix Fix(uint64_t unit, int64_t ms, double lat) {
  return PositionFix{UnitId{unit}, {lat, 7.42}, Time{ms}, 10, 90};
}

// Collects batches as a stream would, and waits for them.
struct Inbox {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::shared_ptr<const LiveFeed::Batch>> batches;
  LiveFeed::Listener listener() {
    return [this](std::shared_ptr<const LiveFeed::Batch> b) {
      std::lock_guard lock(mu);
      batches.push_back(std::move(b));
      cv.notify_all();
    };
  }
  bool WaitFor(size_t n) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, 5s, [&] { return batches.size() >= n; });
  }
};

TEST(LiveFeed, OneBatchHoldsTheNewestFixOfEachUnitSortedByUnit) {
  LiveFeed feed(20ms);
  Inbox inbox;
  feed.Listen(inbox.listener());
  std::vector<PositionFix> fixes = {Fix(7, 1000, 43.70), Fix(3, 1000, 43.71), Fix(7, 2000, 43.72),
                                    Fix(7, 1500, 43.73)};
  feed.Publish(fixes);
  ASSERT_TRUE(inbox.WaitFor(1));
  const auto& b = inbox.batches[0]->fixes;
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[0].unit.value, 3u);
  EXPECT_EQ(b[1].unit.value, 7u);
  EXPECT_EQ(b[1].time.ms, 2000);  // the newest, not the last published (1500 came late)
  EXPECT_DOUBLE_EQ(b[1].position.lat, 43.72);
  EXPECT_EQ(feed.batches(), 1u);
  EXPECT_EQ(feed.fixes(), 2u);
}

TEST(LiveFeed, QuietPeriodsSendNothingAndEveryListenerGetsTheSameBatch) {
  LiveFeed feed(10ms);
  Inbox a, b;
  feed.Listen(a.listener());
  uint64_t id_b = feed.Listen(b.listener());
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(feed.batches(), 0u);  // nothing moved: no empty batches
  std::vector<PositionFix> one = {Fix(1, 1000, 43.7)};
  feed.Publish(one);
  ASSERT_TRUE(a.WaitFor(1));
  ASSERT_TRUE(b.WaitFor(1));
  EXPECT_EQ(a.batches[0], b.batches[0]);  // one shared batch, not a copy per stream
  feed.Unlisten(id_b);
  std::vector<PositionFix> two = {Fix(1, 2000, 43.8)};
  feed.Publish(two);
  ASSERT_TRUE(a.WaitFor(2));
  std::this_thread::sleep_for(30ms);
  std::lock_guard lock(b.mu);
  EXPECT_EQ(b.batches.size(), 1u);
}

TEST(LiveFeed, WithoutListenersNothingIsKept) {
  LiveFeed feed(10ms);
  std::vector<PositionFix> fixes = {Fix(1, 1000, 43.7)};
  feed.Publish(fixes);
  Inbox late;
  feed.Listen(late.listener());
  std::this_thread::sleep_for(40ms);
  EXPECT_EQ(feed.batches(), 0u);  // a stream opened later starts from the live index, not here
}

TEST(LiveFeed, AListenerMayLeaveFromItsOwnCall) {
  LiveFeed feed(10ms);
  std::atomic<int> calls{0};
  uint64_t id = 0;
  std::mutex mu;
  std::condition_variable cv;
  id = feed.Listen([&](std::shared_ptr<const LiveFeed::Batch>) {
    feed.Unlisten(id);
    std::lock_guard lock(mu);
    ++calls;
    cv.notify_all();
  });
  std::vector<PositionFix> fixes = {Fix(1, 1000, 43.7)};
  feed.Publish(fixes);
  std::unique_lock lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, 5s, [&] { return calls > 0; }));
  lock.unlock();
  std::vector<PositionFix> more = {Fix(1, 2000, 43.7)};
  feed.Publish(more);
  std::this_thread::sleep_for(40ms);
  EXPECT_EQ(calls, 1);
}

TEST(LiveBatch, ReadersOfOneViewShareTheirRendering) {
  LiveBatch batch;
  EXPECT_EQ(batch.Memo("police|dispatcher"), nullptr);
  auto rendering = std::make_shared<const std::string>("{...}");
  batch.SetMemo("police|dispatcher", rendering);
  batch.SetMemo("police|dispatcher", std::make_shared<const std::string>("second"));  // kept first
  EXPECT_EQ(batch.Memo("police|dispatcher"), rendering);
  EXPECT_EQ(batch.Memo("fire|dispatcher"), nullptr);
}

}  // namespace
}  // namespace ncc::monitor
