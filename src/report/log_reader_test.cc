// A small scenario run through the real engine into a real SQLite log, read back by the
// report: its figures must equal a computation made here straight from the log's events.
#include "report/log_reader.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "core/stored_event.h"
#include "core/temp_dir_for_tests.h"
#include "engine/engine.h"
#include "report/report.h"
#include "store/sqlite/sqlite_event_log.h"

namespace ncc::report {
namespace {

constexpr int64_t kStart = 1'586'131'200'000;  // 2020-04-06T00:00:00Z

// The nearest-rank percentile written out once more, independently of stats.cc.
double NearestRank(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  size_t k = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
  return v[std::max<size_t>(k, 1) - 1];
}

class Scenario : public ::testing::Test {
 protected:
  testing::TempDir dir;
  ManualClock clock{Time{kStart}};
  std::unique_ptr<Engine> engine;
  std::vector<Time> created;  // of each incident, in order

  void SetUp() override {
    auto log = SqliteEventLog::Open(dir.File("events.db"));
    ASSERT_TRUE(log.ok());
    auto e = Engine::Open(std::move(*log), std::make_unique<SnapshotStore>(dir.File("snapshots")),
                          clock, {});
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    engine = std::move(*e);
    Run(RegisterAgency{{"sffd", "SFFD", "fire"}});
    for (const char* c : {"E1", "E2", "M1"})
      Run(RegisterUnit{c, "sffd", c[0] == 'M' ? "ambulance" : "engine", {}, "station 1", {}});
  }

  uint64_t Run(Command c) {
    auto o = engine->SubmitAndWait(std::move(c), "dispatcher", "sffd");
    EXPECT_TRUE(o.status.ok()) << o.status.ToString();
    return o.created_id;
  }
  void Wait(int seconds) { clock.Advance(int64_t{seconds} * 1000); }
  void Step(uint64_t unit, UnitStatus to) { Run(ChangeUnitStatus{UnitId(unit), to, ""}); }

  // One incident, one unit: call processing, turnout, travel, then back in service.
  void OneUnitCall(const char* type, uint64_t unit, int process, int turnout, int travel) {
    created.push_back(clock.Now());
    IncidentId id(Run(CreateIncident{type, 1, {37.79, -122.42}, "", "", "", "sffd"}));
    Wait(process);
    Run(AssignUnit{id, UnitId(unit)});
    Wait(turnout);
    Step(unit, UnitStatus::kEnRoute);
    Wait(travel);
    Step(unit, UnitStatus::kOnScene);
    Wait(600);
    Step(unit, UnitStatus::kAvailable);
    Run(ChangeIncidentStatus{id, IncidentStatus::kResolved, ""});
    Wait(120);
  }

  void Fill() {
    const int process[] = {30, 45, 62, 20, 90, 41, 33, 70, 55, 25, 38, 47};
    const int turnout[] = {50, 61, 75, 82, 40, 66, 90, 58, 72, 44, 63, 79};
    const int travel[] = {180, 240, 310, 205, 400, 150, 260, 230, 199, 500, 275, 221};
    for (int k = 0; k < 12; ++k)
      OneUnitCall(k % 3 == 2 ? "medical.general" : "fire.outside", k % 3 == 2 ? 3 : 1 + k % 2,
                  process[k], turnout[k], travel[k]);
    // Two units where the second sent arrives first: its turnout and travel count.
    created.push_back(clock.Now());
    IncidentId id(Run(CreateIncident{"fire.structure", 1, {37.80, -122.43}, "", "", "", "sffd"}));
    Wait(40);
    Run(AssignUnit{id, UnitId(1)});
    Wait(10);
    Run(AssignUnit{id, UnitId(2)});
    Wait(30);
    Step(2, UnitStatus::kEnRoute);
    Wait(30);
    Step(1, UnitStatus::kEnRoute);
    Wait(170);
    Step(2, UnitStatus::kOnScene);
    Wait(60);
    Step(1, UnitStatus::kOnScene);
    engine->Stop();
  }

