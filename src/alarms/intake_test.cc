// The alarm payload parser, and the intake over a real engine (SQLite log in a temp folder,
// ManualClock): correlation into incidents, the MQTT seam, watchlist hits, splits, the World
// snapshot carrying sources and watchlists, and the correlator rebuilt after reopening.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <future>

#include "alarms/intake.h"
#include "store/sqlite/sqlite_event_log.h"

namespace ncc::alarms {
namespace {

TEST(AlarmPayload, OneAlarmArrayOrBatchObject) {
  auto one = ParsePayload(
      R"({"id":"a","kind":"panic","location":{"lat":1,"lon":2},"time":"2026-11-29T22:40:00Z"})");
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  EXPECT_TRUE(one->single);
  ASSERT_EQ(one->alarms.size(), 1u);
  EXPECT_EQ(one->alarms[0].kind, "panic");
  auto arr = ParsePayload(R"([{"id":"a","kind":"cctv","location":{"lat":1,"lon":2},"time":5},
                              {"id":"b","kind":"cctv","location":{"lat":1,"lon":200},"time":5}])");
  ASSERT_TRUE(arr.ok());
  EXPECT_FALSE(arr->single);
  ASSERT_EQ(arr->rejected.size(), 1u);
  EXPECT_EQ(arr->rejected[0].index, 1u);
  EXPECT_EQ(arr->rejected[0].status.field(), "alarms[1].location.lon");
  auto batch = ParsePayload(R"({"alarms":[{"id":"p","kind":"lpr_read","plate":"ab-1 2",
                                 "location":{"lat":1,"lon":2},"time":5}]})");
  ASSERT_TRUE(batch.ok());
  ASSERT_EQ(batch->alarms.size(), 1u);
  EXPECT_EQ(batch->alarms[0].plate, "AB12");
}

TEST(AlarmPayload, ErrorsNameTheField) {
  auto field = [](std::string_view text) {
    auto p = ParsePayload(text);
    if (!p.ok()) return p.status().field();
    return p->rejected.empty() ? std::string("accepted") : p->rejected[0].status.field();
  };
  EXPECT_EQ(field(R"({"id":"a","kind":"quake","location":{"lat":1,"lon":2},"time":5})"), "kind");
  EXPECT_EQ(field(R"({"id":"a","kind":"panic","location":{"lat":1},"time":5})"), "location.lon");
  EXPECT_EQ(field(R"({"id":"a","kind":"panic","location":{"lat":1,"lon":2}})"), "time");
  EXPECT_EQ(field(R"({"id":"a","kind":"panic","location":{"lat":1,"lon":2},"time":5,"x":1})"), "x");
  EXPECT_EQ(field(R"({"id":"a","kind":"lpr_hit","location":{"lat":1,"lon":2},"time":5})"), "plate");
  EXPECT_EQ(
      field(R"({"id":"a","kind":"panic","source":"a b","location":{"lat":1,"lon":2},"time":5})"),
      "source");
  EXPECT_EQ(field(R"({"alarms":{}})"), "alarms");
  EXPECT_EQ(
      field(R"({"id":"a","kind":"call","location":{"lat":1,"lon":2},"time":5,"type":"Fire"})"),
      "type");
  EXPECT_EQ(field(R"({"id":"a","kind":"call","location":{"lat":1,"lon":2},"time":5,"priority":0})"),
            "priority");
  EXPECT_EQ(field(R"({"id":"a","kind":"call","location":{"lat":1,"lon":2},"time":5,)"
                  R"("type":"hazard.geo","priority":2})"),
            "accepted");
  EXPECT_EQ(field("42"), "body");
  EXPECT_FALSE(ParsePayload("{").ok());
  std::string big = "[";
  for (int i = 0; i <= 1000; ++i) big += std::string(i ? "," : "") + "{}";
  auto huge = ParsePayload(big + "]");
  EXPECT_EQ(huge.status().code(), StatusCode::kResourceExhausted);
}

