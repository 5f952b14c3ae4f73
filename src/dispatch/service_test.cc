// SLA timers derived from the log: they fire at the right times, once, and again correctly
// after a restart that replays the log (ManualClock; no sleeping).
#include "dispatch/service.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "core/stored_event.h"
#include "engine/engine_test_support.h"
#include "store/sqlite/sqlite_event_log.h"

namespace ncc::dispatch {
namespace {

constexpr const char* kPlans = R"(
[plan default]
need = 1 patrol
target.* = 3m 90 15m
[plan police.robbery]
need = 1 patrol from police
target.1 = 60 30 5m
target.* = 2m 60 10m
)";

class ServiceTest : public ::testing::Test {
 protected:
  std::string dir = test_support::FreshTestDir("ncc-dispatch");
  ManualClock clock{Time{1'700'000'000'000}};
  const Time t0{1'700'000'000'000};

  void TearDown() override { std::filesystem::remove_all(dir); }
  std::unique_ptr<Engine> Open() { return test_support::OpenTestEngine(dir, clock); }
  std::unique_ptr<DispatchService> Service(Engine& e) {
    auto plans = PlanSet::Parse(kPlans, "t.conf");
    EXPECT_TRUE(plans.ok());
    return std::make_unique<DispatchService>(e, clock, std::move(*plans), nullptr,
                                             DispatchOptions{false, 1000});
  }
  void At(int64_t ms_after_t0) { clock.Advance(t0.ms + ms_after_t0 - clock.Now().ms); }
  // Every sla_escalated event in the log.
  std::vector<std::pair<SlaEscalated, Time>> Escalations(const Engine& e) {
    std::vector<std::pair<SlaEscalated, Time>> out;
    auto all = e.log().ReadAfter(Seq(0), 100000);
    EXPECT_TRUE(all.ok());
    for (const StoredEvent& s : *all) {
      auto ev = Decode(s);
      EXPECT_TRUE(ev.ok());
      if (auto* x = std::get_if<SlaEscalated>(&ev->body)) out.push_back({*x, ev->meta.time});
    }
    return out;
  }
  CommandOutcome Do(Engine& e, Command c) {
    auto o = e.SubmitAndWait(std::move(c), "tester", "police");
    EXPECT_TRUE(o.status.ok()) << o.status.ToString();
    return o;
  }
};

TEST_F(ServiceTest, TimersFireOnceAtTheirTimesAndSurviveRestart) {
  {
    auto engine = Open();
    auto svc = Service(*engine);
    Do(*engine, RegisterAgency{{"police", "Police", "police"}});
    Do(*engine, CreateIncident{"police.robbery", 1, {37.79, -122.42}});
    Do(*engine, RegisterUnit{"P1", "police", "patrol", {}, "", std::nullopt});
    At(59'999);
    EXPECT_EQ(svc->CheckTimers(), 0u) << "call->dispatch is 60 s for priority 1";
    At(60'000);
    EXPECT_EQ(svc->CheckTimers(), 1u);
    EXPECT_EQ(svc->CheckTimers(), 0u) << "exactly once";
    At(70'000);
    Do(*engine, AssignUnit{IncidentId(1), UnitId(1)});  // dispatched late; en route clock starts
    At(90'000);
    EXPECT_EQ(svc->CheckTimers(), 0u);
    engine->Stop();
  }
  // Restart: a new engine replays the log, a new service knows nothing but the log.
  {
    auto engine = Open();
    auto svc = Service(*engine);
    EXPECT_EQ(svc->CheckTimers(), 0u) << "the dispatch step was escalated before the restart";
    At(99'999);
    EXPECT_EQ(svc->CheckTimers(), 0u);
    At(100'000);
    EXPECT_EQ(svc->CheckTimers(), 1u) << "dispatch->en route is 30 s from the assignment at 70 s";
    At(120'000);
    Do(*engine, ChangeUnitStatus{UnitId(1), UnitStatus::kEnRoute, ""});
    At(120'000 + 299'999);
    EXPECT_EQ(svc->CheckTimers(), 0u);
    engine->Stop();
  }
  {
    auto engine = Open();
    auto svc = Service(*engine);
    At(120'000 + 300'000);
    EXPECT_EQ(svc->CheckTimers(), 1u) << "en route->on scene is 5 min";
    At(10'000'000);
    EXPECT_EQ(svc->CheckTimers(), 0u);
    auto esc = Escalations(*engine);
    ASSERT_EQ(esc.size(), 3u);
    EXPECT_EQ(esc[0].first.step, "dispatch");
    EXPECT_EQ(esc[0].first.due.ms, t0.ms + 60'000);
    EXPECT_EQ(esc[0].second.ms, t0.ms + 60'000);
    EXPECT_EQ(esc[0].first.notify, "supervisor@police");
    EXPECT_EQ(esc[1].first.step, "en_route");
    EXPECT_EQ(esc[1].first.due.ms, t0.ms + 100'000);
    EXPECT_EQ(esc[2].first.step, "on_scene");
    EXPECT_EQ(esc[2].first.due.ms, t0.ms + 420'000);
    EXPECT_EQ(esc[2].first.plan, "police.robbery");
    engine->Stop();
  }
}

TEST_F(ServiceTest, NoEscalationForStepsDoneInTimeOrFinishedIncidents) {
  auto engine = Open();
  auto svc = Service(*engine);
  Do(*engine, RegisterAgency{{"police", "Police", "police"}});
  Do(*engine, CreateIncident{"police.robbery", 3, {37.79, -122.42}});  // targets 2m 60 10m
  Do(*engine, CreateIncident{"x.unknown", 3, {37.79, -122.42}});       // default: 3m 90 15m
  Do(*engine, RegisterUnit{"P1", "police", "patrol", {}, "", std::nullopt});
  At(100'000);
  Do(*engine, AssignUnit{IncidentId(1), UnitId(1)});
  Do(*engine, ChangeUnitStatus{UnitId(1), UnitStatus::kEnRoute, ""});
  Do(*engine, ChangeUnitStatus{UnitId(1), UnitStatus::kOnScene, ""});
  At(179'999);
  EXPECT_EQ(svc->CheckTimers(), 0u);
  At(180'000);
  EXPECT_EQ(svc->CheckTimers(), 1u) << "only the unknown type, on the default plan's 3 min";
  Do(*engine, ChangeIncidentStatus{IncidentId(2), IncidentStatus::kCancelled, "false alarm"});
  At(5'000'000);
  EXPECT_EQ(svc->CheckTimers(), 0u);
  engine->Stop();
}

TEST_F(ServiceTest, RecommendationIsLoggedForNewIncidentsAndAcceptedAllOrNothing) {
  auto engine = Open();
  auto svc = Service(*engine);
  Do(*engine, RegisterAgency{{"police", "Police", "police"}});
  Do(*engine, RegisterUnit{"P1", "police", "patrol", {}, "", LatLon{37.7901, -122.4201}});
  Do(*engine, RegisterUnit{"P2", "police", "patrol", {}, "", LatLon{37.80, -122.43}});
  Seq before = engine->log().LastSeq();
  Do(*engine, CreateIncident{"police.robbery", 1, {37.79, -122.42}});
  svc->RecommendNew(before);
  engine->Stop();  // drains the queue: the recommendation is durable
  auto reopened = Open();
  auto rec =
      reopened->Read([](const World& w) { return w.FindIncident(IncidentId(1))->recommended; });
  ASSERT_EQ(rec.size(), 1u);
  EXPECT_EQ(rec[0], UnitId(1)) << "the nearer patrol (straight line without a graph)";
  // Accepting all: a busy unit makes the whole command fail, naming it; nothing is assigned.
  Do(*reopened, CreateIncident{"police.robbery", 1, {37.79, -122.42}});
  Do(*reopened, AssignUnit{IncidentId(2), UnitId(2)});
  auto o =
      reopened->SubmitAndWait(AssignUnits{IncidentId(1), {UnitId(1), UnitId(2)}}, "t", "police");
  EXPECT_EQ(o.status.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(o.status.field(), "units[1]");
  EXPECT_EQ(reopened->Read([](const World& w) { return w.FindUnit(UnitId(1))->status; }),
            UnitStatus::kAvailable);
  Do(*reopened, AssignUnits{IncidentId(1), {UnitId(1)}});
  reopened->Stop();
}

TEST_F(ServiceTest, CoverageChangesAreLoggedWhenUnitsAreCommittedAndFreed) {
  auto engine = Open();
  auto svc = Service(*engine);
  Do(*engine, RegisterAgency{{"police", "Police", "police"}});
  Do(*engine, RegisterUnit{"P1", "police", "patrol", {}, "", LatLon{37.7900, -122.4200}});
  auto zones = ParseCoverageZones(R"({"type":"FeatureCollection","features":[{"type":"Feature",
    "properties":{"id":"old_town","capability":"patrol","minutes":5,"target":0.5,"spacing_m":100},
    "geometry":{"type":"Polygon","coordinates":[[[-122.422,37.789],[-122.418,37.789],
    [-122.418,37.791],[-122.422,37.791],[-122.422,37.789]]]}}]})");
  ASSERT_TRUE(zones.ok()) << zones.status().ToString();
  svc->SetZones(std::move(*zones), nullptr);
  EXPECT_EQ(svc->CheckCoverage(), 0u) << "the first look only learns the state";
  Do(*engine, CreateIncident{"police.robbery", 1, {37.80, -122.41}});
  Do(*engine, AssignUnit{IncidentId(1), UnitId(1)});
  EXPECT_EQ(svc->CheckCoverage(), 1u) << "the only patrol left: the zone falls below target";
  EXPECT_EQ(svc->CheckCoverage(), 0u) << "nothing changed since";
  Do(*engine, ChangeUnitStatus{UnitId(1), UnitStatus::kAvailable, "back"});
  EXPECT_EQ(svc->CheckCoverage(), 1u) << "back to target";
  std::vector<CoverageChanged> changes;
  auto all = engine->log().ReadAfter(Seq(0), 1000);
  ASSERT_TRUE(all.ok());
  for (const StoredEvent& stored : *all) {
    auto e = Decode(stored);
    ASSERT_TRUE(e.ok());
    if (auto* c = std::get_if<CoverageChanged>(&e->body)) {
      changes.push_back(*c);
      EXPECT_EQ(e->meta.agency, "police");
    }
  }
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].zone, "old_town");
  EXPECT_TRUE(changes[0].below);
  EXPECT_EQ(changes[0].fraction, 0);
  EXPECT_FALSE(changes[1].below);
  EXPECT_EQ(changes[1].fraction, 1);
  engine->Stop();
}

}  // namespace
}  // namespace ncc::dispatch