  // First-unit travel and turnout per incident, straight from the events.
  struct Direct {
    std::vector<double> travel, turnout, processing;
  };
  Direct FromTheLog(Time from, Time to) {
    auto log = SqliteEventLog::OpenReadOnly(dir.File("events.db"));
    EXPECT_TRUE(log.ok());
    auto events = (*log)->ReadAfter(Seq(), 100000);
    EXPECT_TRUE(events.ok());
    struct Steps {
      Time created, first_assigned;
      std::map<uint64_t, Time> assigned, en_route, on_scene;
    };
    std::map<uint64_t, Steps> incidents;
    for (const StoredEvent& s : *events) {
      auto e = Decode(s);
      EXPECT_TRUE(e.ok());
      if (auto* c = std::get_if<IncidentCreated>(&e->body)) incidents[c->id.value].created = s.time;
      if (auto* a = std::get_if<UnitAssigned>(&e->body)) {
        Steps& st = incidents[a->incident.value];
        st.assigned[a->unit.value] = s.time;
        if (!st.first_assigned.ms) st.first_assigned = s.time;
      }
      if (auto* u = std::get_if<UnitStatusChanged>(&e->body)) {
        if (u->to == UnitStatus::kEnRoute)
          incidents[u->incident.value].en_route[u->id.value] = s.time;
        if (u->to == UnitStatus::kOnScene)
          incidents[u->incident.value].on_scene[u->id.value] = s.time;
      }
    }
    Direct d;
    for (auto& [id, st] : incidents) {
      if (st.created < from || st.created >= to) continue;
      d.processing.push_back((st.first_assigned.ms - st.created.ms) / 1000.0);
      auto first = std::min_element(st.on_scene.begin(), st.on_scene.end(),
                                    [](auto& a, auto& b) { return a.second < b.second; });
      uint64_t unit = first->first;
      d.travel.push_back((first->second.ms - st.en_route[unit].ms) / 1000.0);
      d.turnout.push_back((st.en_route[unit].ms - st.assigned[unit].ms) / 1000.0);
    }
    return d;
  }

  Report ReportOf(Window window) {
    auto content = ReadDataFolder(dir.path());
    EXPECT_TRUE(content.ok()) << content.status().ToString();
    ReportOptions o;
    o.window = window;
    o.bootstrap = {1, 200};
    return BuildReport(dir.path(), std::make_shared<const LogContent>(std::move(*content)), {}, o);
  }
};

TEST_F(Scenario, FiguresEqualADirectComputationFromTheLog) {
  Fill();
  Report r = ReportOf({});
  Direct d = FromTheLog(Time{0}, Time{INT64_MAX});
  ASSERT_EQ(d.travel.size(), 13u);
  EXPECT_EQ(r.selection.incidents.size(), 13u);
  const GroupSummary& all = r.nfpa.front();
  auto summary = [&](Measure m) { return all.measures[static_cast<size_t>(m)]; };
  EXPECT_EQ(summary(Measure::kTravel).n, 13u);
  EXPECT_EQ(summary(Measure::kTravel).p50, NearestRank(d.travel, 50));
  EXPECT_EQ(summary(Measure::kTravel).p90, NearestRank(d.travel, 90));
  EXPECT_EQ(summary(Measure::kTurnout).p90, NearestRank(d.turnout, 90));
  EXPECT_EQ(summary(Measure::kCallProcessing).p50, NearestRank(d.processing, 50));
  EXPECT_EQ(summary(Measure::kCallProcessing).p90, NearestRank(d.processing, 90));
  // The line `ncc report` prints for scripts carries the same figures.
  auto line = nlohmann::json::parse(SummaryJson(r));
  EXPECT_EQ(line["incidents"], 13);
  EXPECT_EQ(line["first_unit_travel_p90_s"].get<double>(), NearestRank(d.travel, 90));
  EXPECT_EQ(line["seq_last"], engine->log().LastSeq().value);
  // The two-unit incident: E2 (sent second, first on scene) gives travel 200 s, turnout 30 s.
  EXPECT_EQ(d.travel.back(), 200);
  EXPECT_EQ(r.selection.incidents.back().seconds[static_cast<size_t>(Measure::kTravel)], 200);
  EXPECT_EQ(r.selection.incidents.back().seconds[static_cast<size_t>(Measure::kTurnout)], 30);
  EXPECT_EQ(r.selection.quality.excluded, 0u);
  // Every figure names the log's span; the whole log was read and checked.
  EXPECT_EQ(r.content->seqs.first, Seq(1));
  EXPECT_EQ(r.content->seqs.last, engine->log().LastSeq());
  EXPECT_EQ(summary(Measure::kTravel).seqs.first.value > 0, true);
  EXPECT_EQ(r.content->units.size(), 3u);
  EXPECT_EQ(r.series.max_open, 1);
  EXPECT_EQ(r.series.min_available, 1);  // during the two-unit call only M1 is free
}

TEST_F(Scenario, FromToSelectsIncidentsCreatedInTheWindow) {
  Fill();
  Window w{created[3], created[9]};
  Report r = ReportOf(w);
  Direct d = FromTheLog(w.from, w.to);
  ASSERT_EQ(d.travel.size(), 6u);
  ASSERT_EQ(r.selection.incidents.size(), 6u);
  const Summary& travel = r.nfpa.front().measures[static_cast<size_t>(Measure::kTravel)];
  EXPECT_EQ(travel.p90, NearestRank(d.travel, 90));
  EXPECT_EQ(travel.p50, NearestRank(d.travel, 50));
  EXPECT_EQ(r.window.from, w.from);
  EXPECT_EQ(r.selection.incidents.front().incident->created, created[3]);
}

// Events appended by hand (as a damaged or foreign writer could), hash-chained properly.
class HandLog {
 public:
  explicit HandLog(const std::string& path) {
    auto log = SqliteEventLog::Open(path);
    EXPECT_TRUE(log.ok());
    log_ = std::move(*log);
  }
  void Add(int64_t seconds, EventBody body) {
    Event e{
        {Seq(++seq_), Time{kStart + seconds * 1000}, "writer", "sffd", Classification::kRestricted},
        std::move(body)};
    StoredEvent s = Encode(e, head_);
    head_ = s.hash;
    EXPECT_TRUE(log_->Append({s}).ok());
  }

