// The real SF calls for service (DataSF, April 2020) replayed through the real engine on a
// virtual clock that follows the data's own times, read back by the report. By default the
// first day of calls (a unit test's worth); NCC_REPORT_SF_HOURS=0 replays the whole file and
// NCC_REPORT_SF_OUT=DIR keeps the data folder (docs/report.md makes its figure set that way).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <set>

#include "core/temp_dir_for_tests.h"
#include "report/log_reader.h"
#include "report/report.h"
#include "sim/call_replay.h"
#include "store/sqlite/sqlite_event_log.h"

namespace ncc::report {
namespace {

std::string DataFile() {
  const char* dir = std::getenv("NCC_DATA_DIR");
  return dir ? std::string(dir) + "/calls/sf_fire_calls_for_service_2020-04.csv" : "";
}

// The rows of calls received within `hours` of the first (0: all).
std::vector<UnitResponse> FirstHours(std::vector<UnitResponse> rows, double hours) {
  if (hours <= 0 || rows.empty()) return rows;
  Time first = rows.front().received;
  for (const UnitResponse& r : rows) first = std::min(first, r.received);
  const int64_t end = first.ms + static_cast<int64_t>(hours * 3600 * 1000);
  std::erase_if(rows, [&](const UnitResponse& r) { return r.received.ms >= end; });
  return rows;
}

TEST(SfReplay, TheReportReadsTheRealCallsAtTheirOwnTimes) {
  std::string path = DataFile();
  if (path.empty() || !std::filesystem::exists(path)) GTEST_SKIP() << "no data folder";
  auto all = ReadSfCalls(path);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  const char* hours_env = std::getenv("NCC_REPORT_SF_HOURS");
  std::vector<UnitResponse> rows = FirstHours(*all, hours_env ? std::atof(hours_env) : 24);
  ASSERT_FALSE(rows.empty());

  testing::TempDir temp;
  const char* out_env = std::getenv("NCC_REPORT_SF_OUT");
  std::string dir = out_env ? out_env : temp.path();
  if (out_env) std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto steps = BuildReplay(rows);
  ManualClock clock(steps.front().at);
  {
    auto log = SqliteEventLog::Open(dir + "/events.db");
    ASSERT_TRUE(log.ok());
    auto engine = Engine::Open(std::move(*log), std::make_unique<SnapshotStore>(dir + "/snapshots"),
                               clock, {});
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    ASSERT_TRUE(SeedAgenciesAndUnits(**engine, rows).ok());
    std::atomic<bool> stop{false};
    auto follow = [&clock](Time at) {
      if (at > clock.Now()) clock.Advance(at.ms - clock.Now().ms);
    };
    ReplayStats stats = RunReplay(**engine, rows, steps, 0, clock, stop, follow);
    EXPECT_GT(stats.steps, 0u);
    (*engine)->Stop();
  }

  auto content = ReadDataFolder(dir);
  ASSERT_TRUE(content.ok()) << content.status().ToString();
  ReportOptions options;
  options.bootstrap = {1, 200};
  Report r = BuildReport(dir, std::make_shared<const LogContent>(std::move(*content)), {}, options);

  // One incident per call, created at the call's received time (the virtual clock worked).
  std::multiset<int64_t> received, created;
  std::set<std::string> calls;
  for (const UnitResponse& row : rows)
    if (calls.insert(row.call_number).second) received.insert(row.received.ms);
  for (const IncidentTimeline& i : r.content->incidents) created.insert(i.created.ms);
  EXPECT_EQ(created, received);
  EXPECT_EQ(r.selection.incidents.size(), calls.size());
  // The engine kept every step in order, so no row breaks an order rule; the data's own
  // disorder shows as gaps (a step the engine refused is not in the log).
  EXPECT_EQ(r.selection.quality.excluded, 0u);
  const Summary& travel = r.nfpa.front().measures[static_cast<size_t>(Measure::kTravel)];
  EXPECT_GT(travel.n, calls.size() / 2);
  ASSERT_TRUE(travel.p50 && travel.p90 && travel.p90_ci);
  EXPECT_GT(*travel.p50, 30);   // real city driving: minutes, not the milliseconds of a
  EXPECT_LT(*travel.p50, 900);  // wall-clock replay
  EXPECT_LE(*travel.p50, *travel.p90);
}

}  // namespace
}  // namespace ncc::report
