#include "sim/sf_calls.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "sim/call_replay.h"

namespace ncc {
namespace {

std::string DataFile() {
  const char* dir = std::getenv("NCC_DATA_DIR");
  return dir ? std::string(dir) + "/calls/sf_fire_calls_for_service_2020-04.csv" : "";
}

TEST(SfCalls, CsvQuotesAndTimes) {
  auto f = SplitCsvLine(R"csv(a,"(37.7, -122.4)","say ""hi""",)csv");
  ASSERT_EQ(f.size(), 4u);
  EXPECT_EQ(f[1], "(37.7, -122.4)");
  EXPECT_EQ(f[2], "say \"hi\"");
  Time t;
  ASSERT_TRUE(ParseSfTime("04/07/2020 11:53:08 PM", t));
  EXPECT_EQ(t.ms, 1586328788000);  // 2020-04-08T06:53:08Z
  ASSERT_TRUE(ParseSfTime("04/08/2020 12:00:00 AM", t));
  EXPECT_EQ(t.ms, 1586329200000);
  EXPECT_FALSE(ParseSfTime("04/08/2020 12:00:00 XM", t));
  EXPECT_FALSE(ParseSfTime("", t));
}

TEST(SfCalls, RealDatasetLoadsAndReplaysInOrder) {
  std::string path = DataFile();
  if (path.empty() || !std::filesystem::exists(path)) GTEST_SKIP() << "no data folder";
  size_t skipped = 0;
  auto rows = ReadSfCalls(path, &skipped);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(rows->size() + skipped, 10410u);
  EXPECT_GT(rows->size(), 10000u);
  auto steps = BuildReplay(*rows);
  ASSERT_GT(steps.size(), rows->size());
  for (size_t i = 1; i < steps.size(); ++i) ASSERT_LE(steps[i - 1].at, steps[i].at);
  EXPECT_EQ(steps.front().kind, ReplayStep::Kind::kCreate);
}

}  // namespace
}  // namespace ncc
