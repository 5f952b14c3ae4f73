// Correlation on the real SFFD calls (April 2020): prints how many calls merge at several
// windows. Skipped when NCC_DATA_DIR does not hold the file.
#include "correlate/sf_calls.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

namespace ncc::correlate {
namespace {

TEST(SfCalls, MergeFiguresAtSeveralWindows) {
  const char* dir = std::getenv("NCC_DATA_DIR");
  std::string path = std::string(dir ? dir : "") + "/calls/sf_fire_calls_for_service_2020-04.csv";
  if (!dir || !std::filesystem::exists(path)) GTEST_SKIP() << "no SF calls in NCC_DATA_DIR";
  auto calls = ReadSfCalls(path);
  ASSERT_TRUE(calls.ok()) << calls.status().ToString();
  EXPECT_GT(calls->size(), 5000u);  // 5,292 calls, nearly all with a location
  size_t previous = 0;
  for (auto [d, w] : {std::pair{100.0, 300.0}, {250.0, 600.0}, {500.0, 1800.0}}) {
    MergeFigures f = MeasureMerges(*calls, d, w);
    std::printf("%4.0f m / %4.0f min: %zu calls -> %zu groups, %zu merged, largest %zu\n", d,
                w / 60, f.calls, f.groups, f.merged_calls, f.largest_group);
    EXPECT_EQ(f.calls, f.groups + f.merged_calls);
    EXPECT_GE(f.merged_calls, previous);  // wider windows never merge less
    previous = f.merged_calls;
  }
  EXPECT_GT(previous, 0u);
}

}  // namespace
}  // namespace ncc::correlate
