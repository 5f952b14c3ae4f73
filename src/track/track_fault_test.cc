// The track store under failing I/O (issue 17, finding 6): the first failed write, sync or
// cut-back stops it, nothing appended since the last good sync stays in the file or the index,
// and what was durable is still read.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "track/track_store.h"

namespace ncc::track {
namespace {

namespace fs = std::filesystem;

PositionFix FixAt(uint64_t unit, int i) {
  return PositionFix{UnitId{unit}, LatLon{25.0 + i * 1e-5, 51.5},
                     Time{1'700'000'000'000 + i * 1000}, 5.0, 0.0};
}

class TrackFaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("ncc-track-fault-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = (dir_ / "tracks.ncctrk").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A store whose fdatasync fails with `err` from call number `fail_from` on (1-based), and
  // whose pwrite does the same when `writes` is set.
  std::unique_ptr<TrackStore> OpenFailing(int fail_from, int err, bool writes = false) {
    TrackStoreOptions o;
    auto calls = std::make_shared<int>(0);
    auto failing = [=] { return ++*calls >= fail_from; };
    if (writes) {
      o.file.pwrite = [=](int fd, const void* p, size_t n, off_t off) -> ssize_t {
        if (!failing()) return ::pwrite(fd, p, n, off);
        // Half of it reaches the file first, as a real short write would leave it.
        (void)!::pwrite(fd, p, n / 2, off);
        errno = err;
        return -1;
      };
    } else {
      o.file.fdatasync = [=](int fd) {
        if (!failing()) return ::fdatasync(fd);
        errno = err;
        return -1;
      };
    }
    auto store = TrackStore::Open(path_, std::move(o));
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return std::move(*store);
  }

  size_t Stored(const TrackStore& store, uint64_t unit) {
    auto q = store.Query(UnitId{unit}, Time{0}, Time{INT64_MAX});
    EXPECT_TRUE(q.ok()) << q.status().ToString();
    return q.ok() ? q->size() : 0;
  }

  fs::path dir_;
  std::string path_;
};

TEST_F(TrackFaultTest, AFailedSyncStopsTheStoreAndLeavesNothingUnacknowledged) {
  auto store = OpenFailing(3, EIO);
  for (int i = 0; i < 2; ++i) {  // two good groups
    std::vector<PositionFix> batch = {FixAt(1, i), FixAt(2, i)};
    ASSERT_TRUE(store->Append(batch).ok());
    ASSERT_TRUE(store->Sync().ok());
  }
  const uint64_t durable = fs::file_size(path_);
  std::vector<PositionFix> refused = {FixAt(1, 2), FixAt(2, 2), FixAt(3, 2)};
  ASSERT_TRUE(store->Append(refused).ok());
  Status s = store->Sync();
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_NE(s.message().find("Input/output error"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find(path_), std::string::npos) << s.message();
  // Stopped: the cause is sticky, nothing more is written, and a later sync does not pretend.
  EXPECT_EQ(store->health().message(), s.message());
  std::vector<PositionFix> later = {FixAt(1, 3)};
  EXPECT_EQ(store->Append(later).status().message(), s.message());
  EXPECT_EQ(store->Sync().message(), s.message());
  // Neither the file nor the index keeps the refused group; the durable part still reads.
  EXPECT_EQ(fs::file_size(path_), durable);
  EXPECT_EQ(store->size_bytes(), durable);
  EXPECT_EQ(Stored(*store, 1), 2u);
  EXPECT_EQ(Stored(*store, 3), 0u);
  EXPECT_EQ(store->Last(UnitId{1})->time, FixAt(1, 1).time);
  EXPECT_EQ(store->Last(UnitId{3}).status().code(), StatusCode::kNotFound);
  store.reset();
  // After a restart the refused fixes are not there, and sending them again stores them.
  auto reopened = TrackStore::Open(path_);
  ASSERT_TRUE(reopened.ok());
  EXPECT_TRUE((*reopened)->open_report().problem.empty());
  EXPECT_EQ((*reopened)->open_report().fixes, 4u);
  auto again = (*reopened)->Append(refused);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->written, 3u);
  ASSERT_TRUE((*reopened)->Sync().ok());
  EXPECT_EQ(Stored(**reopened, 1), 3u);
}

TEST_F(TrackFaultTest, AFailedWriteCutsBackEverythingSinceTheLastSync) {
  auto store = OpenFailing(3, ENOSPC, /*writes=*/true);
  std::vector<PositionFix> first = {FixAt(1, 0)};
  ASSERT_TRUE(store->Append(first).ok());  // write 1
  ASSERT_TRUE(store->Sync().ok());
  const uint64_t durable = fs::file_size(path_);
  std::vector<PositionFix> unsynced = {FixAt(1, 1)};
  ASSERT_TRUE(store->Append(unsynced).ok());  // write 2, never synced
  std::vector<PositionFix> failing = {FixAt(1, 2), FixAt(2, 2)};
  auto r = store->Append(failing);  // write 3 fails half-way
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("No space left on device"), std::string::npos);
  EXPECT_EQ(fs::file_size(path_), durable);
  EXPECT_EQ(Stored(*store, 1), 1u);
  EXPECT_FALSE(store->Sync().ok());  // the unsynced append is not made durable after the fact
  store.reset();
  auto reopened = TrackStore::Open(path_);
  ASSERT_TRUE(reopened.ok());
  EXPECT_TRUE((*reopened)->open_report().problem.empty()) << (*reopened)->open_report().problem;
  EXPECT_EQ((*reopened)->open_report().fixes, 1u);
}

TEST_F(TrackFaultTest, AFailedCutBackIsNamedInTheError) {
  TrackStoreOptions o;
  o.file.fdatasync = [](int) {
    errno = EIO;
    return -1;
  };
  o.file.ftruncate = [](int, off_t) {
    errno = EROFS;
    return -1;
  };
  auto store = TrackStore::Open(path_, std::move(o));
  ASSERT_TRUE(store.ok());
  std::vector<PositionFix> batch = {FixAt(1, 0)};
  ASSERT_TRUE((*store)->Append(batch).ok());
  Status s = (*store)->Sync();
  EXPECT_NE(s.message().find("could not be cut off"), std::string::npos) << s.message();
  EXPECT_EQ(Stored(**store, 1), 0u);  // the index is rolled back regardless
}

}  // namespace
}  // namespace ncc::track
