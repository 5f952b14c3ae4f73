#include "correlate/correlator.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "correlate/watchlist.h"

namespace ncc::correlate {
namespace {

Alarm Call(std::string id, double lat, int64_t t_s) {
  return Alarm{std::move(id), "cad", AlarmKind::kCall, {lat, 51.5}, Time{t_s * 1000}, "", ""};
}

Rules CallRules() {
  Rules r;
  r.SetPair(AlarmKind::kCall, AlarmKind::kCall, 250, 600'000);
  r.escalation = {{2, 1}};
  return r;
}

TEST(Correlator, DecisionsNameGroupsAndEscalation) {
  Correlator c(CallRules());
  auto d = c.Ingest(Call("a", 25.0, 0));
  ASSERT_TRUE(d.ok());
  ASSERT_EQ(d->size(), 1u);
  EXPECT_EQ((*d)[0].kind, DecisionKind::kNewGroup);
  EXPECT_EQ((*d)[0].group, GroupId{1});
  EXPECT_EQ((*d)[0].priority, 3);
  d = c.Ingest(Call("b", 25.001, 30));  // ~111 m north
  ASSERT_EQ(d->size(), 2u);
  EXPECT_EQ((*d)[0].kind, DecisionKind::kMerged);
  EXPECT_NEAR((*d)[0].meters, 111.2, 0.5);
  EXPECT_EQ((*d)[1].kind, DecisionKind::kPriorityChanged);
  EXPECT_EQ((*d)[1].previous_priority, 3);
  EXPECT_EQ((*d)[1].priority, 2);
  EXPECT_EQ(c.Ingest(Call("b", 25.0, 40)).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(c.Ingest(Call("x", 95.0, 40)).status().field(), "location.lat");
}

TEST(Correlator, SplitValidatesAndReports) {
  Correlator c(CallRules());
  ASSERT_TRUE(c.Ingest(Call("a", 25.0, 0)).ok());
  ASSERT_TRUE(c.Ingest(Call("b", 25.0005, 10)).ok());
  std::vector<std::string> none, all = {"a", "b"}, bad = {"zz"}, one = {"b"};
  EXPECT_EQ(c.Split(GroupId{1}, none).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(c.Split(GroupId{1}, all).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(c.Split(GroupId{1}, bad).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(c.Split(GroupId{9}, one).status().code(), StatusCode::kNotFound);
  auto d = c.Split(GroupId{1}, one);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ((*d)[0].kind, DecisionKind::kSplit);
  EXPECT_EQ((*d)[0].group, GroupId{2});
  EXPECT_EQ((*d)[0].from_group, GroupId{1});
  EXPECT_EQ((*d)[1].kind, DecisionKind::kPriorityChanged);  // group 1 lost its second source
  EXPECT_EQ(c.Find(GroupId{1})->priority, 3);
  EXPECT_EQ(c.GroupOf("", "b")->id, GroupId{2});
  EXPECT_EQ(c.GroupOf("", "b")->split_from, GroupId{1});
}

TEST(Correlator, ForgetBeforeDropsOnlyClosedGroups) {
  Correlator c(CallRules());
  ASSERT_TRUE(c.Ingest(Call("old", 25.0, 0)).ok());
  ASSERT_TRUE(c.Ingest(Call("recent", 26.0, 3000)).ok());  // closes "old" (window 600 s)
  EXPECT_EQ(c.ForgetBefore(Time{3'000'000}), 1u);
  EXPECT_EQ(c.GroupOf("", "old"), nullptr);
  ASSERT_NE(c.GroupOf("", "recent"), nullptr);
  EXPECT_EQ(c.ForgetBefore(Time{INT64_MAX}), 0u);  // still open
}

TEST(Correlator, AlarmStormStaysCheap) {
  // 20,000 alarms in ten minutes over a city: each is compared only with groups near it.
  Correlator c(CallRules());
  for (int i = 0; i < 20000; ++i) {
    Alarm a = Call("s" + std::to_string(i), 25.0 + (i * 7919 % 20000) * 1e-5, i * 30 / 1000);
    a.location.lon = 51.3 + (i * 104729 % 20000) * 1.5e-5;
    ASSERT_TRUE(c.Ingest(a).ok());
  }
  EXPECT_GT(c.groups().size(), 1000u);
}

TEST(Correlator, DeterministicForTheSameInput) {
  auto run = [] {
    Correlator c(CallRules());
    std::string trace;
    for (int i = 0; i < 200; ++i) {
      auto d = c.Ingest(Call("c" + std::to_string(i), 25.0 + (i * 37 % 50) * 0.0007, i * 17));
      for (const Decision& x : *d)
        trace += std::string(DecisionKindName(x.kind)) + std::to_string(x.group.value) + ";";
    }
    return trace;
  };
  EXPECT_EQ(run(), run());
}

TEST(Rules, ParseErrorsNameTheField) {
  EXPECT_EQ(ParseRules(R"({"version":2,"pairs":[]})").status().field(), "version");
  EXPECT_EQ(
      ParseRules(R"({"version":1,"pairs":[{"kinds":["call","ufo"],"distance_m":1,"window_s":1}]})")
          .status()
          .field(),
      "pairs[0].kinds[1]");
  EXPECT_EQ(ParseRules(
                R"({"version":1,"pairs":[{"kinds":["call","call"],"distance_m":-1,"window_s":1}]})")
                .status()
                .field(),
            "pairs[0].distance_m");
  EXPECT_EQ(ParseRules(R"({"version":1,"pairs":[],"priority":{"call":9}})").status().field(),
            "priority.call");
  EXPECT_EQ(ParseRules(R"({"version":1,"pairs":[],"escalation":[{"min_sources":1,"raise":1}]})")
                .status()
                .field(),
            "escalation[0].min_sources");
  auto ok = LoadRulesFile(NCC_CORRELATE_DIR "/rules/default.json");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_TRUE(ok->Pair(AlarmKind::kCctv, AlarmKind::kIntrusion).compatible);
  EXPECT_FALSE(ok->Pair(AlarmKind::kCctv, AlarmKind::kFirePanel).compatible);
}

TEST(Alarm, ParseNamesTheField) {
  using Json = nlohmann::json;
  Json ok = {{"id", "a"},   {"source", "s"}, {"kind", "panic"},
             {"lat", 25.0}, {"lon", 51.0},   {"time_ms", 5}};
  ASSERT_TRUE(ParseAlarm(ok).ok());
  Json bad = ok;
  bad["kind"] = "alien";
  EXPECT_EQ(ParseAlarm(bad).status().field(), "kind");
  bad = ok;
  bad["time_ms"] = "now";
  EXPECT_EQ(ParseAlarm(bad).status().field(), "time_ms");
  bad = ok;
  bad["lon"] = 500;
  EXPECT_EQ(ParseAlarm(bad).status().field(), "location.lon");
}

TEST(Watchlist, MatchesNormalisedPlates) {
  Watchlist w;
  ASSERT_TRUE(w.Add({"ab-123 cd", "stolen", "reported 2026-11-01"}).ok());
  EXPECT_EQ(w.Add({" - ", "x", ""}).field(), "plate");
  EXPECT_NE(w.Match("AB123CD"), nullptr);
  EXPECT_NE(w.Match("ab 123-cd"), nullptr);
  EXPECT_NE(w.Match("Ab.123.Cd"), nullptr);
  EXPECT_EQ(w.Match("AB123CE"), nullptr);
  EXPECT_EQ(w.Match("AB123CD")->list, "stolen");
  auto hit = w.Check({"cam-7", "anpr", "ab 123 CD", {25.3, 51.5}, Time{1000}, "read-1"});
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->kind, AlarmKind::kLprHit);
  EXPECT_EQ(hit->plate, "AB123CD");
  EXPECT_EQ(hit->sensor, "cam-7");
  EXPECT_FALSE(w.Check({"cam-7", "anpr", "ZZ 999", {25.3, 51.5}, Time{1000}, "read-2"}));
  EXPECT_TRUE(w.Remove("AB-123-CD"));
  EXPECT_EQ(w.size(), 0u);
}

}  // namespace
}  // namespace ncc::correlate
