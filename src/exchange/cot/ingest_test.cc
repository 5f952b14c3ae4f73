// Mapping inbound CoT to unit fixes: friendly atoms by callsign, everything else ignored.
#include "exchange/cot/ingest.h"

#include <gtest/gtest.h>

namespace ncc::cot {
namespace {

World WorldWithUnit(const std::string& callsign) {
  World w;
  Event e;
  e.meta.seq = Seq(1);
  e.meta.agency = "police";
  e.body = UnitRegistered{UnitId(1), callsign, "patrol", {}, "", std::nullopt};
  w.Apply(e);
  return w;
}

CotEvent Report(std::string type, std::string callsign) {
  CotEvent e;
  e.uid = "ANDROID-1";
  e.type = std::move(type);
  e.how = "m-g";
  e.callsign = std::move(callsign);
  e.time_ms = 1700000000000;
  e.point.lat = 25.3;
  e.point.lon = 51.5;
  e.speed = 4;
  e.course = 360;
  return e;
}

TEST(CotIngest, FriendlyAtomOfAKnownCallsignIsAFix) {
  World w = WorldWithUnit("P-12");
  Mapping m = Map(Report("a-f-G-U-C", "P-12"), w, "police");
  ASSERT_EQ(m.outcome, Outcome::kPosition);
  EXPECT_EQ(m.fix.unit, UnitId(1));
  EXPECT_EQ(m.fix.time.ms, 1700000000000);
  EXPECT_DOUBLE_EQ(m.fix.position.lat, 25.3);
  EXPECT_DOUBLE_EQ(m.fix.speed, 4);
  EXPECT_DOUBLE_EQ(m.fix.heading, 0) << "course 360 is north";
}

TEST(CotIngest, OtherTypesAndCallsignsAreCountedApart) {
  World w = WorldWithUnit("P-12");
  EXPECT_EQ(Map(Report("a-h-G", "P-12"), w, "police").outcome, Outcome::kIgnoredType);
  EXPECT_EQ(Map(Report("a-u-G", "P-12"), w, "police").outcome, Outcome::kIgnoredType);
  EXPECT_EQ(Map(Report("b-t-f", "P-12"), w, "police").outcome, Outcome::kIgnoredType);
  EXPECT_EQ(Map(Report("t-x-c-t", "P-12"), w, "police").outcome, Outcome::kIgnoredType);
  EXPECT_EQ(Map(Report("a-f-", "P-12"), w, "police").outcome, Outcome::kIgnoredType);
  EXPECT_EQ(Map(Report("a-f-G", ""), w, "police").outcome, Outcome::kNoCallsign);
  EXPECT_EQ(Map(Report("a-f-G", "corvTab"), w, "police").outcome, Outcome::kUnknownCallsign);
  // Callsigns are per agency: another agency's key does not reach police's P-12.
  EXPECT_EQ(Map(Report("a-f-G", "P-12"), w, "fire").outcome, Outcome::kUnknownCallsign);
}

// Finding 9 of issue 16: a friendly marker someone placed with a unit's callsign moved the unit.
TEST(CotIngest, OnlyTheDevicesOwnReportMovesAUnit) {
  World w = WorldWithUnit("P-12");
  CotEvent e = Report("a-f-G-U-C", "P-12");
  for (const char* how : {"m-g", "m-g-g", "h-e"}) {
    e.how = how;
    EXPECT_EQ(Map(e, w, "police").outcome, Outcome::kPosition) << how;
  }
  for (const char* how : {"h-g-i-g-o", "m-p", "m-r", "h-t", ""}) {
    e.how = how;
    EXPECT_EQ(Map(e, w, "police").outcome, Outcome::kNotAReport) << how;
  }
}

TEST(CotIngest, MetricsNameEveryOutcome) {
  Counters c;
  c.Count(Outcome::kGarbage);
  std::string out;
  c.Render(out);
  EXPECT_NE(out.find("ncc_cot_events_total{outcome=\"garbage\"} 1"), std::string::npos);
  for (size_t i = 0; i < kOutcomes; ++i)
    EXPECT_NE(out.find(std::string("outcome=\"") + OutcomeName(Outcome(i)) + "\""),
              std::string::npos);
}

}  // namespace
}  // namespace ncc::cot
