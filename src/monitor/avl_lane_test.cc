// The AVL lane under a failing track store (issue 17, finding 6): the first failed sync stops
// the lane; nothing refused is acknowledged, kept in the live index or left in the file, and
// after a restart the same fixes are stored.
#include "monitor/avl_lane.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <future>

#include "engine/engine_test_support.h"
#include "store/recovery.h"
#include "store/sqlite/sqlite_event_log.h"

namespace ncc::monitor {
namespace {

namespace fs = std::filesystem;

class AvlLaneFaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test_support::FreshTestDir("ncc-lane");
    engine_ = test_support::OpenTestEngine(dir_, clock_);
    ASSERT_TRUE(engine_);
    ASSERT_TRUE(
        engine_->SubmitAndWait(RegisterAgency{{"police", "Police", "police"}}, "t", "police")
            .status.ok());
    for (const char* callsign : {"P1", "P2", "P3"})
      ASSERT_TRUE(
          engine_
              ->SubmitAndWait(RegisterUnit{callsign, "police", "patrol", {}, "", std::nullopt}, "t",
                              "police")
              .status.ok());
  }
  void TearDown() override {
    if (engine_) engine_->Stop();
    fs::remove_all(dir_);
  }

  // A lane whose track store fdatasync fails with EIO from its `fail_from`-th call on (0: never).
  std::unique_ptr<AvlLane> OpenLane(int fail_from = 0) {
    LaneOptions o;
    o.track_path = dir_ + "/tracks.ncctrk";
    o.stale_after_ms = 0;
    if (fail_from > 0) {
      auto calls = std::make_shared<int>(0);
      o.track_file.fdatasync = [calls, fail_from](int fd) {
        if (++*calls < fail_from) return ::fdatasync(fd);
        errno = EIO;
        return -1;
      };
    }
    auto lane = AvlLane::Open(*engine_, clock_, std::move(o));
    EXPECT_TRUE(lane.ok()) << lane.status().ToString();
    return std::move(*lane);
  }

  BatchResult Send(AvlLane& lane, std::vector<PositionFix> fixes) {
    std::promise<BatchResult> done;
    lane.Submit(Source::kHttp, gateway_, std::move(fixes),
                [&](BatchResult r) { done.set_value(std::move(r)); });
    return done.get_future().get();
  }

