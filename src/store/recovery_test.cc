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

}  // namespace
}  // namespace ncc
