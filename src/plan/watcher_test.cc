// The plan watcher on a real engine and log: phases start at their planned times, overdue
// tasks escalate once, a decision point fires once on the matching alarm, also across a
// restart that replays the log (ManualClock; no sleeping).
#include "plan/watcher.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "core/json_writer.h"
#include "core/stored_event.h"
#include "engine/engine_test_support.h"
#include "plan/plan_document.h"
#include "store/sqlite/sqlite_event_log.h"

namespace ncc::plan {
namespace {

class WatcherTest : public ::testing::Test {
 protected:
  std::string dir = test_support::FreshTestDir("ncc-plan");
  ManualClock clock{Time{1'791'600'000'000}};  // 2026-10-10T03:00Z, before the operation

  void TearDown() override { std::filesystem::remove_all(dir); }
  std::unique_ptr<Engine> Open() { return test_support::OpenTestEngine(dir, clock); }
  CommandOutcome Do(Engine& e, Command c, const char* agency = "sffd") {
    auto o = e.SubmitAndWait(std::move(c), "tester", agency);
    EXPECT_TRUE(o.status.ok()) << o.status.ToString();
    return o;
  }
  void At(const char* iso) {
    Time t;
    ASSERT_TRUE(ParseTime(iso, t));
    clock.Advance(t.ms - clock.Now().ms);
  }
  uint64_t ActiveExamplePlan(Engine& e) {
    Do(e, RegisterAgency{{"sffd", "San Francisco Fire Department", "fire"}});
    Do(e, RegisterAgency{{"ems_private", "Private ambulance providers", "ambulance"}});
    Do(e, RegisterAgency{{"sfpd", "San Francisco Police Department", "police"}});
    for (const char* callsign : {"E16", "T16", "E02"})
      Do(e, RegisterUnit{callsign, "sffd", "engine", {"engine"}, "16", LatLon{37.798, -122.436}});
    Do(e, RegisterUnit{"KM09", "ems_private", "ambulance", {"als"}, "", LatLon{37.79, -122.43}});
    std::ifstream in(std::string(NCC_SOURCE_DIR) +
                     "/config/operations/fleet-week-marina-green.json");
    std::stringstream text;
    text << in.rdbuf();
    auto plan = ParsePlanDocument(text.str());
    EXPECT_TRUE(plan.ok()) << plan.status().ToString();
    uint64_t id = Do(e, DefinePlan{*plan}).created_id;
    for (const char* a : {"sffd", "ems_private", "sfpd"}) Do(e, ApprovePlan{id, 1}, a);
    Do(e, ChangePlanStatus{id, "active", ""});
    return id;
  }
  // An alarm of `kind` at `at` that opens an incident.
  void Alarm(Engine& e, const std::string& id, const std::string& kind, LatLon at) {
    ReceiveAlarms c;
    ReceiveAlarms::Item& item = c.items.emplace_back();
    item.alarm.id = id;
    item.alarm.source = "psim-marina";
    item.alarm.kind = kind;
    item.alarm.location = at;
    item.alarm.time = clock.Now();
    item.open.type = "alarm.cctv";
    item.open.priority = 2;
    Do(e, c);
  }
  template <typename T>
  std::vector<T> Logged(const Engine& e) {
    std::vector<T> out;
    auto all = e.log().ReadAfter(Seq(0), 100000);
    EXPECT_TRUE(all.ok());
    for (const StoredEvent& s : *all) {
      auto ev = Decode(s);
      EXPECT_TRUE(ev.ok());
      if (auto* x = std::get_if<T>(&ev->body)) out.push_back(*x);
    }
    return out;
  }
  const OperationPlan Plan(Engine& e, uint64_t id) {
    return e.Read([&](const World& w) { return *w.FindPlan(id); });
  }
};

TEST_F(WatcherTest, PhasesStartAtTheirTimesAndOverdueTasksEscalateOnce) {
  auto engine = Open();
  uint64_t id = ActiveExamplePlan(*engine);
  PlanWatcher watcher(*engine, clock);
  // Before the operation only activation acts: arrival's postings in sectors A and B as moves.
  EXPECT_EQ(watcher.CheckTimers(), 2u);
  At("2026-10-10T16:00:05Z");            // arrival starts; P1 (due 16:00) is late
  EXPECT_EQ(watcher.CheckTimers(), 3u);  // arrival started; P1 and F1 overdue
  EXPECT_TRUE(Plan(*engine, id).phases[0].started.ms);
  EXPECT_FALSE(Plan(*engine, id).phases[1].started.ms);
  EXPECT_EQ(watcher.CheckTimers(), 0u);  // each once
  auto overdue = Logged<PlanTaskOverdue>(*engine);
  ASSERT_EQ(overdue.size(), 2u);
  EXPECT_EQ(overdue[0].task, "P1");
  At("2026-10-11T00:00:01Z");  // arrival and show over; dispersal starts and opens M3
  watcher.CheckTimers();
  watcher.CheckTimers();
  OperationPlan p = Plan(*engine, id);
  EXPECT_TRUE(p.phases[2].started.ms);
  EXPECT_EQ(p.FindTask("M3")->status, "planned");
}

TEST_F(WatcherTest, AnAlarmInTheSectorFiresItsPointOnceAcrossARestart) {
  uint64_t id = 0;
  {
    auto engine = Open();
    id = ActiveExamplePlan(*engine);
    PlanWatcher watcher(*engine, clock);
    Seq seen = engine->feed().head();
    Alarm(*engine, "cam-1", "cctv", {37.8040, -122.4300});       // sector B: not the point's
    Alarm(*engine, "cam-2", "intrusion", {37.8065, -122.4375});  // sector A, another kind
    seen = watcher.Follow(seen);
    EXPECT_EQ(Plan(*engine, id).FindTask("F3")->status, "held");
    Alarm(*engine, "cam-3", "cctv", {37.8065, -122.4375});  // sector A, cctv: fires crowd-A
    seen = watcher.Follow(seen);
    EXPECT_EQ(Plan(*engine, id).FindTask("F3")->status, "planned");
    ASSERT_EQ(Logged<DecisionPointFired>(*engine).size(), 1u);
    EXPECT_NE(Logged<DecisionPointFired>(*engine)[0].trigger.find("cam-3"), std::string::npos);
    engine->Stop();
  }
  auto engine = Open();  // replays the log
  EXPECT_EQ(Plan(*engine, id).FindTask("F3")->status, "planned");
  PlanWatcher watcher(*engine, clock);
  Seq seen = engine->feed().head();
  Alarm(*engine, "cam-4", "cctv", {37.8066, -122.4376});
  watcher.Follow(seen);
  watcher.CheckTimers();
  auto fired = Logged<DecisionPointFired>(*engine);
  EXPECT_EQ(std::count_if(fired.begin(), fired.end(),
                          [](const DecisionPointFired& f) { return f.point == "crowd-A"; }),
            1);
}

// The move-ups activation logged, by zone.
std::map<std::string, CoverageChanged> ByZone(const std::vector<CoverageChanged>& moves) {
  std::map<std::string, CoverageChanged> out;
  for (const CoverageChanged& c : moves) EXPECT_TRUE(out.emplace(c.zone, c).second) << c.zone;
  return out;
}

TEST_F(WatcherTest, ActivationPostsTheUnitsOncePerPhaseAlsoAfterReplay) {
  uint64_t id = 0;
  UnitId km09;
  {
    auto engine = Open();
    id = ActiveExamplePlan(*engine);
    PlanWatcher watcher(*engine, clock);
    EXPECT_EQ(watcher.CheckTimers(), 2u);  // arrival's postings, before gates open
    EXPECT_EQ(watcher.CheckTimers(), 0u);
    auto moves = ByZone(Logged<CoverageChanged>(*engine));
    ASSERT_EQ(moves.size(), 2u);
    const CoverageChanged& a = moves.at(PostingZone(Plan(*engine, id), "A", "arrival"));
    ASSERT_EQ(a.move_ups.size(), 1u);
    EXPECT_EQ(a.move_ups[0].callsign, "E16");
    EXPECT_NEAR(a.move_ups[0].to.lat, 37.806418, 1e-9);
    EXPECT_TRUE(a.below);
    EXPECT_EQ(a.fraction, 0);
    EXPECT_EQ(moves.at(PostingZone(Plan(*engine, id), "B", "arrival")).move_ups[0].callsign,
              "KM09");
    // KM09 reaches its post (it stays there for the show).
    km09 = engine->Read(
        [](const World& w) { return w.FindUnitByCallsign("ems_private", "KM09")->id; });
    Do(*engine, ReportPositions{{{km09, {37.8052, -122.4321}, clock.Now()}}}, "ems_private");
    engine->Stop();  // what kill -9 leaves is the log: the next Open replays it
  }
  auto engine = Open();
  PlanWatcher watcher(*engine, clock);
  EXPECT_EQ(watcher.CheckTimers(), 0u);  // recognised from the World: nothing twice
  At("2026-10-10T19:00:05Z");            // arrival ends, the show starts
  watcher.CheckTimers();
  watcher.CheckTimers();
  EXPECT_EQ(watcher.CheckTimers(), 0u);
  auto moves = ByZone(Logged<CoverageChanged>(*engine));
  const OperationPlan p = Plan(*engine, id);
  ASSERT_EQ(moves.size(), 5u);  // 2 for arrival, 3 for the show (sectors A, B, C)
  EXPECT_EQ(moves.at(PostingZone(p, "C", "show")).move_ups[0].callsign, "T16");
  const CoverageChanged& b = moves.at(PostingZone(p, "B", "show"));
  EXPECT_FALSE(b.below);  // KM09 stands at its post: nothing to move
  EXPECT_EQ(b.fraction, 1);
  EXPECT_TRUE(b.move_ups.empty());
}

TEST_F(WatcherTest, AConfidentialPlansPostingsAreNotLoggedAtRestricted) {
  auto engine = Open();
  uint64_t id = ActiveExamplePlan(*engine);
  OperationPlan p = Plan(*engine, id);
  Do(*engine, ChangePlanStatus{id, "closed", ""});
  p.id = 0;
  p.classification = Classification::kConfidential;
  ResetPlanProgress(p);
  uint64_t secret = Do(*engine, DefinePlan{p}).created_id;
  for (const char* a : {"sffd", "ems_private", "sfpd"}) Do(*engine, ApprovePlan{secret, 1}, a);
  Do(*engine, ChangePlanStatus{secret, "active", ""});
  PlanWatcher watcher(*engine, clock);
  watcher.CheckTimers();
  EXPECT_TRUE(Logged<CoverageChanged>(*engine).empty());
}

TEST_F(WatcherTest, ATaskOfAnUnpostedUnitBecomesOneIncidentAndAssignmentAcrossRestarts) {
  uint64_t id = 0;
  auto plan_task_incidents = [](const World& w) {
    std::vector<const Incident*> out;
    for (const Incident& i : w.incidents())
      if (i.type == kPlanTaskIncidentType) out.push_back(&i);
    return out;
  };
  {
    auto engine = Open();
    id = ActiveExamplePlan(*engine);
    PlanWatcher watcher(*engine, clock);
    At("2026-10-10T19:00:05Z");  // the show runs
    watcher.CheckTimers();
    watcher.CheckTimers();
    // Tasks of posted units (F2: T16 in C; M2: KM09 posted in B) make no incident.
    EXPECT_TRUE(engine->Read(plan_task_incidents).empty());
    Do(*engine, FireDecisionPoint{id, "crowd-A", 0, "by hand"});  // opens F3 for E02
    EXPECT_EQ(watcher.CheckTimers(), 1u);                         // the incident
    engine->Stop();                                               // killed before the assignment
  }
  {
    auto engine = Open();
    PlanWatcher watcher(*engine, clock);
    EXPECT_EQ(watcher.CheckTimers(), 1u);  // the assignment to the incident made before
    EXPECT_EQ(watcher.CheckTimers(), 0u);
    engine->Stop();
  }
  auto engine = Open();
  PlanWatcher watcher(*engine, clock);
  EXPECT_EQ(watcher.CheckTimers(), 0u);
  engine->Read([&](const World& w) {
    auto found = plan_task_incidents(w);
    EXPECT_EQ(found.size(), 1u);
    if (found.empty()) return 0;
    const Incident& i = *found[0];
    EXPECT_NE(i.summary.find("task F3"), std::string::npos);
    EXPECT_EQ(i.landmark, "Marina Green");
    const Unit* e02 = w.FindUnitByCallsign("sffd", "E02");
    EXPECT_EQ(e02->incident, i.id);
    return 0;
  });
  // The plan's own incident does not count towards a sector's incident points.
  EXPECT_EQ(Logged<DecisionPointFired>(*engine).size(), 1u);
}

}  // namespace
}  // namespace ncc::plan
