#include "report/run_info.h"

#include <gtest/gtest.h>

#include <fstream>

#include "core/temp_dir_for_tests.h"

namespace ncc::report {
namespace {

constexpr const char* kGood =
    R"({"policy":"ncc+moveup","seed":7,"calls":5292,"events":120345,"seconds":41.5,)"
    R"("first_unit_travel_p50_s":201.5,"first_unit_travel_p90_s":388,"within_240s_pct":61.2,)"
    R"("log_digest":"ab12","events_per_s":2900})";

TEST(RunInfo, ReadsTheContractFieldsAndAllowsMore) {
  auto r = ParseRunInfo(std::string(kGood) + "\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->policy, "ncc+moveup");
  EXPECT_EQ(r->seed, 7);
  EXPECT_EQ(r->calls, 5292);
  EXPECT_EQ(r->events, 120345);
  EXPECT_EQ(r->seconds, 41.5);
  EXPECT_EQ(r->first_unit_travel_p90_s, 388);
  EXPECT_EQ(r->within_240s_pct, 61.2);
  EXPECT_EQ(r->log_digest, "ab12");
}

TEST(RunInfo, AFigureMayBeNullButNotMissing) {
  std::string nulled = kGood;
  nulled.replace(nulled.find("201.5"), 5, "null");
  auto r = ParseRunInfo(nulled);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->first_unit_travel_p50_s);
  std::string missing = kGood;
  missing.replace(missing.find("\"within_240s_pct\":61.2,"), 23, "");
  auto m = ParseRunInfo(missing);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().field(), "within_240s_pct");
}

TEST(RunInfo, RefusalsNameTheField) {
  struct Case {
    std::string from, to, field;
  } cases[] = {{"\"seed\":7", "\"seed\":\"7\"", "seed"},
               {"\"seed\":7", "\"seed\":7.5", "seed"},
               {"\"policy\":\"ncc+moveup\"", "\"policy\":3", "policy"},
               {"\"calls\":5292", "\"calls\":-1", "calls"},
               {"\"seconds\":41.5", "\"seconds\":\"fast\"", "seconds"},
               {"\"log_digest\":\"ab12\",", "", "log_digest"}};
  for (const Case& c : cases) {
    std::string text = kGood;
    text.replace(text.find(c.from), c.from.size(), c.to);
    auto r = ParseRunInfo(text);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.status().field(), c.field) << r.status().message();
    EXPECT_NE(r.status().message().find(c.field), std::string::npos) << r.status().message();
  }
  EXPECT_FALSE(ParseRunInfo("").ok());
  EXPECT_FALSE(ParseRunInfo("[1,2]").ok());
  EXPECT_FALSE(ParseRunInfo("{\"policy\":").ok());
}

TEST(RunInfo, LoadIsAbsentWithoutAFileAndNamesThePathOnError) {
  testing::TempDir dir;
  auto none = LoadRunInfo(dir.path());
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  std::ofstream(dir.File("run.json")) << "{\"policy\":1}";
  auto bad = LoadRunInfo(dir.path());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find(dir.File("run.json")), std::string::npos)
      << bad.status().message();
}

}  // namespace
}  // namespace ncc::report