TEST(AlarmPayload, TimesMustBeLive) {
  Time now{1'800'000'000'000};
  EXPECT_TRUE(CheckTime(now, now, "time").ok());
  EXPECT_FALSE(CheckTime(Time{now.ms + 61'000}, now, "time").ok());
  EXPECT_FALSE(CheckTime(Time{now.ms - 25 * 3600 * 1000LL}, now, "time").ok());
}

TEST(AlarmSources, ParseNamesTheField) {
  auto ok = ParseSources(R"({"sources":{"psim":{"agency":"police","classification":"secret"}}})");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->at("psim").classification, Classification::kSecret);
  EXPECT_EQ(ParseSources(R"({"sources":{"psim":{}}})").status().field(), "sources.psim.agency");
  EXPECT_EQ(ParseSources(R"({"sources":{"psim":{"agency":"p","x":1}}})").status().field(),
            "sources.psim.x");
}

class IntakeTest : public ::testing::Test {
 protected:
  std::string dir = (std::filesystem::temp_directory_path() /
                     ("ncc-intake-" + std::to_string(::getpid()) + "-" +
                      ::testing::UnitTest::GetInstance()->current_test_info()->name()))
                        .string();
  ManualClock clock{Time{1'800'000'000'000}};
  std::unique_ptr<Engine> engine;
  std::unique_ptr<Intake> intake;

  void SetUp() override {
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    Open();
    ASSERT_TRUE(engine->SubmitAndWait(RegisterAgency{{"police", "Police", "police"}}, "t", "police")
                    .status.ok());
  }
  void TearDown() override {
    intake.reset();
    engine.reset();
    std::filesystem::remove_all(dir);
  }
  void Open(EngineOptions options = {}) {
    auto log = SqliteEventLog::Open(dir + "/events.db");
    ASSERT_TRUE(log.ok());
    auto e = Engine::Open(std::move(*log), std::make_unique<SnapshotStore>(dir + "/snapshots"),
                          clock, options);
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    engine = std::move(*e);
    IntakeOptions o;
    o.rules = *correlate::DefaultRules();
    o.sources["psim"] = {"police", Classification::kRestricted};
    o.sources["anpr"] = {"police", Classification::kRestricted};
    auto i = Intake::Start(*engine, clock, std::move(o));
    ASSERT_TRUE(i.ok());
    intake = std::move(*i);
  }
  void Reopen(EngineOptions options = {}) {
    intake.reset();
    engine.reset();
    Open(options);
  }
  std::string Alarm(const std::string& id, const std::string& kind, double north_m,
                    const std::string& extra = "") {
    return R"({"id":")" + id + R"(","kind":")" + kind + R"(","location":{"lat":)" +
           std::to_string(25.0 + north_m / 111195.0) + R"(,"lon":51.0},"time":)" +
           std::to_string(clock.Now().ms) + extra + "}";
  }
  IncidentId IncidentOf(const std::string& alarm) {
    return engine->Read([&](const World& w) { return w.IncidentOfAlarm("police", alarm); });
  }
};

TEST_F(IntakeTest, MergesEscalatesAndRebuildsAfterReopen) {
  auto first = intake->SubmitAndWait("psim", Alarm("a1", "intrusion", 0, R"(,"sensor":"d1")"));
  ASSERT_TRUE(first.status.ok());
  EXPECT_EQ(first.items[0].outcome, "opened");
  auto second = intake->SubmitAndWait("psim", Alarm("a2", "cctv", 50, R"(,"sensor":"c1")"));
  EXPECT_EQ(second.items[0].outcome, "merged");
  IncidentId id = IncidentOf("a1");
  ASSERT_TRUE(id);
  EXPECT_EQ(IncidentOf("a2"), id);
  engine->Read([&](const World& w) {
    const Incident* i = w.FindIncident(id);
    EXPECT_EQ(i->type, "alarm.intrusion");
    EXPECT_EQ(i->priority, 1);  // 2 (intrusion), raised by two independent sources
    EXPECT_EQ(i->sources.size(), 2u);
    EXPECT_EQ(i->agency, "police");
  });
  // Snapshot at every event, then reopen: the snapshot carries the sources, and the
  // correlator is rebuilt from them.
  Reopen({.snapshot_every = 1});
  ASSERT_TRUE(
      intake->SubmitAndWait("psim", Alarm("a3", "intrusion", 10, R"(,"sensor":"d3")")).status.ok());
  Reopen();
  auto after = intake->SubmitAndWait("psim", Alarm("a4", "intrusion", 20, R"(,"sensor":"d4")"));
  EXPECT_EQ(after.items[0].outcome, "merged");
  EXPECT_EQ(IncidentOf("a4"), id);
  auto dup = intake->SubmitAndWait("psim", Alarm("a1", "intrusion", 0, R"(,"sensor":"d1")"));
  EXPECT_EQ(dup.items[0].outcome, "duplicate");
  EXPECT_EQ(dup.items[0].incident, id);
}

// A gateway that knows better (CAP import's rules) gives the type and priority it opens.
TEST_F(IntakeTest, AnAlarmMayNameTheTypeAndPriorityItOpens) {
  auto r = intake->SubmitAndWait(
      "psim", Alarm("t1", "call", 0, R"(,"type":"hazard.weather","priority":2)"));
  ASSERT_TRUE(r.status.ok());
  ASSERT_EQ(r.items[0].outcome, "opened");
  engine->Read([&](const World& w) {
    const Incident* i = w.FindIncident(IncidentOf("t1"));
    ASSERT_NE(i, nullptr);
    EXPECT_EQ(i->type, "hazard.weather");
    EXPECT_EQ(i->priority, 2);
  });
}

TEST_F(IntakeTest, TheSeamRefusesUnknownSourcesAndMismatches) {
  EXPECT_EQ(intake->Submit("nobody", Alarm("x1", "panic", 0)).code(),
            StatusCode::kPermissionDenied);
  Status s = intake->Submit("psim", Alarm("x2", "panic", 0, R"(,"source":"anpr")"));
  EXPECT_EQ(s.field(), "source");
  EXPECT_EQ(intake->Submit("psim", "{").code(), StatusCode::kMalformed);
  EXPECT_TRUE(intake->Submit("psim", Alarm("x3", "panic", 0)).ok());
  std::string metrics;
  intake->RenderMetrics(metrics);
  EXPECT_NE(metrics.find(R"(ncc_alarms_total{source="psim",outcome="opened"} 1)"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find(R"(source="nobody",outcome="rejected",field="source"} 1)"),
            std::string::npos)
      << metrics;
}

TEST_F(IntakeTest, PlateReadsBecomeAlarmsOnlyOnAHit) {
  ASSERT_TRUE(
      engine->SubmitAndWait(SetWatchlistEntry{"ab 123", "stolen", "why", "", {}}, "t", "police")
          .status.ok());
  auto miss = intake->SubmitAndWait("anpr", Alarm("r1", "lpr_read", 0, R"(,"plate":"zz 1")"));
  EXPECT_EQ(miss.items[0].outcome, "no_hit");
  EXPECT_FALSE(IncidentOf("r1"));
  auto hit = intake->SubmitAndWait("anpr", Alarm("r2", "lpr_read", 0, R"(,"plate":"AB-123")"));
  EXPECT_EQ(hit.items[0].outcome, "opened");
  engine->Read([&](const World& w) {
    const Incident* i = w.FindIncident(w.IncidentOfAlarm("police", "r2"));
    ASSERT_NE(i, nullptr);
    EXPECT_EQ(i->type, "police.wanted_vehicle");
    EXPECT_EQ(i->sources[0].watchlist, "stolen");
    EXPECT_EQ(i->sources[0].plate, "AB123");
  });
  ASSERT_TRUE(engine->SubmitAndWait(RemoveWatchlistEntry{"AB123", ""}, "t", "police").status.ok());
  auto gone = intake->SubmitAndWait("anpr", Alarm("r3", "lpr_read", 0, R"(,"plate":"AB123")"));
  EXPECT_EQ(gone.items[0].outcome, "no_hit");
}

TEST_F(IntakeTest, SplitMovesSourcesAndLaterAlarmsFollowThem) {
  for (int k = 0; k < 3; ++k)
    ASSERT_TRUE(intake
                    ->Submit("psim", Alarm("s" + std::to_string(k), "intrusion", 40.0 * k,
                                           R"(,"sensor":"d)" + std::to_string(k) + "\""))
                    .ok());
  IncidentId id = IncidentOf("s0");
  ASSERT_EQ(IncidentOf("s2"), id);
  std::promise<StatusOr<CommandOutcome>> done;
  intake->Split(id, {"s2"}, "op", [&](StatusOr<CommandOutcome> o) { done.set_value(o); });
  auto o = done.get_future().get();
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  IncidentId to(o->created_id);
  EXPECT_EQ(IncidentOf("s2"), to);
  engine->Read([&](const World& w) {
    EXPECT_EQ(w.FindIncident(id)->sources.size(), 2u);
    EXPECT_EQ(w.FindIncident(to)->split_from, id);
  });
  // Next to s2 (and 80 m from s0): the nearest compatible alarm is s2's, in the new incident.
  auto next = intake->SubmitAndWait("psim", Alarm("s3", "intrusion", 85, R"(,"sensor":"d9")"));
  EXPECT_EQ(next.items[0].incident, to);
}

TEST_F(IntakeTest, ClosedIncidentsTakeNoMoreAlarms) {
  ASSERT_TRUE(intake->Submit("psim", Alarm("c1", "panic", 0)).ok());
  IncidentId id = IncidentOf("c1");
  ASSERT_TRUE(engine
                  ->SubmitAndWait(ChangeIncidentStatus{id, IncidentStatus::kCancelled, "false"},
                                  "t", "police")
                  .status.ok());
  ASSERT_TRUE(intake->Submit("psim", Alarm("c2", "panic", 5)).ok());
  EXPECT_NE(IncidentOf("c2"), id);
}

}  // namespace
}  // namespace ncc::alarms
