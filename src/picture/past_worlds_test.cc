// The World at a past seq, from whatever base the cache picks, equals a World replayed
// independently from the first event up to that seq — over a real log written by the engine
// (SQLite, snapshots every 60 events), in an order that exercises every base (empty, snapshot,
// checkpoint, a recent World taken over or copied) and the thinning of checkpoints.
#include "picture/past_worlds.h"

#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <set>
#include <thread>
#include <unordered_set>

#include "core/json_writer.h"
#include "core/temp_dir_for_tests.h"
#include "engine/engine.h"
#include "store/sqlite/sqlite_event_log.h"

namespace ncc::picture {
namespace {

class PastWorldsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto log = SqliteEventLog::Open(dir_.File("events.db"));
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    EngineOptions o;
    o.snapshot_every = 60;
    auto engine = Engine::Open(std::move(*log),
                               std::make_unique<SnapshotStore>(dir_.File("snapshots")), clock_, o);
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    engine_ = std::move(*engine);
    Workload();
    reader_ = SqliteEventLog::Open(dir_.File("events.db")).value();
    snapshots_ = std::make_unique<SnapshotStore>(dir_.File("snapshots"));
  }
  void TearDown() override {
    if (engine_) engine_->Stop();
  }

  void Do(Command c, const std::string& agency = "police") {
    clock_.Advance(1500);
    auto o = engine_->SubmitAndWait(std::move(c), "op", agency);
    ASSERT_TRUE(o.status.ok()) << o.status.ToString();
  }

  // Incidents opened, assigned, worked and closed; units moving, reclassified and shared.
  void Workload() {
    Do(RegisterAgency{{"police", "Police", "police"}});
    Do(RegisterAgency{{"fire", "Fire", "fire"}}, "fire");
    for (int u = 0; u < 6; ++u)
      Do(RegisterUnit{"P" + std::to_string(u), u % 2 ? "fire" : "police", "patrol", {}, "", {}},
         u % 2 ? "fire" : "police");
    for (uint64_t k = 1; k <= 60; ++k) {
      std::string agency = k % 3 ? "police" : "fire";
      Do(CreateIncident{"police.robbery",
                        static_cast<int32_t>(1 + k % 5),
                        {37.78 + k * 1e-4, -122.41},
                        "",
                        "",
                        "case " + std::to_string(k),
                        agency},
         agency);
      UnitId unit(1 + k % 6);
      std::string owner = unit.value % 2 ? "police" : "fire";
      if (owner == agency) {
        Do(AssignUnit{IncidentId(k), unit}, agency);
        Do(ChangeUnitStatus{unit, UnitStatus::kEnRoute, ""}, agency);
        Do(ReportPositions{{{unit, {37.7 + k * 1e-3, -122.4}, clock_.Now(), 10, 45}}}, agency);
        Do(ChangeUnitStatus{unit, UnitStatus::kAvailable, ""}, agency);
      }
      if (k % 7 == 0) Do(AddIncidentNote{IncidentId(k), "note"}, agency);
      if (k % 11 == 0)
        Do(ShareIncident{IncidentId(k), agency == "fire" ? "police" : "fire"}, agency);
      if (k % 4 == 0)
        Do(ChangeIncidentStatus{IncidentId(k), IncidentStatus::kCancelled, "done"}, agency);
      if (k == 30) Do(ReclassifyUnit{UnitId(1), Classification::kConfidential});
    }
  }

  // Every event of the log up to `seq`, applied to a fresh World: the independent replay.
  World ReplayTo(Seq seq) {
    World w;
    auto all = reader_->ReadAfter(Seq(), 1'000'000);
    EXPECT_TRUE(all.ok());
    for (const StoredEvent& e : *all) {
      if (e.seq > seq) break;
      auto event = Decode(e);
      EXPECT_TRUE(event.ok());
      w.Apply(*event);
    }
    return w;
  }

  // Field by field (each record's JSON, naming what differs), then the whole World's digest.
  void ExpectSame(const World& want, const World& got, Seq seq) {
    ASSERT_EQ(want.incidents().size(), got.incidents().size()) << "seq " << seq.value;
    for (size_t k = 0; k < want.incidents().size(); ++k)
      EXPECT_EQ(JsonWriter::ToJson(want.incidents()[k]), JsonWriter::ToJson(got.incidents()[k]))
          << "incident " << k + 1 << " at seq " << seq.value;
    ASSERT_EQ(want.units().size(), got.units().size()) << "seq " << seq.value;
    for (size_t k = 0; k < want.units().size(); ++k)
      EXPECT_EQ(JsonWriter::ToJson(want.units()[k]), JsonWriter::ToJson(got.units()[k]))
          << "unit " << k + 1 << " at seq " << seq.value;
    EXPECT_EQ(want.last_seq(), got.last_seq());
    EXPECT_EQ(want.Digest(), got.Digest()) << "seq " << seq.value;
  }

  ncc::testing::TempDir dir_;
  ManualClock clock_{Time{1'700'000'000'000}};
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<EventLog> reader_;
  std::unique_ptr<SnapshotStore> snapshots_;
};