  PositionFix Fix(uint64_t unit, int second, double north = 0) const {
    return PositionFix{UnitId{unit}, LatLon{25.28 + north, 51.53},
                       Time{clock_.Now().ms - 60'000 + second * 1000}, 8.0, 90.0};
  }

  std::string dir_;
  ManualClock clock_;
  std::unique_ptr<Engine> engine_;
  auth::Principal gateway_{
      auth::Principal::Kind::kGateway, "avl-1", "police", {}, Classification::kRestricted,
      {auth::Lane::kPositions}};
};

TEST_F(AvlLaneFaultTest, AFailedSyncStopsTheLaneAndKeepsNothingItRefused) {
  auto lane = OpenLane(/*fail_from=*/2);
  BatchResult ok = Send(*lane, {Fix(1, 0), Fix(2, 0)});
  ASSERT_TRUE(ok.status.ok()) << ok.status.ToString();
  EXPECT_EQ(ok.accepted, 2u);

  // The second group's fdatasync fails: refused whole, with the cause.
  BatchResult failed = Send(*lane, {Fix(1, 1, 0.0005), Fix(3, 1)});
  EXPECT_EQ(failed.status.code(), StatusCode::kUnavailable);
  EXPECT_NE(failed.status.message().find("Input/output error"), std::string::npos)
      << failed.status.message();
  EXPECT_NE(failed.status.message().find("tracks.ncctrk"), std::string::npos);
  EXPECT_EQ(failed.accepted, 0u);
  // The live index does not keep what the client was refused.
  ASSERT_TRUE(lane->Get(UnitId{1}).has_value());
  EXPECT_EQ(lane->Get(UnitId{1})->position.time, Fix(1, 0).time);
  EXPECT_EQ(lane->Get(UnitId{1})->position.position, Fix(1, 0).position);
  EXPECT_FALSE(lane->Get(UnitId{3}).has_value());
  EXPECT_EQ(lane->Track(UnitId{1}, Time{0}, Time{INT64_MAX})->size(), 1u);

  // Stopped: every later batch is refused with the same cause, and health() says so.
  EXPECT_EQ(lane->health().message(), failed.status.message());
  BatchResult later = Send(*lane, {Fix(2, 2)});
  EXPECT_EQ(later.status.message(), failed.status.message());
  EXPECT_EQ(lane->Get(UnitId{2})->position.time, Fix(2, 0).time);
  std::string metrics;
  lane->RenderMetrics(metrics);
  EXPECT_NE(metrics.find("ncc_avl_lane_up 0"), std::string::npos);
  EXPECT_NE(metrics.find("ncc_avl_sync_failures_total 1"), std::string::npos);
  EXPECT_NE(metrics.find("ncc_avl_fixes_unstored_total 3"), std::string::npos) << metrics;
  // "accepted" counts durable fixes only: the two of the first group.
  EXPECT_NE(metrics.find("ncc_avl_fixes_accepted_total{source=\"http\"} 2\n"), std::string::npos);
  lane->Stop();
  lane.reset();

  // A restart recovers: what was durable is there, and the refused fixes are stored when sent
  // again (not "same time as the current fix").
  lane = OpenLane();
  EXPECT_TRUE(lane->health().ok());
  EXPECT_EQ(lane->Get(UnitId{1})->position.time, Fix(1, 0).time);
  EXPECT_FALSE(lane->Get(UnitId{3}).has_value());
  BatchResult retry = Send(*lane, {Fix(1, 1, 0.0005), Fix(3, 1)});
  ASSERT_TRUE(retry.status.ok()) << retry.status.ToString();
  EXPECT_EQ(retry.accepted, 2u);
  EXPECT_TRUE(retry.rejected.empty());
  EXPECT_EQ(lane->Track(UnitId{1}, Time{0}, Time{INT64_MAX})->size(), 2u);
  lane->Stop();
}

TEST_F(AvlLaneFaultTest, AFailedWriteStopsTheLaneToo) {
  LaneOptions o;
  o.track_path = dir_ + "/tracks.ncctrk";
  o.stale_after_ms = 0;
  o.track_file.pwrite = [](int, const void*, size_t, off_t) -> ssize_t {
    errno = ENOSPC;
    return -1;
  };
  auto lane = AvlLane::Open(*engine_, clock_, std::move(o));
  ASSERT_TRUE(lane.ok());
  BatchResult r = Send(**lane, {Fix(1, 0)});
  EXPECT_EQ(r.status.code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status.message().find("No space left on device"), std::string::npos);
  EXPECT_FALSE((*lane)->Get(UnitId{1}).has_value());
  EXPECT_FALSE((*lane)->health().ok());
  (*lane)->Stop();
}

// Issue 17, damage case "tracks.ncctrk delete": the event log's position checkpoints prove fixes
// were stored, so a missing track file is refused (naming it) instead of starting empty without
// a word; --accept-track-loss starts anyway, and says how much is gone.
TEST_F(AvlLaneFaultTest, AMissingTrackFileIsRefusedWhenTheLogProvesFixesWereStored) {
  {
    auto lane = OpenLane();
    // First fixes after a start: each unit's is checkpointed into the event log.
    BatchResult ok = Send(*lane, {Fix(1, 0), Fix(2, 0), Fix(2, 1)});
    ASSERT_TRUE(ok.status.ok()) << ok.status.ToString();
    EXPECT_GT(ok.seq, Seq());
    lane->Stop();
  }
  auto recovered = Recover(engine_->log(), nullptr);  // what serve counts at start-up
  ASSERT_TRUE(recovered.ok());
  ASSERT_GT(recovered->position_reports, 0u);
  const std::string path = dir_ + "/tracks.ncctrk";
  ASSERT_TRUE(fs::remove(path));

  LaneOptions o;
  o.track_path = path;
  o.stale_after_ms = 0;
  o.position_reports = recovered->position_reports;
  auto refused = AvlLane::Open(*engine_, clock_, o);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(refused.status().message().find(path + " is missing"), std::string::npos)
      << refused.status().message();
  EXPECT_NE(refused.status().message().find("--accept-track-loss"), std::string::npos);
  EXPECT_FALSE(fs::exists(path));  // refusing creates nothing

  o.accept_track_loss = true;
  auto lane = AvlLane::Open(*engine_, clock_, o);
  ASSERT_TRUE(lane.ok()) << lane.status().ToString();
  std::string metrics;
  (*lane)->RenderMetrics(metrics);
  EXPECT_NE(metrics.find("ncc_avl_track_file_lost 1\n"), std::string::npos) << metrics;
  // The mark beside the deleted file says how many acknowledged fixes it held.
  EXPECT_NE(metrics.find("ncc_avl_track_lost_fixes 3\n"), std::string::npos) << metrics;
  EXPECT_FALSE((*lane)->Get(UnitId{1}).has_value());
  (*lane)->Stop();
  lane->reset();

  // The file is there again: the next start is an ordinary one.
  o.accept_track_loss = false;
  auto next = AvlLane::Open(*engine_, clock_, o);
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  metrics.clear();
  (*next)->RenderMetrics(metrics);
  EXPECT_NE(metrics.find("ncc_avl_track_file_lost 0\n"), std::string::npos) << metrics;
  (*next)->Stop();
}

TEST_F(AvlLaneFaultTest, ANewFolderStartsWithoutATrackFile) {
  LaneOptions o;
  o.track_path = dir_ + "/tracks.ncctrk";
  o.stale_after_ms = 0;
  o.position_reports = 0;  // nothing in the log proves a fix was ever stored
  auto lane = AvlLane::Open(*engine_, clock_, o);
  ASSERT_TRUE(lane.ok()) << lane.status().ToString();
  EXPECT_TRUE(fs::exists(o.track_path));
  (*lane)->Stop();
}

}  // namespace
}  // namespace ncc::monitor
