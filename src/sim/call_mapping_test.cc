#include "sim/call_mapping.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "core/temp_dir_for_tests.h"
#include "sim/sf_calls.h"

namespace ncc {
namespace {

std::string DataDir() {
  const char* dir = std::getenv("NCC_DATA_DIR");
  return dir ? dir : "";
}
std::string Mappings() {
  return std::string(NCC_SOURCE_DIR) + "/config/mappings/";
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(MappedTime, PatternsAndOffsets) {
  TimeFormat sf{"%m/%d/%Y %I:%M:%S %p", -7 * 60};
  Time t;
  ASSERT_TRUE(ParseMappedTime("04/07/2020 11:53:08 PM", sf, t));
  Time same;
  ASSERT_TRUE(ParseSfTime("04/07/2020 11:53:08 PM", same));
  EXPECT_EQ(t.ms, same.ms);
  ASSERT_TRUE(ParseMappedTime("04/08/2020 12:00:00 AM", sf, t));
  EXPECT_EQ(t.ms, 1586329200000);
  TimeFormat va{"%Y-%m-%d %H:%M:%S%f", -4 * 60};
  ASSERT_TRUE(ParseMappedTime("2025-08-24 00:07:06.810", va, t));
  EXPECT_EQ(t.ms, 1756008426810);  // 2025-08-24T04:07:06.810Z
  ASSERT_TRUE(ParseMappedTime("2025-08-24 00:07:06", va, t));
  EXPECT_EQ(t.ms, 1756008426000);
  EXPECT_FALSE(ParseMappedTime("2025-02-30 00:07:06", va, t));   // no such day
  EXPECT_FALSE(ParseMappedTime("2025-08-24 24:07:06", va, t));   // no such hour
  EXPECT_FALSE(ParseMappedTime("2025-08-24 00:07:06x", va, t));  // trailing text
  EXPECT_FALSE(ParseMappedTime("04/08/2020 12:00:00 XM", sf, t));
  EXPECT_FALSE(ParseMappedTime("", sf, t));
}

TEST(CallMapping, RefusesBadFilesNamingTheKey) {
  struct Case {
    const char* json;
    const char* field;
  } cases[] = {
      {"[]", "mapping"},
      {R"({"time_format":"%Y %H","agency":"a"})", "columns"},
      {R"({"columns":{"call":"A","call_type":"B"},"time_format":"%Y %H","agency":"a"})",
       "columns.received"},
      {R"({"columns":{"call":"A","call_type":"B","received":"C","colour":"D"},"time_format":"%Y %H","agency":"a"})",
       "columns.colour"},
      {R"({"columns":{"call":"A","call_type":"B","received":"C"},"time_format":"%Q","agency":"a"})",
       "time_format"},
      {R"({"columns":{"call":"A","call_type":"B","received":"C"},"time_format":"%Y %H"})",
       "agency"},
      {R"({"columns":{"call":"A","call_type":"B","received":"C"},"time_format":"%Y %H","agency":"a","utc_offset":"7"})",
       "utc_offset"},
      {R"({"columns":{"call":"A","call_type":"B","received":"C","lat":"L"},"time_format":"%Y %H","agency":"a"})",
       "columns.lon"},
      {R"({"columns":{"call":"A","call_type":"B","received":"C"},"time_format":"%Y %H","agency":"a","priorities":{"1":9}})",
       "priorities.1"},
      {R"({"columns":{"call":"A","call_type":"B","received":"C"},"time_format":"%Y %H","agency":"a","speed":1})",
       "speed"},
  };
  for (const Case& c : cases) {
    auto m = ParseCallMapping(c.json, "m.json");
    ASSERT_FALSE(m.ok()) << c.json;
    EXPECT_EQ(m.status().field(), c.field) << c.json << ": " << m.status().ToString();
  }
}

TEST(CallMapping, ShippedSfMappingReadsTheRealFile) {
  if (DataDir().empty()) GTEST_SKIP() << "NCC_DATA_DIR not set";
  auto m = LoadCallMapping(Mappings() + "sf-fire.json");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_TRUE(m->CheckDispatchable("sf-fire.json").ok());
  MappedReadStats stats;
  auto rows =
      ReadMappedCalls(DataDir() + "/calls/sf_fire_calls_for_service_2020-04.csv", *m, &stats);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  // The same rows and times as the SF reader the demo used so far.
  auto sf = ReadSfCalls(DataDir() + "/calls/sf_fire_calls_for_service_2020-04.csv");
  ASSERT_TRUE(sf.ok());
  ASSERT_EQ(rows->size(), sf->size());
  for (size_t i = 0; i < rows->size(); i += 97) {
    EXPECT_EQ((*rows)[i].received.ms, (*sf)[i].received.ms);
    EXPECT_EQ((*rows)[i].on_scene.ms, (*sf)[i].on_scene.ms);
    EXPECT_EQ((*rows)[i].type, IncidentTypeFor((*sf)[i].call_type));
    EXPECT_EQ((*rows)[i].ncc_priority, PriorityFor((*sf)[i].priority));
  }
  EXPECT_EQ(stats.rows, 10410u);
}

TEST(CallMapping, WrongColumnIsRefusedNamingIt) {
  testing::TempDir dir;
  std::string text = ReadText(Mappings() + "sf-fire.json");
  size_t at = text.find("\"Received DtTm\"");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 15, "\"Recieved DtTm\"");
  auto m = ParseCallMapping(text, "typo.json");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  std::ofstream(dir.File("calls.csv"))
      << "Call Number,Unit ID,Unit Type,Call Type,Priority,Address,Station Area,ALS Unit,"
         "Location,Received DtTm,Entry DtTm,Dispatch DtTm,Response DtTm,On Scene DtTm,"
         "Transport DtTm,Hospital DtTm,Available DtTm\n";
  auto rows = ReadMappedCalls(dir.File("calls.csv"), *m);
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.status().field(), "columns.received");
  EXPECT_NE(rows.status().message().find("'Recieved DtTm'"), std::string::npos)
      << rows.status().message();
}

TEST(CallMapping, VirginiaIsAnalyticsOnly) {
  auto m = LoadCallMapping(Mappings() + "virginia-psap.json");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  Status s = m->CheckDispatchable("virginia-psap.json");
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.field(), "columns.location");
  EXPECT_NE(s.message().find("analytics only"), std::string::npos);
  if (DataDir().empty()) GTEST_SKIP() << "NCC_DATA_DIR not set";
  MappedReadStats stats;
  auto rows = ReadMappedCalls(DataDir() + "/calls/virginia_psap_cad_2025/week35.csv", *m, &stats);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_GT(rows->size(), 1000u);
  EXPECT_EQ(stats.no_received, 2u);           // two rows of week 35 have no incident number
  const UnitResponse& first = rows->front();  // 25-071089, 2025-08-24 00:07:06 EDT
  EXPECT_EQ(first.call_number, "25-071089");
  EXPECT_EQ(first.received.ms, 1756008426000);
  EXPECT_EQ(first.dispatch.ms, 1756008586810);  // 00:09:46.810
  EXPECT_EQ(first.agency, "police");
  EXPECT_EQ(first.type, "security.intrusion");
  EXPECT_FALSE(first.has_location);
  size_t with_arrival = 0;
  for (const UnitResponse& r : *rows) with_arrival += r.on_scene.ms != 0;
  EXPECT_GT(with_arrival, rows->size() / 2);
}

}  // namespace
}  // namespace ncc
