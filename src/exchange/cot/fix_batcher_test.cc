// The CoT listener's hand-off of fixes to a real AVL lane (engine, SQLite log, track store in a
// temporary folder): reads made while a group is being synced share the next hand-off, memory
// is bounded by back-pressure, each unit's order holds, and the lane's fail-stop is kept and
// counted. The track store's fdatasync is held at a gate (its FileOps hook) to make "while a
// sync is in progress" happen on purpose; the sync itself is the real one.
#include "exchange/cot/fix_batcher.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <future>
#include <thread>

#include "engine/engine_test_support.h"
#include "store/sqlite/sqlite_event_log.h"

namespace ncc::cot {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// The listener's io_context in miniature: one thread running what is posted.
class Worker {
 public:
  Worker() : thread_([this] { Run(); }) {}
  ~Worker() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }
  void Post(std::function<void()> f) {
    {
      std::lock_guard lock(mu_);
      queue_.push_back(std::move(f));
    }
    cv_.notify_one();
  }

 private:
  void Run() {
    std::unique_lock lock(mu_);
    for (;;) {
      cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;
      auto f = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      f();
      lock.lock();
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stop_ = false;
  std::thread thread_;
};

// Holds the track store's fdatasync while closed (from Hold() on), fails it from a given call.
struct SyncGate {
  std::mutex mu;
  std::condition_variable cv;
  bool held = false;
  int waiting = 0;
  int calls = 0;
  int fail_from = 0;  // 0: never
  int Sync(int fd) {
    std::unique_lock lock(mu);
    ++calls;
    ++waiting;
    cv.notify_all();
    cv.wait(lock, [&] { return !held; });
    --waiting;
    if (fail_from > 0 && calls >= fail_from) {
      errno = EIO;
      return -1;
    }
    return ::fdatasync(fd);
  }
  void Hold() {
    std::lock_guard lock(mu);
    held = true;
  }
  // Waits until a sync is held at the gate.
  bool AwaitHeld() {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, 10s, [&] { return waiting > 0; });
  }
  void Release() {
    {
      std::lock_guard lock(mu);
      held = false;
    }
    cv.notify_all();
  }
};

class FixBatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test_support::FreshTestDir("ncc-cot-batch");
    engine_ = test_support::OpenTestEngine(dir_, clock_);
    ASSERT_TRUE(engine_);
    ASSERT_TRUE(
        engine_->SubmitAndWait(RegisterAgency{{"police", "Police", "police"}}, "t", "police")
            .status.ok());
    for (int i = 1; i <= 4; ++i)
      ASSERT_TRUE(
          engine_
              ->SubmitAndWait(
                  RegisterUnit{"P" + std::to_string(i), "police", "patrol", {}, "", std::nullopt},
                  "t", "police")
              .status.ok());
    monitor::LaneOptions o;
    o.track_path = dir_ + "/tracks.ncctrk";
    o.stale_after_ms = 0;
    o.checkpoint_every_ms = 3'600'000;
    o.track_file.fdatasync = [gate = gate_](int fd) { return gate->Sync(fd); };
    auto lane = monitor::AvlLane::Open(*engine_, clock_, std::move(o));
    ASSERT_TRUE(lane.ok()) << lane.status().ToString();
    lane_ = std::move(*lane);
  }
  void TearDown() override {
    gate_->Release();
    if (lane_) lane_->Stop();
    if (engine_) engine_->Stop();
    fs::remove_all(dir_);
  }

  std::unique_ptr<FixBatcher> Batcher(size_t max_pending) {
    return std::make_unique<FixBatcher>(
        *lane_, [this](std::function<void()> f) { worker_.Post(std::move(f)); }, max_pending);
  }

  // Fix number `k` of `unit`: one second apart, ending before now, moving 1 m/s.
  PositionFix Fix(uint64_t unit, int k) const {
    return PositionFix{UnitId{unit}, LatLon{25.28, 51.53 + 0.00001 * k},
                       Time{clock_.Now().ms - 600'000 + k * 1000}, 1.0, 90.0};
  }

  uint64_t Accepted() const { return lane_->counters().accepted(monitor::Source::kCot); }
  bool AwaitAccepted(uint64_t n) const {
    auto deadline = std::chrono::steady_clock::now() + 20s;
    while (Accepted() < n)
      if (std::chrono::steady_clock::now() > deadline)
        return false;
      else
        std::this_thread::sleep_for(1ms);
    return true;
  }
  uint64_t Groups() const {
    std::string m = Metrics();
    size_t at = m.find("\nncc_avl_groups_total ");
    return at == std::string::npos ? ~0ull : std::stoull(m.substr(at + 22));
  }
  std::string Metrics() const {
    std::string m;
    lane_->RenderMetrics(m);
    return m;
  }

  std::string dir_;
  ManualClock clock_;
  std::unique_ptr<Engine> engine_;
  std::shared_ptr<SyncGate> gate_ = std::make_shared<SyncGate>();
  std::unique_ptr<monitor::AvlLane> lane_;
  Worker worker_;
  auth::Principal tak_{auth::Principal::Kind::kGateway, "tak-1",           "police", {},
                       Classification::kRestricted,     {auth::Lane::kCot}};
  auth::Principal tak2_{auth::Principal::Kind::kGateway, "tak-2",           "police", {},
                        Classification::kRestricted,     {auth::Lane::kCot}};
};

TEST_F(FixBatcherTest, ReadsMadeDuringASyncShareTheNextHandOff) {
  auto batcher = Batcher(1'000'000);
  gate_->Hold();
  ASSERT_TRUE(batcher->Add(tak_, {Fix(1, 0)}));  // the lane is idle: handed off at once
  ASSERT_TRUE(gate_->AwaitHeld());               // and now its group is being synced
  // 200 reads on two keys (two connections each), all while that sync is in progress.
  for (int k = 1; k <= 100; ++k) {
    ASSERT_TRUE(batcher->Add(tak_, {Fix(1, k), Fix(2, k)}));
    ASSERT_TRUE(batcher->Add(tak2_, {Fix(3, k), Fix(4, k)}));
  }
  EXPECT_EQ(batcher->pending(), 400u);
  EXPECT_EQ(batcher->handoffs(), 1u);
  gate_->Release();
  ASSERT_TRUE(AwaitAccepted(401)) << Accepted();
  // One hand-off per key for all 200 reads: at most one group commit (one sync) each, after
  // the first one (the lane may take the two keys' batches as one group or two).
  EXPECT_EQ(batcher->handoffs(), 3u);
  EXPECT_LE(Groups(), 3u) << Metrics();
  EXPECT_EQ(batcher->pending(), 0u);
  EXPECT_EQ(batcher->refused(), 0u);
  // Nothing out of order or lost: every unit at its newest fix.
  EXPECT_EQ(lane_->Get(UnitId{1})->position.time, Fix(1, 100).time);
  EXPECT_EQ(lane_->Get(UnitId{4})->position.time, Fix(4, 100).time);
  EXPECT_EQ(lane_->counters().rejected(monitor::Source::kCot, monitor::Reason::kOlder), 0u);
}

TEST_F(FixBatcherTest, AFullPileStopsTheReaderUntilItIsHandedOff) {
  auto batcher = Batcher(10);
  gate_->Hold();
  ASSERT_TRUE(batcher->Add(tak_, {Fix(1, 0)}));
  ASSERT_TRUE(gate_->AwaitHeld());
  for (int k = 1; k <= 4; ++k) ASSERT_TRUE(batcher->Add(tak_, {Fix(1, k), Fix(2, k)}));
  EXPECT_FALSE(batcher->Add(tak_, {Fix(1, 5), Fix(2, 5)}));  // 10 waiting: stop reading
  std::promise<void> resumed;
  batcher->WhenRoom([&] { resumed.set_value(); });
  auto future = resumed.get_future();
  EXPECT_EQ(future.wait_for(200ms), std::future_status::timeout);  // not while the sync holds
  gate_->Release();
  ASSERT_EQ(future.wait_for(20s), std::future_status::ready);
  // Room again: WhenRoom runs at once, and what was read before the pause is all stored.
  bool at_once = false;
  batcher->WhenRoom([&] { at_once = true; });
  EXPECT_TRUE(at_once);
  ASSERT_TRUE(AwaitAccepted(11)) << Accepted();
  EXPECT_EQ(batcher->refused(), 0u);
}

TEST_F(FixBatcherTest, AFailedSyncStopsTheLaneAndTheRefusedFixesAreCounted) {
  gate_->fail_from = 2;  // the first group is stored, the second group's sync fails
  auto batcher = Batcher(1'000);
  gate_->Hold();
  ASSERT_TRUE(batcher->Add(tak_, {Fix(1, 0)}));
  ASSERT_TRUE(gate_->AwaitHeld());
  ASSERT_TRUE(batcher->Add(tak_, {Fix(1, 1), Fix(2, 1)}));
  ASSERT_TRUE(batcher->Add(tak2_, {Fix(3, 1)}));
  gate_->Release();
  ASSERT_TRUE(AwaitAccepted(1));
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (batcher->refused() < 3 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(1ms);
  EXPECT_EQ(batcher->refused(), 3u);
  EXPECT_EQ(lane_->health().code(), StatusCode::kUnavailable);
  // Fail-stop as for every lane: the refused group is not in the index, later fixes are refused
  // too (and counted), and "accepted" stays at the one durable fix.
  EXPECT_EQ(lane_->Get(UnitId{1})->position.time, Fix(1, 0).time);
  EXPECT_FALSE(lane_->Get(UnitId{3}).has_value());
  ASSERT_TRUE(batcher->Add(tak_, {Fix(1, 2)}));
  deadline = std::chrono::steady_clock::now() + 20s;
  while (batcher->refused() < 4 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(1ms);
  EXPECT_EQ(batcher->refused(), 4u);
  EXPECT_EQ(Accepted(), 1u);
  EXPECT_NE(Metrics().find("ncc_avl_lane_up 0\n"), std::string::npos);
}

TEST_F(FixBatcherTest, StopHandsOffWhatWaitsAndLaterFixesStillReachTheLane) {
  auto batcher = Batcher(1'000);
  gate_->Hold();
  ASSERT_TRUE(batcher->Add(tak_, {Fix(1, 0)}));
  ASSERT_TRUE(gate_->AwaitHeld());
  ASSERT_TRUE(batcher->Add(tak_, {Fix(1, 1)}));
  batcher->Stop();  // the listener stops: nothing may be posted any more
  EXPECT_EQ(batcher->pending(), 0u);
  ASSERT_TRUE(batcher->Add(tak_, {Fix(1, 2)}));
  gate_->Release();
  ASSERT_TRUE(AwaitAccepted(3)) << Accepted();
  EXPECT_EQ(lane_->Get(UnitId{1})->position.time, Fix(1, 2).time);
}

}  // namespace
}  // namespace ncc::cot