TEST_F(PastWorldsTest, EveryBaseGivesTheWorldOfAReplayToThatSeq) {
  Seq head = reader_->LastSeq();
  ASSERT_GT(head.value, 250u);
  ASSERT_GE(snapshots_->Seqs().size(), 2u) << "the engine wrote no snapshots";
  // Small checkpoints and a budget of about three unshared Worlds: the spacing must double.
  std::unordered_set<const void*> none;
  uint64_t one = ReplayTo(head).BytesBeyond(none);
  PastWorlds past(*reader_, snapshots_.get(), {17, one * 3, 2});
  std::vector<uint64_t> order;
  order.push_back(head.value);  // the newest snapshot is the nearest base
  for (uint64_t s = 0; s <= head.value; s += 13) order.push_back(s);
  std::mt19937 rng(7);
  for (int k = 0; k < 40; ++k) order.push_back(rng() % (head.value + 1));
  order.push_back(head.value - 1);
  std::set<BuildReport::Base> bases;
  for (uint64_t s : order) {
    BuildReport report;
    auto got = past.At(Seq(s), &report);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    bases.insert(report.base);
    EXPECT_LE(report.base_seq.value, s);
    EXPECT_EQ(got->seq, Seq(s));
    ExpectSame(ReplayTo(Seq(s)), *got->world, Seq(s));
    if (s > 0) {
      auto e = reader_->ReadAfter(Seq(s - 1), 1);
      EXPECT_EQ(got->time, e->front().time) << "seq " << s;
    }
  }
  EXPECT_TRUE(bases.count(BuildReport::Base::kSnapshot));
  EXPECT_TRUE(bases.count(BuildReport::Base::kCheckpoint));
  EXPECT_TRUE(bases.count(BuildReport::Base::kRecent));
  EXPECT_TRUE(bases.count(BuildReport::Base::kEmpty));
  auto stats = past.stats();
  EXPECT_GT(stats.spacing, 17u) << "the budget never thinned the checkpoints";
  EXPECT_LE(stats.checkpoint_bytes, one * 3);
  EXPECT_LE(stats.recent, 2u);
}

// Warmed up, every checkpoint is laid down: a slider dragged back starts from one each time,
// and each World is still the World of a replay to that seq. Checkpoints share what did not
// change between them: together they hold less than as many unshared Worlds.
TEST_F(PastWorldsTest, AWarmedUpCacheServesADragBackFromCheckpoints) {
  Seq head = reader_->LastSeq();
  PastWorlds past(*reader_, nullptr, {20, 1u << 30, 1});
  past.StartWarmUp();
  while (!past.warm()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  auto stats = past.stats();
  EXPECT_EQ(stats.checkpoints, head.value / 20);
  std::unordered_set<const void*> none;
  EXPECT_LT(stats.checkpoint_bytes, stats.checkpoints * ReplayTo(head).BytesBeyond(none));
  int from_checkpoints = 0;
  for (uint64_t s = head.value - 3; s > 5; s -= 7) {
    BuildReport report;
    auto got = past.At(Seq(s), &report);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    from_checkpoints += report.base == BuildReport::Base::kCheckpoint;
    EXPECT_LT(report.replayed, 20u);
    ExpectSame(ReplayTo(Seq(s)), *got->world, Seq(s));
  }
  EXPECT_GT(from_checkpoints, 10);
}

// A World copied from a checkpoint and changed by its replay leaves the checkpoint as it was.
TEST_F(PastWorldsTest, ACheckpointStaysAsItWasWhileWorldsBuiltFromItChange) {
  PastWorlds past(*reader_, nullptr, {40, 1u << 30, 0});
  ASSERT_TRUE(past.At(Seq(200)).ok());  // checkpoints at 40, 80, ... 200
  for (uint64_t s : {45, 85, 130, 199, 41, 120, 81, 160})
    ExpectSame(ReplayTo(Seq(s)), *past.At(Seq(s))->world, Seq(s));
}

TEST_F(PastWorldsTest, AWorldHandedOutStaysAsItWasWhileTheCacheMovesOn) {
  PastWorlds past(*reader_, nullptr, {50, 1u << 30, 1});
  auto early = past.At(Seq(100));
  ASSERT_TRUE(early.ok());
  Hash before = early->world->Digest();
  ASSERT_TRUE(past.At(Seq(200)).ok());  // continues from seq 100: must copy, not take it over
  ASSERT_TRUE(past.At(Seq(150)).ok());
  EXPECT_EQ(early->world->Digest(), before);
  ExpectSame(ReplayTo(Seq(100)), *early->world, Seq(100));
}

TEST_F(PastWorldsTest, BeyondTheHeadIsRefusedNamingSeq) {
  PastWorlds past(*reader_, snapshots_.get());
  auto beyond = past.At(Seq(reader_->LastSeq().value + 1));
  ASSERT_FALSE(beyond.ok());
  EXPECT_EQ(beyond.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(beyond.status().field(), "seq");
  auto empty = past.At(Seq());
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->world->incidents().empty());
  EXPECT_EQ(empty->time, Time{0});
}

TEST_F(PastWorldsTest, SeqAtIsTheLastEventAtOrBeforeTheTime) {
  PastWorlds past(*reader_, nullptr);
  auto all = reader_->ReadAfter(Seq(), 1'000'000).value();
  // Before the first event: seq 0. At each event's time: the last event of that time.
  auto before = past.SeqAt(Time{all.front().time.ms - 1});
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(before->seq, Seq());
  for (size_t k = 0; k < all.size(); k += 7) {
    size_t last = k;
    while (last + 1 < all.size() && all[last + 1].time == all[k].time) ++last;
    auto at = past.SeqAt(all[k].time);
    ASSERT_TRUE(at.ok());
    EXPECT_EQ(at->seq, all[last].seq) << "time of event " << all[k].seq.value;
    EXPECT_EQ(at->time, all[k].time);
    auto between = past.SeqAt(Time{all[last].time.ms + 1});
    EXPECT_EQ(between->seq, all[last].seq);
  }
  auto after = past.SeqAt(Time{all.back().time.ms + 3'600'000});
  EXPECT_EQ(after->seq, all.back().seq);
}

}  // namespace
}  // namespace ncc::picture