 private:
  std::unique_ptr<SqliteEventLog> log_;
  uint64_t seq_ = 0;
  Hash head_{};
};

TEST(ImpossibleOrder, RowsAreCountedByRuleAndExcludedFromEveryFigure) {
  testing::TempDir dir;
  {
    HandLog log(dir.File("events.db"));
    using U = UnitStatus;
    log.Add(0, AgencyRegistered{{"sffd", "SFFD", "fire"}});
    log.Add(0, UnitRegistered{UnitId(1), "E1", "engine", {}, "", {}});
    log.Add(0, IncidentCreated{IncidentId(1), "fire.outside", 1, {37.79, -122.42}, "", "", ""});
    log.Add(10, UnitStatusChanged{UnitId(1), U::kAvailable, U::kEnRoute, IncidentId(1), ""});
    log.Add(20, UnitAssigned{IncidentId(1), UnitId(1)});  // en route 10 s before dispatch
    log.Add(100, UnitStatusChanged{UnitId(1), U::kEnRoute, U::kOnScene, IncidentId(1), ""});
    log.Add(200, UnitStatusChanged{UnitId(1), U::kOnScene, U::kAvailable, IncidentId(1), ""});
    log.Add(300, IncidentCreated{IncidentId(2), "fire.outside", 1, {37.79, -122.42}, "", "", ""});
    log.Add(310, UnitAssigned{IncidentId(2), UnitId(1)});
    log.Add(320, UnitStatusChanged{UnitId(1), U::kDispatched, U::kEnRoute, IncidentId(2), ""});
    log.Add(315, UnitStatusChanged{UnitId(1), U::kEnRoute, U::kOnScene, IncidentId(2), ""});
  }
  auto content = ReadDataFolder(dir.path());
  ASSERT_TRUE(content.ok()) << content.status().ToString();
  ASSERT_EQ(content->incidents.size(), 2u);
  const UnitResponseRow& first = content->incidents[0].rows.at(0);
  EXPECT_EQ(first.en_route.ms, kStart + 10'000);  // as logged: nothing reordered
  EXPECT_EQ(first.assigned.ms, kStart + 20'000);
  Selection s = Select(*content, {});
  EXPECT_EQ(s.quality.rows, 2u);
  EXPECT_EQ(s.quality.excluded, 2u);
  EXPECT_EQ(s.quality.by_rule[static_cast<size_t>(QualityRule::kEnRouteBeforeDispatch)], 1u);
  EXPECT_EQ(s.quality.by_rule[static_cast<size_t>(QualityRule::kOnSceneBeforeEnRoute)], 1u);
  EXPECT_EQ(
      s.quality.examples[static_cast<size_t>(QualityRule::kEnRouteBeforeDispatch)][0].seqs.first,
      Seq(4));
  EXPECT_TRUE(Samples(s.incidents, Measure::kTravel).empty());
  EXPECT_TRUE(Samples(s.incidents, Measure::kCallProcessing).empty());
}

TEST(BadDataFolder, IsRefusedNamingWhatIsWrong) {
  auto missing = ReadDataFolder("/nonexistent/ncc-data");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("no data folder /nonexistent/ncc-data"),
            std::string::npos);

  testing::TempDir empty;
  auto no_log = ReadDataFolder(empty.path());
  ASSERT_FALSE(no_log.ok());
  EXPECT_NE(no_log.status().message().find("not an ncc data folder"), std::string::npos);

  std::ofstream(empty.File("events.db")) << "this is not a database, but it is long enough to "
                                            "look like one to a careless reader.............";
  auto garbage = ReadDataFolder(empty.path());
  ASSERT_FALSE(garbage.ok());
  EXPECT_NE(garbage.status().message().find(empty.File("events.db")), std::string::npos)
      << garbage.status().message();
}

TEST(BadDataFolder, AnEmptyLogOrABrokenChainIsRefused) {
  MemoryEventLog log;
  auto empty = ReadLog(log);
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("no events"), std::string::npos);

  Hash head{};
  for (uint64_t k = 1; k <= 3; ++k) {
    Event e{{Seq(k), Time{kStart}, "w", "sffd", Classification::kRestricted},
            IncidentCreated{IncidentId(k), "fire", 1, {37.79, -122.42}, "", "", ""}};
    StoredEvent s = Encode(e, head);
    head = s.hash;
    ASSERT_TRUE(log.Append({s}).ok());
  }
  log.events_for_test()[1].payload[0] ^= 1;
  auto broken = ReadLog(log);
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(broken.status().message().find("event 2"), std::string::npos)
      << broken.status().message();
}

}  // namespace
}  // namespace ncc::report
