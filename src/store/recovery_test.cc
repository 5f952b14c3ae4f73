#include "store/recovery.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "store/test_workload.h"

namespace ncc {
namespace {

class RecoveryTest : public ::testing::Test {
 protected:
  std::string dir = (std::filesystem::temp_directory_path() /
                     ("ncc-recovery-" + std::to_string(::getpid()) + "-" +
                      ::testing::UnitTest::GetInstance()->current_test_info()->name()))
                        .string();
  MemoryEventLog log;
  testing::Workload w = testing::Workload::Make(8, 200);
  void SetUp() override {
    std::filesystem::remove_all(dir);
    ASSERT_TRUE(log.Append(w.stored).ok());
  }
  // A snapshot of the World as it stood after event `seq`.
  Snapshot SnapshotAt(uint64_t seq) {
    World partial;
    for (uint64_t i = 0; i < seq; ++i) partial.Apply(*Decode(w.stored[i]));
    return Snapshot{Seq(seq), w.stored[seq - 1].hash, partial.Serialize()};
  }
};

TEST_F(RecoveryTest, TheLastEventsTimeIsReportedAndVerifyRefusesTimeRunningBackwards) {
  auto r = Recover(log, nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->last_time, w.stored.back().time);

  testing::Workload back;
  back.Run(RegisterAgency{{"fire", "Fire", "fire"}}, Time{1'586'250'000'000});
  back.Run(RegisterAgency{{"police", "Police", "police"}}, Time{1'586'250'000'000 - 86'400'000});
  MemoryEventLog stepped;
  ASSERT_TRUE(stepped.Append(back.stored).ok());
  Status s = VerifyChain(stepped);
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_NE(s.message().find("event 2: time"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("backwards"), std::string::npos) << s.message();
}

TEST_F(RecoveryTest, UnfinishedSnapshotFilesAreRemovedAndFinishedOnesKept) {
  SnapshotStore snaps(dir);
  ASSERT_TRUE(snaps.Write(SnapshotAt(300)).ok());
  // What a write cut short by a crash or a full disk leaves: its temporary file.
  { std::ofstream(dir + "/snapshot-00000000000000000400.bin.tmp") << "half a snapshot"; }
  { std::ofstream(dir + "/notes.txt") << "not ours"; }
  EXPECT_EQ(snaps.RemoveLeftovers(), 1u);
  EXPECT_FALSE(std::filesystem::exists(dir + "/snapshot-00000000000000000400.bin.tmp"));
  EXPECT_TRUE(std::filesystem::exists(dir + "/notes.txt"));
  auto latest = snaps.LoadLatest();
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(latest->seq, Seq(300));
  EXPECT_EQ(snaps.RemoveLeftovers(), 0u);
}

TEST_F(RecoveryTest, SnapshotPlusTailEqualsFullReplay) {
  auto full = Recover(log, nullptr);
  ASSERT_TRUE(full.ok()) << full.status().ToString();
  EXPECT_EQ(full->world.Digest(), w.world.Digest());

  SnapshotStore snaps(dir);
  ASSERT_TRUE(snaps.Write(SnapshotAt(300)).ok());
  auto fast = Recover(log, &snaps);
  ASSERT_TRUE(fast.ok()) << fast.status().ToString();
  EXPECT_EQ(fast->snapshot_seq, Seq(300));
  EXPECT_EQ(fast->replayed, w.stored.size() - 300);
  EXPECT_EQ(fast->world.Digest(), full->world.Digest());
  EXPECT_EQ(fast->head, w.head);
}

TEST_F(RecoveryTest, CorruptNewestSnapshotFallsBackToOlder) {
  SnapshotStore snaps(dir);
  ASSERT_TRUE(snaps.Write(SnapshotAt(100), 5).ok());
  ASSERT_TRUE(snaps.Write(SnapshotAt(400), 5).ok());
  // Flip one byte in the middle of the newest snapshot.
  std::string newest = dir + "/snapshot-00000000000000000400.bin";
  FILE* f = std::fopen(newest.c_str(), "r+b");
  std::fseek(f, 80, SEEK_SET);
  std::fputc(0x5a, f);
  std::fclose(f);
  auto r = Recover(log, &snaps);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->snapshot_seq, Seq(100));
  ASSERT_EQ(r->notes.size(), 1u);
  EXPECT_NE(r->notes[0].find("checksum mismatch"), std::string::npos);
  EXPECT_EQ(r->world.Digest(), w.world.Digest());
}

TEST_F(RecoveryTest, TruncatedLogBelowSnapshotIsReported) {
  SnapshotStore snaps(dir);
  ASSERT_TRUE(snaps.Write(SnapshotAt(400)).ok());
  MemoryEventLog shorter;
  ASSERT_TRUE(shorter.Append({w.stored.begin(), w.stored.begin() + 350}).ok());
  auto r = Recover(shorter, &snaps);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "event log ends at seq 350 but a snapshot covers seq 400: the log was truncated");
}

TEST_F(RecoveryTest, CorruptTailNamesTheSeq) {
  log.events_for_test()[500].payload[0] ^= 0x01;
  auto r = Recover(log, nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(r.status().message(), "event 501: content does not match its hash");
}

// Issue 17, damage case 1: an event below the newest snapshot altered on disk. Start-up used to
// read only the event at the snapshot's seq and the tail, so it came up and the damage showed
// only when a client read that far back; now it walks the whole chain as `ncc log verify` does.
TEST_F(RecoveryTest, DamageBelowTheSnapshotIsRefusedAtStart) {
  SnapshotStore snaps(dir);
  ASSERT_TRUE(snaps.Write(SnapshotAt(400)).ok());
  log.events_for_test()[99].payload[0] ^= 0x01;
  auto r = Recover(log, &snaps);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(r.status().message(),
            "event 100: content does not match its hash (under the snapshot at seq 400)");
  EXPECT_EQ(VerifyChain(log).message() + " (under the snapshot at seq 400)",
            r.status().message());  // verify says the same

  // A broken link below the snapshot (an event replaced whole, hash recomputed) too.
  log.events_for_test()[99] = w.stored[99];
  log.events_for_test()[199].prev_hash[0] ^= 0x01;
  log.events_for_test()[199].hash = ChainHash(log.events_for_test()[199]);
  r = Recover(log, &snaps);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "event 200: previous-hash link broken (under the snapshot at seq 400)");

  // The engine's rebuild after a refused append trusts what it checked at start: tail only.
  auto tail = Recover(log, &snaps, ChainCheck::kTail);
  ASSERT_TRUE(tail.ok()) << tail.status().ToString();
  EXPECT_EQ(tail->snapshot_seq, Seq(400));
  EXPECT_EQ(tail->world.Digest(), w.world.Digest());
}

TEST_F(RecoveryTest, AWholeChainWalkBelowTheSnapshotStillRecoversTheSameWorld) {
  SnapshotStore snaps(dir);
  ASSERT_TRUE(snaps.Write(SnapshotAt(400)).ok());
  auto r = Recover(log, &snaps);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->snapshot_seq, Seq(400));
  EXPECT_EQ(r->replayed, w.stored.size() - 400);
  EXPECT_EQ(r->world.Digest(), w.world.Digest());
  EXPECT_EQ(r->head, w.head);
  EXPECT_EQ(r->last_time, w.stored.back().time);
}

