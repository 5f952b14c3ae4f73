#include "track/track_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

namespace ncc::track {
namespace {

namespace fs = std::filesystem;

class TrackStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("ncc-track-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = (dir_ / "tracks.ncct").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  // 20 units, 50 batches of one fix each per unit, 1 s apart, walking north-east.
  std::vector<std::vector<PositionFix>> Batches() const {
    std::vector<std::vector<PositionFix>> out;
    for (int b = 0; b < 50; ++b) {
      std::vector<PositionFix> batch;
      for (uint64_t u = 1; u <= 20; ++u)
        batch.push_back(PositionFix{UnitId{u},
                                    LatLon{25.28 + b * 1e-4 + u * 1e-3, 51.53 + b * 2e-4},
                                    Time{1'700'000'000'000 + b * 1000}, 12.5, 45.0});
      out.push_back(batch);
    }
    return out;
  }

  // Every batch, then one sync; or (sync_last false) a sync before the last batch and none
  // after it, as a crash mid-group leaves the file: the last batch was never acknowledged.
  void WriteAll(bool sync_last = true) {
    auto store = TrackStore::Open(path_);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto batches = Batches();
    for (size_t i = 0; i < batches.size(); ++i) {
      if (i + 1 == batches.size() && !sync_last) {
        ASSERT_TRUE((*store)->Sync().ok());
      }
      auto r = (*store)->Append(batches[i]);
      ASSERT_TRUE(r.ok());
      ASSERT_EQ(r->written, batches[i].size());
    }
    if (sync_last) {
      ASSERT_TRUE((*store)->Sync().ok());
    }
  }

  fs::path dir_;
  std::string path_;
};

TEST_F(TrackStoreTest, WriteReopenQuery) {
  WriteAll();
  auto store = TrackStore::Open(path_);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ((*store)->open_report().blocks, 1000u);
  EXPECT_EQ((*store)->open_report().fixes, 1000u);
  EXPECT_TRUE((*store)->open_report().problem.empty());
  EXPECT_EQ((*store)->Units().size(), 20u);
  auto all = (*store)->Query(UnitId{7}, Time{0}, Time{INT64_MAX});
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 50u);
  auto want = Batches();
  for (int b = 0; b < 50; ++b) {
    const TrackFix& f = (*all)[b];
    EXPECT_EQ(f.time, want[b][6].time);
    EXPECT_NEAR(f.position.lat, want[b][6].position.lat, 1e-7);
    EXPECT_NEAR(f.position.lon, want[b][6].position.lon, 1e-7);
    EXPECT_FLOAT_EQ(f.speed_mps, 12.5f);
    EXPECT_FLOAT_EQ(f.heading_deg, 45.0f);
  }
  // A window in the middle, crossing checkpoints (one every 64 blocks: 50 blocks per unit here,
  // so add more below).
  auto mid = (*store)->Query(UnitId{7}, Time{1'700'000'010'000}, Time{1'700'000'019'500});
  ASSERT_TRUE(mid.ok());
  ASSERT_EQ(mid->size(), 10u);
  EXPECT_EQ(mid->front().time.ms, 1'700'000'010'000);
  EXPECT_TRUE((*store)->Query(UnitId{99}, Time{0}, Time{INT64_MAX})->empty());
  auto last = (*store)->Last(UnitId{7});
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(last->time, want[49][6].time);
  EXPECT_NEAR(last->position.lat, want[49][6].position.lat, 1e-7);
  EXPECT_EQ((*store)->Last(UnitId{99}).status().code(), StatusCode::kNotFound);
}

TEST_F(TrackStoreTest, ManyBlocksPerUnitUseCheckpoints) {
  auto store = TrackStore::Open(path_);
  ASSERT_TRUE(store.ok());
  for (int i = 0; i < 1000; ++i) {
    PositionFix f{UnitId{1}, LatLon{25.0, 51.0 + i * 1e-5}, Time{i * 1000}, 0, 0};
    ASSERT_TRUE((*store)->Append(std::span(&f, 1)).ok());
  }
  store = TrackStore::Open(path_);
  ASSERT_TRUE(store.ok());
  for (int from : {0, 63, 64, 500, 999}) {
    auto r = (*store)->Query(UnitId{1}, Time{from * 1000}, Time{from * 1000 + 9'999});
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->size(), static_cast<size_t>(std::min(10, 1000 - from))) << from;
    EXPECT_EQ(r->front().time.ms, from * 1000);
  }
}

TEST_F(TrackStoreTest, OutOfOrderFixesAreSkippedAndCounted) {
  auto store = TrackStore::Open(path_);
  ASSERT_TRUE(store.ok());
  std::vector<PositionFix> batch = {{UnitId{1}, {25, 51}, Time{3000}},
                                    {UnitId{1}, {25, 51}, Time{1000}},  // reordered in batch
                                    {UnitId{2}, {25, 51}, Time{5000}}};
  auto r = (*store)->Append(batch);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->written, 3u);
  std::vector<PositionFix> late = {{UnitId{1}, {25, 51}, Time{2000}},
                                   {UnitId{1}, {25, 51}, Time{4000}}};
  r = (*store)->Append(late);
  EXPECT_EQ(r->written, 1u);
  EXPECT_EQ(r->out_of_order, 1u);
  auto q = (*store)->Query(UnitId{1}, Time{0}, Time{10'000});
  ASSERT_EQ(q->size(), 3u);
  EXPECT_EQ((*q)[0].time.ms, 1000);
  EXPECT_EQ((*q)[2].time.ms, 4000);
}

TEST_F(TrackStoreTest, TruncatedTailIsDetectedAndPrefixKept) {
  WriteAll(/*sync_last=*/false);
  auto full = fs::file_size(path_);
  fs::resize_file(path_, full - 7);  // mid-way through the last block
  auto store = TrackStore::Open(path_);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  const OpenReport& rep = (*store)->open_report();
  EXPECT_FALSE(rep.problem.empty());
  EXPECT_EQ(rep.blocks, 999u);
  EXPECT_GT(rep.dropped_bytes, 0u);
  // A torn last block after the last sync is an unfinished write, not lost history.
  EXPECT_EQ(rep.lost_blocks, 0u);
  EXPECT_EQ(rep.lost_fixes, 0u);
  EXPECT_EQ(rep.synced_lost_fixes, 0u);
  EXPECT_TRUE(fs::exists(rep.saved_tail));
  EXPECT_EQ(fs::file_size(path_), rep.valid_bytes);
  EXPECT_EQ((*store)->Query(UnitId{20}, Time{0}, Time{INT64_MAX})->size(), 49u);
  EXPECT_EQ((*store)->Query(UnitId{19}, Time{0}, Time{INT64_MAX})->size(), 50u);
  // Appends continue after the valid prefix and survive another reopen.
  PositionFix f{UnitId{20}, {25.3, 51.6}, Time{1'800'000'000'000}};
  ASSERT_TRUE((*store)->Append(std::span(&f, 1)).ok());
  ASSERT_TRUE((*store)->Sync().ok());
  store = TrackStore::Open(path_);
  ASSERT_TRUE(store.ok());
  EXPECT_TRUE((*store)->open_report().problem.empty());
  EXPECT_EQ((*store)->Query(UnitId{20}, Time{0}, Time{INT64_MAX})->size(), 50u);
}

// Issue 17, damage case "tracks.ncctrk truncate_tail 10": the same cut after the last batch was
// synced (acknowledged) is lost history, counted exactly from the mark file.
TEST_F(TrackStoreTest, ACutAfterTheSyncCountsTheAcknowledgedFixesLost) {
  WriteAll();
  const auto full = fs::file_size(path_);
  ASSERT_TRUE(fs::exists(SyncedMarkPath(path_)));
  EXPECT_EQ(SyncedMarkPath(path_), (dir_ / "tracks.synced").string());
  fs::resize_file(path_, full - 7);  // mid-way through the last block (unit 20, one fix)
  auto strict = TrackStore::Open(path_, {.repair = false});
  EXPECT_EQ(strict.status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(fs::file_size(path_), full - 7);  // repair off changes nothing
  {
    auto store = TrackStore::Open(path_);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    const OpenReport& rep = (*store)->open_report();
    EXPECT_EQ(rep.blocks, 999u);
    EXPECT_EQ(rep.lost_blocks, 0u);
    EXPECT_EQ(rep.synced_lost_fixes, 1u);
    EXPECT_EQ(rep.lost_fixes, 1u);
    EXPECT_NE(rep.problem.find("1 acknowledged fixes lost"), std::string::npos) << rep.problem;
    EXPECT_NE(rep.problem.find(std::to_string(full) + " bytes were synced"), std::string::npos)
        << rep.problem;
  }
  // Said once: the mark now records what is kept, so the next open finds nothing new.
  auto again = TrackStore::Open(path_);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE((*again)->open_report().problem.empty()) << (*again)->open_report().problem;
}

TEST_F(TrackStoreTest, ACutOnABlockBoundaryAfterTheSyncIsFoundToo) {
  WriteAll();
  // Without the last batch (20 blocks of one fix): the scan alone sees a whole, shorter file.
  std::string bytes;
  {
    std::ifstream in(path_, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  uint64_t cut = 0;
  ScanTrack(
      [&](uint64_t off, size_t n, char* dst) -> size_t {
        size_t take = off >= bytes.size() ? 0 : std::min<size_t>(n, bytes.size() - off);
        std::memcpy(dst, bytes.data() + off, take);
        return take;
      },
      bytes.size(),
      [&](uint64_t off, const BlockHeader& h) {
        if (h.t_first == 1'700'000'000'000 + 49 * 1000 && cut == 0) cut = off;
        return Status::Ok();
      });
  ASSERT_GT(cut, 0u);
  fs::resize_file(path_, cut);
  auto store = TrackStore::Open(path_);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  const OpenReport& rep = (*store)->open_report();
  EXPECT_EQ(rep.dropped_bytes, 0u);
  EXPECT_EQ(rep.synced_lost_fixes, 20u);
  EXPECT_EQ(rep.lost_fixes, 20u);
}

// A deleted track file comes back empty, but the mark beside it says how many fixes it held.
TEST_F(TrackStoreTest, ADeletedFileIsCreatedAfreshAndItsSyncedFixesCountedLost) {
  WriteAll();
  fs::remove(path_);
  auto store = TrackStore::Open(path_);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ((*store)->open_report().synced_lost_fixes, 1000u);
  EXPECT_EQ((*store)->open_report().lost_fixes, 1000u);
  EXPECT_EQ(fs::file_size(path_), kFileHeaderSize);
  EXPECT_TRUE((*store)->Units().empty());
}

// A mark that does not check (torn while being rewritten, or not ours) proves nothing: no loss is
// invented, and the next sync writes a good one.
TEST_F(TrackStoreTest, ADamagedMarkIsIgnoredAndRewritten) {
  WriteAll();
  {
    std::ofstream(SyncedMarkPath(path_), std::ios::trunc) << "NCCTSYN1 torn......................";
  }
  fs::resize_file(path_, fs::file_size(path_) - 7);
  {
    auto store = TrackStore::Open(path_);
    ASSERT_TRUE(store.ok());
    EXPECT_EQ((*store)->open_report().lost_fixes, 0u);
    EXPECT_GT((*store)->open_report().dropped_bytes, 0u);
    PositionFix f{UnitId{20}, {25.3, 51.6}, Time{1'800'000'000'000}};
    ASSERT_TRUE((*store)->Append(std::span(&f, 1)).ok());
    ASSERT_TRUE((*store)->Sync().ok());
  }
  fs::resize_file(path_, fs::file_size(path_) - 3);  // the fix just synced
  auto store = TrackStore::Open(path_);
  ASSERT_TRUE(store.ok());
  EXPECT_EQ((*store)->open_report().synced_lost_fixes, 1u);
}

TEST_F(TrackStoreTest, FlippedByteIsDetected) {
  WriteAll();
  auto size = fs::file_size(path_);
  uint64_t at = size / 2;
  {
    std::fstream f(path_, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(static_cast<std::streamoff>(at));
    char c;
    f.get(c);
    f.seekp(static_cast<std::streamoff>(at));
    f.put(static_cast<char>(c ^ 0x10));
  }
  auto strict = TrackStore::Open(path_, {.repair = false});
  EXPECT_EQ(strict.status().code(), StatusCode::kDataLoss);
  auto store = TrackStore::Open(path_);
  ASSERT_TRUE(store.ok());
  const OpenReport& rep = (*store)->open_report();
  EXPECT_FALSE(rep.problem.empty());
  // Version 2 resynchronises: the flipped byte costs its own block (one fix here), not the
  // half of the file after it.
  EXPECT_EQ(rep.valid_bytes, size);
  EXPECT_EQ(rep.blocks, 999u);
  EXPECT_EQ(rep.lost_blocks, 1u);
  EXPECT_EQ(rep.lost_fixes, 1u);
  EXPECT_EQ(rep.dropped_bytes, 0u);
}

TEST_F(TrackStoreTest, ForeignFilesAreNotTouched) {
  { std::ofstream(path_) << "hello, this is not a track file at all"; }
  EXPECT_EQ(TrackStore::Open(path_).status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(fs::file_size(path_), 38u);
  { std::ofstream(path_, std::ios::trunc) << "NCCTR"; }  // crash while creating: restart
  EXPECT_TRUE(TrackStore::Open(path_).ok());
  EXPECT_EQ(fs::file_size(path_), kFileHeaderSize);
}

TEST(TrackFormat, VarintAndZigZagRoundTrip) {
  std::mt19937_64 rng(5);
  for (int i = 0; i < 10000; ++i) {
    int64_t v = static_cast<int64_t>(rng()) >> (rng() % 64);
    std::string s;
    PutVarint(s, ZigZag(v));
    size_t pos = 0;
    uint64_t got = 0;
    ASSERT_TRUE(GetVarint(s, pos, got));
    EXPECT_EQ(UnZigZag(got), v);
    EXPECT_EQ(pos, s.size());
  }
  EXPECT_EQ(Crc32("123456789", 9), 0xCBF43926u);  // the standard check value
}

// The picture at a past moment: the newest fix at or before a time, past the per-unit
// checkpoints (a unit with more than 64 blocks), against the answer of Query over all time.
TEST_F(TrackStoreTest, LastAtOrBeforeIsTheNewestFixNoLaterThanTheTime) {
  auto store = TrackStore::Open(path_);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  const int64_t t0 = 1'700'000'000'000;
  for (int b = 0; b < 300; ++b) {
    // Unit 1: one block of three fixes 1 s apart every 10 s; unit 2: one fix every 30 s.
    std::vector<PositionFix> batch;
    for (int k = 0; k < 3; ++k)
      batch.push_back(PositionFix{UnitId{1}, LatLon{25.0 + b * 1e-4, 51.0 + k * 1e-5},
                                  Time{t0 + b * 10'000 + k * 1000}, 5, 90});
    if (b % 3 == 0)
      batch.push_back(
          PositionFix{UnitId{2}, LatLon{26.0, 52.0 + b * 1e-4}, Time{t0 + b * 10'000}, 0, 0});
    ASSERT_TRUE((*store)->Append(batch).ok());
  }
  ASSERT_TRUE((*store)->Sync().ok());
  for (uint64_t unit : {1u, 2u}) {
    auto all = (*store)->Query(UnitId{unit}, Time{0}, Time{INT64_MAX});
    ASSERT_TRUE(all.ok());
    for (int64_t at = t0 - 500; at < t0 + 3'010'000; at += 777) {
      auto got = (*store)->LastAtOrBefore(UnitId{unit}, Time{at});
      auto want = std::find_if(all->rbegin(), all->rend(),
                               [&](const TrackFix& f) { return f.time.ms <= at; });
      if (want == all->rend()) {
        EXPECT_EQ(got.status().code(), StatusCode::kNotFound) << unit << " at " << at;
        continue;
      }
      ASSERT_TRUE(got.ok()) << got.status().ToString();
      EXPECT_EQ(*got, *want) << unit << " at " << at;
    }
  }
  EXPECT_EQ((*store)->LastAtOrBefore(UnitId{3}, Time{t0}).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace ncc::track
