#include "engine/engine.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <latch>
#include <thread>

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

// An event log whose disk fills up on demand: CheckSpace and Append refuse with
// kInsufficientStorage (storing nothing), as SqliteEventLog does below its reserve or on
// SQLITE_FULL.
class FillableLog final : public EventLog {
 public:
  explicit FillableLog(std::unique_ptr<EventLog> inner) : inner_(std::move(inner)) {}
  Status Append(const std::vector<StoredEvent>& batch) override {
    if (full_append) return InsufficientStorage("the disk is full (test)");
    return inner_->Append(batch);
  }
  StatusOr<std::vector<StoredEvent>> ReadAfter(Seq after, size_t limit) const override {
    return inner_->ReadAfter(after, limit);
  }
  Seq LastSeq() const override { return inner_->LastSeq(); }
  uint64_t Syncs() const override { return inner_->Syncs(); }
  Status CheckSpace() const override {
    return full_check ? InsufficientStorage("below the reserve (test)") : Status::Ok();
  }
  std::atomic<bool> full_check{false}, full_append{false};

 private:
  std::unique_ptr<EventLog> inner_;
};

TEST_F(EngineTest, AFullDiskRefusesCommandsStoresNothingAndRecoversByItself) {
  auto sqlite = SqliteEventLog::Open(dir + "/events.db");
  ASSERT_TRUE(sqlite.ok());
  auto fillable = std::make_unique<FillableLog>(std::move(*sqlite));
  FillableLog* disk = fillable.get();
  auto opened = Engine::Open(std::move(fillable),
                             std::make_unique<SnapshotStore>(dir + "/snapshots"), clock, {});
  ASSERT_TRUE(opened.ok());
  auto& engine = *opened;
  ASSERT_TRUE(
      engine->SubmitAndWait(RegisterAgency{{"fire", "Fire", "fire"}}, "a", "fire").status.ok());
  const CreateIncident call{"fire.alarm", 2, {37.75, -122.45}};
  ASSERT_TRUE(engine->SubmitAndWait(call, "ct", "fire").status.ok());
  const Hash before = engine->Read([](const World& w) { return w.Digest(); });

  // The disk fills between the check and the write: the batch was decided and applied, then
  // refused; the World goes back to the log.
  disk->full_append = true;
  CommandOutcome refused = engine->SubmitAndWait(call, "ct", "fire", {"retry-me", "req"});
  EXPECT_EQ(refused.status.code(), StatusCode::kInsufficientStorage);
  EXPECT_EQ(engine->Read([](const World& w) { return w.Digest(); }), before);
  EXPECT_EQ(engine->log().LastSeq(), Seq(2));

  // Below the reserve: refused before anything is decided.
  disk->full_append = false;
  disk->full_check = true;
  EXPECT_EQ(engine->SubmitAndWait(call, "ct", "fire").status.code(),
            StatusCode::kInsufficientStorage);
  EXPECT_EQ(engine->Read([](const World& w) { return w.Digest(); }), before);

  // Space returns: the same command id is a new command (the refusal stored nothing), then a
  // retry of it is answered with its first outcome.
  disk->full_check = false;
  CommandOutcome stored = engine->SubmitAndWait(call, "ct", "fire", {"retry-me", "req"});
  ASSERT_TRUE(stored.status.ok()) << stored.status.ToString();
  EXPECT_FALSE(stored.replayed);
  EXPECT_EQ(stored.created_id, 2u);
  EXPECT_EQ(stored.last_seq, Seq(4));  // the incident, then its command record
  CommandOutcome again = engine->SubmitAndWait(call, "ct", "fire", {"retry-me", "req"});
  EXPECT_TRUE(again.replayed);
  EXPECT_EQ(again.created_id, 2u);
  EXPECT_EQ(again.last_seq, Seq(4));
  const Hash after = engine->Read([](const World& w) { return w.Digest(); });
  engine.reset();

  auto reopened = Open();
  EXPECT_EQ(reopened->Read([](const World& w) { return w.Digest(); }), after);
  EXPECT_EQ(reopened->Read([](const World& w) { return w.incidents().size(); }), 2u);
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

// Two engines on one log, as two nodes on one PostgreSQL shard: the MemoryEventLog behind a
// handle each engine owns.
// `deposed` (may be null) plays the lease's fence: while it is set, Append refuses as a deposed
// PostgreSQL writer's does, storing nothing.
class SharedLog final : public EventLog {
 public:
  explicit SharedLog(MemoryEventLog& log, const std::atomic<bool>* deposed = nullptr)
      : log_(log), deposed_(deposed) {}
  Status Append(const std::vector<StoredEvent>& batch) override {
    if (deposed_ && deposed_->load())
      return FailedPrecondition("deposed: this node holds epoch 1, the lease is at epoch 2");
    return log_.Append(batch);
  }
  bool Fenced() const override { return deposed_ != nullptr; }
  StatusOr<std::vector<StoredEvent>> ReadAfter(Seq after, size_t limit) const override {
    return log_.ReadAfter(after, limit);
  }
  Seq LastSeq() const override { return log_.LastSeq(); }
  uint64_t Syncs() const override { return log_.Syncs(); }

 private:
  MemoryEventLog& log_;
  const std::atomic<bool>* deposed_;
};

// Waits for another thread's work (not a timing test: the deadline only bounds a failure).
template <typename F>
bool Eventually(F done) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

TEST(EngineStandby, FollowsTheWriterRefusesCommandsAndTakesOverWhereTheLogEnds) {
  MemoryEventLog shared;
  ManualClock clock{Time{1'700'000'000'000}};
  auto writer = Engine::Open(std::make_unique<SharedLog>(shared), nullptr, clock, {});
  ASSERT_TRUE(writer.ok());
  EngineOptions as_standby;
  as_standby.standby = true;
  auto standby = Engine::Open(std::make_unique<SharedLog>(shared), nullptr, clock, as_standby);
  ASSERT_TRUE(standby.ok());
  (*standby)->SetWriter("a", "http://10.0.0.1:8080");
  EXPECT_TRUE((*writer)->writing());
  EXPECT_FALSE((*standby)->writing());

  ASSERT_TRUE((*writer)
                  ->SubmitAndWait(RegisterAgency{{"police", "Police", "police"}}, "admin", "police")
                  .status.ok());
  CommandId call{"call-1", "digest of the request"};
  CommandOutcome first = (*writer)->SubmitAndWait(
      CreateIncident{"police.robbery", 2, {25.28, 51.52}}, "calltaker", "police", call);
  ASSERT_TRUE(first.status.ok());
  auto standby_seq = [&] { return (*standby)->Read([](const World& w) { return w.last_seq(); }); };
  ASSERT_TRUE(Eventually([&] { return standby_seq() == first.last_seq; }));
  // What the standby followed is in its World and its feed, as the writer had it.
  EXPECT_EQ((*standby)->Read([](const World& w) { return w.incidents().size(); }), 1u);
  std::vector<FeedItemPtr> items;
  ASSERT_TRUE((*standby)->feed().ReadAfter(Seq(0), 100, items));
  EXPECT_EQ(items.size(), first.last_seq.value);

  CommandOutcome refused = (*standby)->SubmitAndWait(
      CreateIncident{"police.robbery", 2, {25.28, 51.52}}, "calltaker", "police");
  EXPECT_EQ(refused.status.code(), StatusCode::kUnavailable);
  EXPECT_NE(refused.status.message().find("the writer is node a (http://10.0.0.1:8080)"),
            std::string::npos)
      << refused.status.message();

  // The writer goes; the standby takes over and continues the chain, and the retried command
  // is answered from its record, not applied again.
  (*writer)->Stop();
  (*standby)->Promote();
  ASSERT_TRUE(Eventually([&] { return (*standby)->writing(); }));
  CommandOutcome retried = (*standby)->SubmitAndWait(
      CreateIncident{"police.robbery", 2, {25.28, 51.52}}, "calltaker", "police", call);
  ASSERT_TRUE(retried.status.ok()) << retried.status.ToString();
  EXPECT_TRUE(retried.replayed);
  EXPECT_EQ(retried.created_id, first.created_id);
  CommandOutcome next = (*standby)->SubmitAndWait(
      CreateIncident{"police.robbery", 2, {25.28, 51.52}}, "calltaker", "police");
  ASSERT_TRUE(next.status.ok());
  EXPECT_EQ(next.last_seq.value, first.last_seq.value + 1);
  EXPECT_TRUE(VerifyChain(shared).ok());

  // Stepped down, it refuses again and follows.
  (*standby)->SetWriter("", "");
  (*standby)->StepDown("test");
  ASSERT_TRUE(Eventually([&] { return !(*standby)->writing(); }));
  CommandOutcome after = (*standby)->SubmitAndWait(
      CreateIncident{"police.robbery", 2, {25.28, 51.52}}, "calltaker", "police");
  EXPECT_EQ(after.status.code(), StatusCode::kUnavailable);
  EXPECT_NE(after.status.message().find("failover is under way"), std::string::npos);
}

TEST(EngineStandby, AWriterWhoseAppendIsFencedStepsDownAndFollowsTheNewWriter) {
  MemoryEventLog shared;
  std::atomic<bool> deposed{false};
  ManualClock clock{Time{1'700'000'000'000}};
  std::atomic<int> told{0};
  EngineOptions old_options;
  old_options.on_deposed = [&](const Status&) { ++told; };
  auto old_writer =
      Engine::Open(std::make_unique<SharedLog>(shared, &deposed), nullptr, clock, old_options);
  EngineOptions as_standby;
  as_standby.standby = true;
  auto next = Engine::Open(std::make_unique<SharedLog>(shared), nullptr, clock, as_standby);
  ASSERT_TRUE(old_writer.ok() && next.ok());
  ASSERT_TRUE((*old_writer)
                  ->SubmitAndWait(RegisterAgency{{"police", "Police", "police"}}, "admin", "police")
                  .status.ok());
  auto seq_of = [](Engine& e) { return e.Read([](const World& w) { return w.last_seq(); }); };
  ASSERT_TRUE(Eventually([&] { return seq_of(**next) == seq_of(**old_writer); }));

  // The other node takes the lease (the old writer has not noticed) and writes.
  deposed = true;
  (*next)->Promote();
  ASSERT_TRUE(Eventually([&] { return (*next)->writing(); }));
  CommandOutcome made = (*next)->SubmitAndWait(CreateIncident{"police.robbery", 2, {25.28, 51.52}},
                                               "calltaker", "police");
  ASSERT_TRUE(made.status.ok());

  // The old writer's next command meets the fence: refused, nothing stored, and it steps down
  // with the new writer's events in its World and its feed.
  (*old_writer)->SetWriter("b", "http://b:8080");
  CommandOutcome refused = (*old_writer)
                               ->SubmitAndWait(CreateIncident{"police.burglary", 3, {25.28, 51.52}},
                                               "calltaker", "police");
  EXPECT_EQ(refused.status.code(), StatusCode::kUnavailable);
  EXPECT_NE(refused.status.message().find("the writer is node b"), std::string::npos);
  EXPECT_FALSE((*old_writer)->writing());
  EXPECT_TRUE(Eventually([&] { return told.load() == 1; }));  // told after the answers
  EXPECT_EQ(shared.LastSeq(), made.last_seq);
  EXPECT_EQ(seq_of(**old_writer), made.last_seq);
  std::vector<FeedItemPtr> items;
  ASSERT_TRUE((*old_writer)->feed().ReadAfter(Seq(0), 100, items));
  ASSERT_EQ(items.size(), made.last_seq.value);
  EXPECT_EQ(items.back()->seq(), made.last_seq);

  // And it follows what the new writer appends next.
  CommandOutcome more = (*next)->SubmitAndWait(CreateIncident{"police.robbery", 2, {25.28, 51.52}},
                                               "calltaker", "police");
  ASSERT_TRUE(more.status.ok());
  ASSERT_TRUE(Eventually([&] { return seq_of(**old_writer) == more.last_seq; }));
  EXPECT_EQ((*old_writer)->Read([](const World& w) { return w.incidents().size(); }), 2u);
  EXPECT_TRUE(VerifyChain(shared).ok());
}

}  // namespace
}  // namespace ncc