// Position checkpoints are counted by type over the whole log, the part under the snapshot too
// (the lane uses the count as proof that the track store held fixes).
TEST_F(RecoveryTest, PositionReportsAreCountedOverTheWholeLog) {
  testing::Workload p = testing::Workload::Make(2, 3);
  const Time t{1'586'260'000'000};
  for (int k = 0; k < 5; ++k)
    p.Run(ReportPositions{{{UnitId(1), {37.78, -122.41}, Time{t.ms + k * 1000}, 0, 0}}},
          Time{t.ms + k * 1000});
  p.Run(ChangeUnitStatus{UnitId(2), UnitStatus::kEnRoute, ""}, Time{t.ms + 9000});
  MemoryEventLog plog;
  ASSERT_TRUE(plog.Append(p.stored).ok());
  auto full = Recover(plog, nullptr);
  ASSERT_TRUE(full.ok()) << full.status().ToString();
  EXPECT_EQ(full->position_reports, 5u);

  World partial;
  const uint64_t cut = p.stored.size() - 3;  // two checkpoints in the tail, three below
  for (uint64_t i = 0; i < cut; ++i) partial.Apply(*Decode(p.stored[i]));
  SnapshotStore snaps(dir);
  ASSERT_TRUE(snaps.Write({Seq(cut), p.stored[cut - 1].hash, partial.Serialize()}).ok());
  auto fast = Recover(plog, &snaps);
  ASSERT_TRUE(fast.ok()) << fast.status().ToString();
  EXPECT_EQ(fast->snapshot_seq, Seq(cut));
  EXPECT_EQ(fast->position_reports, 5u);
}

// Damage cases 2 and 3 (a cut or deleted WAL): the log is a whole chain, only shorter than what a
// snapshot saw. The one check start-up makes is what the verify commands call.
TEST_F(RecoveryTest, CheckLogAgainstSnapshotsFindsALogShorterThanTheNewestSnapshot) {
  // No snapshot folder at all: nothing to compare, and nothing is created by looking.
  auto none = CheckLogAgainstSnapshots(log, SnapshotStore(dir));
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->seq, Seq());
  EXPECT_FALSE(std::filesystem::exists(dir));

  SnapshotStore snaps(dir);
  ASSERT_TRUE(snaps.Write(SnapshotAt(400)).ok());
  auto agrees = CheckLogAgainstSnapshots(log, snaps);
  ASSERT_TRUE(agrees.ok()) << agrees.status().ToString();
  EXPECT_EQ(agrees->seq, Seq(400));
  EXPECT_EQ(agrees->head, w.stored[399].hash);
  EXPECT_EQ(agrees->time, w.stored[399].time);

  MemoryEventLog shorter;
  ASSERT_TRUE(shorter.Append({w.stored.begin(), w.stored.begin() + 350}).ok());
  ASSERT_TRUE(VerifyChain(shorter).ok());  // the chain alone cannot tell
  auto cut = CheckLogAgainstSnapshots(shorter, snaps);
  ASSERT_FALSE(cut.ok());
  EXPECT_EQ(cut.status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(cut.status().message(),
            "event log ends at seq 350 but a snapshot covers seq 400: the log was truncated");
  EXPECT_EQ(Recover(shorter, &snaps).status().message(), cut.status().message());

  // A log that forked below the snapshot (its own history, its own hashes) disagrees too.
  testing::Workload other = testing::Workload::Make(9, 200);
  MemoryEventLog forked;
  ASSERT_TRUE(forked.Append(other.stored).ok());
  std::vector<std::string> skipped;
  auto differs = CheckLogAgainstSnapshots(forked, snaps, &skipped);
  ASSERT_FALSE(differs.ok());
  EXPECT_EQ(differs.status().message(), "event 400: does not match the snapshot's hash");
  EXPECT_TRUE(skipped.empty());
  EXPECT_EQ(SnapshotStore(dir).RemoveLeftovers(), 0u);
}

}  // namespace
}  // namespace ncc
