// The simulator on a small slice of the real SF calls (the first calls inside the north-SF
// graph), on the real road graph: determinism, conservation under every policy, counterfactual
// runs from a log. Skipped without NCC_DATA_DIR.
#include "sim/simulator.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <map>

#include "core/json_writer.h"
#include "core/stored_event.h"
#include "core/temp_dir_for_tests.h"
#include "dispatch/plans.h"
#include "routing/importer.h"
#include "sim/fleet.h"
#include "sim/run.h"
#include "sim/whatif.h"
#include "store/sqlite/sqlite_event_log.h"

namespace ncc::sim {
namespace {

std::string DataDir() {
  const char* dir = std::getenv("NCC_DATA_DIR");
  return dir ? dir : "";
}

class SimRun : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (DataDir().empty()) return;
    dir_ = new ncc::testing::TempDir();
    routing::ImportOptions o;
    o.show_progress = false;
    auto built =
        routing::ImportOsmToFile(DataDir() + "/osm/sf-north-2020.osm", dir_->File("sf.graph"), o);
    ASSERT_TRUE(built.ok()) << built.status().ToString();
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override {
    if (DataDir().empty()) GTEST_SKIP() << "NCC_DATA_DIR not set";
  }
  RunConfig Config(const std::string& policy, const std::string& out, size_t calls = 40) {
    RunConfig c;
    c.graph = dir_->File("sf.graph");
    c.calls = DataDir() + "/calls/sf_fire_calls_for_service_2020-04.csv";
    c.mapping = std::string(NCC_SOURCE_DIR) + "/config/mappings/sf-fire.json";
    c.policy = policy;
    c.seed = 7;
    c.out = out_.File(out);
    c.limit_calls = calls;
    return c;
  }
  static ncc::testing::TempDir* dir_;
  ncc::testing::TempDir out_;
};
ncc::testing::TempDir* SimRun::dir_ = nullptr;

// What the log says happened, checked step by step as a reader of the log would.
struct LogCheck {
  size_t incidents = 0, closed = 0, cancelled = 0, assignments = 0, fixes = 0;
  std::vector<std::string> problems;
};

LogCheck CheckLog(const std::string& data_dir) {
  LogCheck out;
  auto log = SqliteEventLog::OpenReadOnly(data_dir + "/events.db");
  if (!log.ok()) {
    out.problems.push_back(log.status().ToString());
    return out;
  }
  std::map<uint64_t, IncidentStatus> incident;
  std::map<uint64_t, bool> resolved;
  std::map<uint64_t, UnitStatus> unit;
  std::map<uint64_t, uint64_t> serving;
  std::map<uint64_t, int64_t> last_fix;
  Seq after;
  for (;;) {
    auto chunk = (*log)->ReadAfter(after, 10'000);
    if (!chunk.ok() || chunk->empty()) break;
    for (const StoredEvent& s : *chunk) {
      after = s.seq;
      auto e = Decode(s);
      if (!e.ok()) {
        out.problems.push_back(e.status().ToString());
        continue;
      }
      if (auto* c = std::get_if<IncidentCreated>(&e->body)) {
        incident[c->id.value] = IncidentStatus::kNew;
        ++out.incidents;
      } else if (auto* ic = std::get_if<IncidentStatusChanged>(&e->body)) {
        incident[ic->id.value] = ic->to;
        if (ic->to == IncidentStatus::kResolved) resolved[ic->id.value] = true;
      } else if (auto* r = std::get_if<UnitRegistered>(&e->body)) {
        unit[r->id.value] = UnitStatus::kAvailable;
      } else if (auto* a = std::get_if<UnitAssigned>(&e->body)) {
        ++out.assignments;
        if (unit[a->unit.value] != UnitStatus::kAvailable || serving[a->unit.value])
          out.problems.push_back("unit " + std::to_string(a->unit.value) +
                                 " assigned while busy at seq " + std::to_string(s.seq.value));
        serving[a->unit.value] = a->incident.value;
        unit[a->unit.value] = UnitStatus::kDispatched;
      } else if (auto* us = std::get_if<UnitStatusChanged>(&e->body)) {
        unit[us->id.value] = us->to;
        if (us->to == UnitStatus::kAvailable) serving[us->id.value] = 0;
      } else if (auto* p = std::get_if<PositionsReported>(&e->body)) {
        for (const PositionFix& f : p->fixes) {
          ++out.fixes;
          auto [it, fresh] = last_fix.emplace(f.unit.value, f.time.ms);
          if (!fresh && f.time.ms <= it->second)
            out.problems.push_back("unit " + std::to_string(f.unit.value) +
                                   " has two positions at or before " + std::to_string(f.time.ms));
          it->second = f.time.ms;
        }
      }
    }
  }
  for (const auto& [id, status] : incident) {
    if (status == IncidentStatus::kClosed && resolved[id])
      ++out.closed;
    else if (status == IncidentStatus::kCancelled)
      ++out.cancelled;
    else
      out.problems.push_back("incident " + std::to_string(id) + " ended " +
                             std::to_string(static_cast<int>(status)));
  }
  return out;
}

TEST_F(SimRun, SameInputsAndSeedGiveTheSameLog) {
  auto a = RunSimulation(Config("ncc+moveup", "a"));
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  auto b = RunSimulation(Config("ncc+moveup", "b"));
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(a->figures.log_digest.size(), 64u);
  EXPECT_EQ(a->figures.log_digest, b->figures.log_digest);
  EXPECT_EQ(a->figures.events, b->figures.events);
  EXPECT_EQ(a->figures.fixes, b->figures.fixes);
  EXPECT_GT(a->figures.fixes, 1000u);  // units really drove
  // Another policy decides otherwise: another log.
  auto c = RunSimulation(Config("nearest-straight-line", "c"));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_NE(a->figures.log_digest, c->figures.log_digest);
}

TEST_F(SimRun, EveryPolicyConservesCallsAndUnits) {
  for (std::string_view policy : kPolicyNames) {
    SCOPED_TRACE(std::string(policy));
    RunConfig config =
        Config(std::string(policy), std::string(policy == "ncc+moveup" ? "m" : policy));
    auto run = RunSimulation(config);
    ASSERT_TRUE(run.ok()) << run.status().ToString();
    const SimFigures& f = run->figures;
    EXPECT_EQ(f.calls, 40u);
    EXPECT_EQ(f.refused, 0u) << f.first_refusal;
    EXPECT_EQ(f.fixes_refused, 0u) << f.first_refusal;
    EXPECT_EQ(f.resolved + f.cancelled, f.calls);
    EXPECT_GT(f.first_unit_travel_s.size(), 30u);
    LogCheck log = CheckLog(config.out);
    for (const std::string& p : log.problems) ADD_FAILURE() << p;
    EXPECT_EQ(log.incidents, f.calls);
    EXPECT_EQ(log.closed + log.cancelled, log.incidents);
    EXPECT_GT(log.assignments, 0u);
    EXPECT_GT(log.fixes, 0u);  // checkpoints of the lane reached the log
    EXPECT_TRUE(run->json.contains("within_240s_pct"));
  }
}

TEST_F(SimRun, FromLogRunsTheRecordedCallsUnderAnotherPolicy) {
  RunConfig first = Config("historical", "h", 25);
  auto recorded = RunSimulation(first);
  ASSERT_TRUE(recorded.ok()) << recorded.status().ToString();
  RunConfig again = Config("ncc", "from-log", 0);
  again.calls.clear();
  again.from_log = first.out;
  auto run = RunSimulation(again);
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->figures.calls, recorded->figures.calls);
  EXPECT_EQ(run->figures.refused, 0u) << run->figures.first_refusal;
  EXPECT_EQ(run->figures.resolved + run->figures.cancelled, run->figures.calls);
}

TEST_F(SimRun, RefusesAnExportWithoutLocations) {
  RunConfig c = Config("ncc", "va");
  c.calls = DataDir() + "/calls/virginia_psap_cad_2025/week35.csv";
  c.mapping = std::string(NCC_SOURCE_DIR) + "/config/mappings/virginia-psap.json";
  auto run = RunSimulation(c);
  ASSERT_FALSE(run.ok());
  EXPECT_EQ(run.status().field(), "columns.location");
  EXPECT_NE(run.status().message().find("analytics only"), std::string::npos);
}

// Sharding (sharding.h): one shard is the plain policy, byte for byte; "closest" aid picks
// what one centre would and only counts the units lent across a border; "when-short" keeps
// each shard's slots at home and accounts for every slot.
TEST_F(SimRun, OneShardIsThePlainPolicyAndEverySlotIsAccountedFor) {
  auto plain = RunSimulation(Config("ncc", "plain", 120));
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  RunConfig one = Config("ncc", "one", 120);
  one.shards = 1;
  auto single = RunSimulation(one);
  ASSERT_TRUE(single.ok()) << single.status().ToString();
  EXPECT_EQ(single->figures.log_digest, plain->figures.log_digest);
  EXPECT_EQ(single->json["sharding"]["slots_mutual_aid"], 0);

  RunConfig closest = Config("ncc", "closest", 120);
  closest.shards = 2;
  closest.shard_aid = "closest";
  auto any = RunSimulation(closest);
  ASSERT_TRUE(any.ok()) << any.status().ToString();
  EXPECT_EQ(any->figures.log_digest, plain->figures.log_digest);
  const nlohmann::json& cj = any->json["sharding"];
  EXPECT_EQ(cj["borders_lon"].size(), 1u);
  EXPECT_GT(cj["slots_mutual_aid"].get<size_t>(), 0u) << cj.dump();  // two shards of one city

  RunConfig bands = Config("ncc", "bands", 120);
  bands.shards = 3;
  auto split = RunSimulation(bands);
  ASSERT_TRUE(split.ok()) << split.status().ToString();
  EXPECT_EQ(split->figures.refused, 0u) << split->figures.first_refusal;
  const nlohmann::json& j = split->json["sharding"];
  ASSERT_EQ(j["per_shard"].size(), 3u) << j.dump();
  size_t units = 0, slots = 0;
  for (const nlohmann::json& shard : j["per_shard"]) {
    EXPECT_GT(shard["units"].get<size_t>(), 0u) << shard.dump();
    EXPECT_EQ(shard["slots"].get<size_t>(), shard["slots_home"].get<size_t>() +
                                                shard["slots_mutual_aid"].get<size_t>() +
                                                shard["slots_unfilled"].get<size_t>())
        << shard.dump();
    units += shard["units"].get<size_t>();
    slots += shard["slots"].get<size_t>();
  }
  EXPECT_EQ(units, split->figures.units);
  EXPECT_EQ(slots, split->figures.slots);
  // Bands of equal fleets: no shard holds more than half of the units.
  for (const nlohmann::json& shard : j["per_shard"])
    EXPECT_LE(shard["units"].get<size_t>() * 2, units) << j.dump();

  RunConfig bad = Config("ncc", "bad", 10);
  bad.shards = 17;
  EXPECT_EQ(RunSimulation(bad).status().field(), "shards");
  bad.shards = -1;  // not "no sharding"
  EXPECT_EQ(RunSimulation(bad).status().field(), "shards");
  bad.shards = 2;
  bad.shard_aid = "nearest";
  EXPECT_EQ(RunSimulation(bad).status().field(), "shard-aid");
}

// The example plan's what-if on the real calls and roads: the plan's period mapped onto the
// first Saturday of the data, twice with the same seed; the postings move the posted units and
// nothing else changes what was simulated.
TEST_F(SimRun, TheExamplePlansWhatIfPostsItsUnitsAndReportsEverySectorAndPhase) {
  WhatIfConfig w;
  w.run = Config("ncc", "whatif", 0);
  w.operation = std::string(NCC_SOURCE_DIR) + "/config/operations/fleet-week-marina-green.json";
  auto report = RunWhatIf(w);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  const nlohmann::json& r = *report;
  EXPECT_EQ(r["calls_from"], "2020-04-11T16:00:00.000Z");  // the data's first Saturday
  const nlohmann::json &base = r["runs"]["baseline"], &plan = r["runs"]["plan"];
  EXPECT_EQ(base["calls"], plan["calls"]);
  EXPECT_GT(base["calls"].get<int>(), 20);
  EXPECT_EQ(base["refused"], 0) << base.value("first_refusal", "");
  EXPECT_EQ(plan["refused"], 0) << plan.value("first_refusal", "");
  EXPECT_FALSE(base.contains("posting_moves"));
  EXPECT_GT(plan["posting_moves"].get<int>(), 0);  // T16 to Crissy Field for the show, back after
  EXPECT_EQ(plan["postings_unmatched"], 0);        // E16, T16 and KM09 are in the data's fleet
  EXPECT_NE(base["log_digest"], plan["log_digest"]);
  EXPECT_FALSE(r["calls_changed"].empty());  // the postings sent another unit to some call
  ASSERT_EQ(r["cells"].size(), 16u);
  for (const nlohmann::json& c : r["cells"]) {
    SCOPED_TRACE(c.dump());
    EXPECT_EQ(c["baseline"]["calls"], c["plan"]["calls"]);  // the same calls in both runs
    if (c["sector"] != "*") {
      EXPECT_TRUE(c["plan"]["engine_coverage_pct"].is_number());
      EXPECT_GT(c["plan"]["coverage_samples"].get<int>(), 0);
    }
  }
  // KM09 posted at the Laguna Street gate (sector B) all show long: Marina Green next door has
  // an ambulance within 4 minutes more of the time than with every unit at quarters.
  for (const nlohmann::json& c : r["cells"]) {
    if (c["sector"] != "A" || c["phase"] != "show") continue;
    EXPECT_GT(c["plan"]["ambulance_coverage_pct"].get<double>(),
              c["baseline"]["ambulance_coverage_pct"].get<double>());
  }
  for (const char* run : {"baseline", "plan"}) {
    LogCheck log = CheckLog(w.run.out + "/" + run);
    for (const std::string& p : log.problems) ADD_FAILURE() << run << ": " << p;
  }
  // Where the posted units were, from each run's log: E16 starts at its arrival post (moved
  // there at activation), T16 drives to Crissy Field East for the show; not in the baseline.
  const LatLon e16_post{37.806418, -122.4374775}, t16_post{37.8039064, -122.4501761};
  Time show_start, show_end;
  ASSERT_TRUE(ParseTime("2026-10-10T19:00:00Z", show_start));
  ASSERT_TRUE(ParseTime("2026-10-11T00:00:00Z", show_end));
  for (const char* run : {"baseline", "plan"}) {
    SCOPED_TRACE(run);
    auto log = SqliteEventLog::OpenReadOnly(w.run.out + "/" + run + "/events.db");
    ASSERT_TRUE(log.ok());
    auto events = (*log)->ReadAfter(Seq(0), 1'000'000);
    ASSERT_TRUE(events.ok());
    std::map<uint64_t, std::string> callsign;
    double e16_start = -1, t16_show = 1e9;
    for (const StoredEvent& stored : *events) {
      auto e = Decode(stored);
      ASSERT_TRUE(e.ok());
      if (auto* u = std::get_if<UnitRegistered>(&e->body)) {
        callsign[u->id.value] = u->callsign;
        if (u->callsign == "E16" && u->position) e16_start = DistanceMeters(*u->position, e16_post);
      } else if (auto* p = std::get_if<PositionsReported>(&e->body)) {
        for (const PositionFix& f : p->fixes)
          if (callsign[f.unit.value] == "T16" && show_start <= f.time && f.time < show_end)
            t16_show = std::min(t16_show, DistanceMeters(f.position, t16_post));
      }
    }
    ASSERT_GE(e16_start, 0);
    if (std::string(run) == "plan") {
      EXPECT_LT(e16_start, 100);  // on the road at its post
      EXPECT_LT(t16_show, 100);
    } else {
      EXPECT_GT(e16_start, 300);
      EXPECT_GT(t16_show, 300);
    }
  }
  for (const char* file : {"whatif.json", "whatif.html", "matrix.html"})
    EXPECT_TRUE(std::filesystem::exists(w.run.out + "/" + file)) << file;
}

TEST(SimParts, QueueKeepsTimeThenScheduleOrder) {
  EventQueue q;
  q.Push(20, 1, 0);
  q.Push(10, 2, 0);
  q.Push(10, 3, 0);
  EXPECT_EQ(q.Pop().kind, 2);
  EXPECT_EQ(q.Pop().kind, 3);
  EXPECT_EQ(q.Pop().kind, 1);
}

TEST(SimParts, DriveMovesAlongItsPathAtItsPace) {
  Drive d({{37.80, -122.42}, {37.80, -122.41}, {37.81, -122.41}}, 1000, 100);
  EXPECT_EQ(d.end_ms(), 101'000);
  EXPECT_DOUBLE_EQ(d.At(0).lat, 37.80);
  EXPECT_DOUBLE_EQ(d.At(200'000).lat, 37.81);
  // Halfway in time is halfway along the path: on the second leg, past the corner.
  LatLon corner{37.80, -122.41};
  double first_leg = DistanceMeters({37.80, -122.42}, corner);
  ASSERT_GT(d.meters() / 2, first_leg);
  LatLon mid = d.At(51'000);
  EXPECT_NEAR(DistanceMeters(corner, mid), d.meters() / 2 - first_leg, 1);
  EXPECT_NEAR(mid.lon, -122.41, 1e-9);
  EXPECT_NEAR(d.HeadingAt(2000), 90, 1);    // east first
  EXPECT_NEAR(d.HeadingAt(100'000), 0, 1);  // then north
}

TEST(SimParts, UnitStepsFollowTheStateMachine) {
  SimUnit u;
  u.callsign = "E03";
  EXPECT_TRUE(CheckStep(u, Phase::kDispatched).ok());
  EXPECT_FALSE(CheckStep(u, Phase::kOnScene).ok());
  u.phase = Phase::kOnScene;
  Status busy = CheckStep(u, Phase::kDispatched);
  EXPECT_EQ(busy.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(busy.message().find("E03"), std::string::npos);
  u.phase = Phase::kDrivingHome;  // available while driving home: may be sent again
  EXPECT_TRUE(CheckStep(u, Phase::kDispatched).ok());
}

TEST(SimParts, EveryAskMakesAPlanTheRecommenderReads) {
  Ask ask;
  ask.kinds = {"engine", "ambulance", "engine", "command"};
  std::string text = PlanTextFor(ask);
  auto plans = dispatch::PlanSet::Parse(text, "sim");
  ASSERT_TRUE(plans.ok()) << plans.status().ToString() << "\n" << text;
  const dispatch::Plan* plan = plans->Find("default");
  ASSERT_NE(plan, nullptr);
  ASSERT_EQ(plan->needs.size(), 3u);  // by kind: 1 ambulance, 1 command, 2 engine
  EXPECT_EQ(plan->needs[2].count, 2);
}

TEST(SimParts, PercentileIsNearestRank) {
  EXPECT_DOUBLE_EQ(Percentile({5, 1, 3, 2, 4}, 0.5), 3);
  EXPECT_DOUBLE_EQ(Percentile({1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 0.9), 9);
  EXPECT_TRUE(std::isnan(Percentile({}, 0.9)));
}

}  // namespace
}  // namespace ncc::sim
