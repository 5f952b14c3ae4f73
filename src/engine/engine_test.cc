#include "engine/engine.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <latch>

#include "store/sqlite/sqlite_event_log.h"

namespace ncc {
namespace {

class EngineTest : public ::testing::Test {
 protected:
  std::string dir = (std::filesystem::temp_directory_path() /
                     ("ncc-engine-" + std::to_string(::getpid()) + "-" +
                      ::testing::UnitTest::GetInstance()->current_test_info()->name()))
                        .string();
  ManualClock clock{Time{1'700'000'000'000}};

  void SetUp() override {
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
  }
  std::unique_ptr<Engine> Open(EngineOptions options = {}) {
    auto log = SqliteEventLog::Open(dir + "/events.db");
    EXPECT_TRUE(log.ok());
    auto engine = Engine::Open(std::move(*log), std::make_unique<SnapshotStore>(dir + "/snapshots"),
                               clock, options);
    EXPECT_TRUE(engine.ok()) << engine.status().ToString();
    return std::move(*engine);
  }
};

TEST_F(EngineTest, ConcurrentClientsAreGroupCommittedAndAllAcknowledged) {
  auto engine = Open();
  ASSERT_TRUE(
      engine->SubmitAndWait(RegisterAgency{{"police", "Police", "police"}}, "admin", "police")
          .status.ok());
  constexpr int kThreads = 8, kPerThread = 200;
  std::atomic<int> acked{0};
  std::latch done(kThreads * kPerThread);
  std::vector<std::thread> clients;
  for (int t = 0; t < kThreads; ++t)
    clients.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i)
        engine->Submit(CreateIncident{"police.robbery", 2, {25.28, 51.52}}, "calltaker", "police",
                       [&](CommandOutcome o) {
                         if (o.status.ok() && o.last_seq) ++acked;
                         done.count_down();
                       });
    });
  for (auto& c : clients) c.join();
  done.wait();
  EXPECT_EQ(acked.load(), kThreads * kPerThread);
  EXPECT_EQ(engine->log().LastSeq(), Seq(1 + kThreads * kPerThread));
  EXPECT_LT(engine->log().Syncs(), static_cast<uint64_t>(kThreads * kPerThread));  // batched
  engine->Read(
      [](const World& w) { EXPECT_EQ(w.incidents().size(), size_t{kThreads * kPerThread}); });
}

TEST_F(EngineTest, RefusalIsAnErrorAndLeavesNoEvent) {
  auto engine = Open();
  auto o = engine->SubmitAndWait(CreateIncident{"fire.alarm", 1, {0, 0}}, "x", "nowhere");
  EXPECT_EQ(o.status.code(), StatusCode::kNotFound);
  EXPECT_EQ(o.status.field(), "agency");
  EXPECT_EQ(engine->log().LastSeq(), Seq());
}

TEST_F(EngineTest, AClockSetBackAcrossARestartNeverStampsEventsEarlier) {
  auto last_time = [](Engine& e) {
    auto page = e.log().ReadAfter(Seq(e.log().LastSeq().value - 1), 1);
    return page.ok() && !page->empty() ? page->front().time : Time{0};
  };
  Time first{0};
  {
    auto engine = Open();
    ASSERT_TRUE(
        engine->SubmitAndWait(RegisterAgency{{"fire", "Fire", "fire"}}, "a", "fire").status.ok());
    first = last_time(*engine);
  }
  clock.Advance(-86'400'000);  // the wall clock went back a day while the server was down
  auto engine = Open();
  ASSERT_TRUE(engine->SubmitAndWait(CreateIncident{"fire.alarm", 3, {25.3, 51.5}}, "a", "fire")
                  .status.ok());
  EXPECT_GE(last_time(*engine).ms, first.ms);
  EXPECT_TRUE(VerifyChain(engine->log()).ok());
}

TEST_F(EngineTest, RestartWithSnapshotsEqualsTheWorldBeforeIt) {
  Hash before;
  {
    EngineOptions options;
    options.snapshot_every = 50;
    auto engine = Open(options);
    ASSERT_TRUE(
        engine->SubmitAndWait(RegisterAgency{{"fire", "Fire", "fire"}}, "a", "fire").status.ok());
    for (int i = 0; i < 300; ++i) {
      clock.Advance(1000);
      ASSERT_TRUE(engine->SubmitAndWait(CreateIncident{"fire.alarm", 3, {25.3, 51.5}}, "a", "fire")
                      .status.ok());
    }
    before = engine->Read([](const World& w) { return w.Digest(); });
  }
  EXPECT_FALSE(std::filesystem::is_empty(dir + "/snapshots"));
  Recovered report;
  auto log = SqliteEventLog::Open(dir + "/events.db");
  auto engine = Engine::Open(std::move(*log), std::make_unique<SnapshotStore>(dir + "/snapshots"),
                             clock, {}, &report);
  ASSERT_TRUE(engine.ok());
  EXPECT_GT(report.snapshot_seq.value, 0u);
  EXPECT_LT(report.replayed, 301u);
  EXPECT_EQ((*engine)->Read([](const World& w) { return w.Digest(); }), before);
}

TEST_F(EngineTest, FeedServesRecentEventsAndSaysWhenTheyAreGone) {
  EngineOptions options;
  options.feed_capacity = 10;
  auto engine = Open(options);
  std::atomic<int> wakeups{0};
  engine->feed().Listen([&] { ++wakeups; });
  ASSERT_TRUE(
      engine->SubmitAndWait(RegisterAgency{{"fire", "Fire", "fire"}}, "a", "fire").status.ok());
  for (int i = 0; i < 20; ++i)
    ASSERT_TRUE(engine->SubmitAndWait(CreateIncident{"fire.alarm", 3, {25.3, 51.5}}, "a", "fire")
                    .status.ok());
  std::vector<FeedItemPtr> items;
  EXPECT_TRUE(engine->feed().ReadAfter(Seq(15), 100, items));
  ASSERT_EQ(items.size(), 6u);
  EXPECT_EQ(items.front()->seq(), Seq(16));
  EXPECT_NE(items.front()->Json().find("\"incident_created\""), std::string::npos);
  items.clear();
  EXPECT_FALSE(engine->feed().ReadAfter(Seq(2), 100, items));  // fell out of the ring: read the log
  EXPECT_EQ(wakeups.load(), 21);
}

}  // namespace
}  // namespace ncc
