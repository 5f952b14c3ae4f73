#include "report/figures.h"

#include <gtest/gtest.h>

namespace ncc::report {
namespace {

constexpr int64_t kT0 = 1'586'000'000'000;  // April 2020

Time At(double seconds) {
  return Time{kT0 + static_cast<int64_t>(seconds * 1000)};
}

UnitResponseRow Row(const char* callsign, double assigned, double en_route, double on_scene,
                    double cleared = 0) {
  UnitResponseRow r;
  static uint64_t next = 1;
  r.unit = UnitId(next++);
  r.callsign = callsign;
  auto t = [](double s) { return s < 0 ? Time{} : At(s); };
  r.assigned = t(assigned), r.en_route = t(en_route), r.on_scene = t(on_scene);
  r.cleared = t(cleared == 0 ? -1 : cleared);
  return r;
}

IncidentTimeline Incident(uint64_t id, const char* type, double created,
                          std::vector<UnitResponseRow> rows, int priority = 1) {
  IncidentTimeline i;
  i.id = IncidentId(id);
  i.agency = "sffd";
  i.type = type;
  i.priority = priority;
  i.location = {37.79, -122.42};
  i.created = At(created);
  i.seqs = {Seq(id * 10), Seq(id * 10 + 9)};
  i.rows = std::move(rows);
  return i;
}

const IncidentMeasures& Only(const Selection& s) {
  EXPECT_EQ(s.incidents.size(), 1u);
  return s.incidents.front();
}
double Get(const IncidentMeasures& m, Measure k) {
  auto v = m.seconds[static_cast<size_t>(k)];
  EXPECT_TRUE(v.has_value()) << kMeasures[static_cast<size_t>(k)].name;
  return v.value_or(-1);
}

TEST(Measures, TakeTheFirstArrivingUnitsTurnoutAndTravel) {
  LogContent c;
  // M1 assigned first but E3 arrives first: turnout and travel are E3's.
  c.incidents.push_back(
      Incident(1, "medical.general", 0, {Row("M1", 30, 90, 300), Row("E3", 40, 50, 250)}));
  auto s = Select(c, {});
  const IncidentMeasures& m = Only(s);
  EXPECT_EQ(Get(m, Measure::kCallProcessing), 30);
  EXPECT_EQ(Get(m, Measure::kTurnout), 10);
  EXPECT_EQ(Get(m, Measure::kTravel), 200);
  EXPECT_EQ(Get(m, Measure::kTotal), 250);
  EXPECT_FALSE(m.seconds[static_cast<size_t>(Measure::kFullAlarm)]);  // not a fire
  EXPECT_EQ(s.quality.rows, 2u);
  EXPECT_EQ(s.quality.excluded, 0u);
}

TEST(Measures, FullAlarmIsTheLongestTravelOfTheInitialAssignment) {
  LogContent c;
  c.incidents.push_back(Incident(
      1, "fire.structure", 0,
      {Row("E1", 60, 100, 300), Row("E2", 70, 90, 500), Row("T1", 200, 210, 220)}));  // T1: late
  const IncidentMeasures& m = Only(Select(c, {}));
  EXPECT_EQ(Get(m, Measure::kFullAlarm), 410);  // E2: 90 -> 500; T1 was sent 140 s later
  EXPECT_EQ(Get(m, Measure::kTravel), 10);      // first on scene: T1, sent late but close by
}

TEST(Quality, ImpossibleOrderIsCountedByRuleAndExcludedNotFlipped) {
  LogContent c;
  c.incidents.push_back(Incident(1, "fire.outside", 100,
                                 {
                                     Row("E1", 130, 120, 200),       // en route before dispatch
                                     Row("E2", 140, 150, 145),       // on scene before en route
                                     Row("E3", 90, 95, 300),         // dispatched before the call
                                     Row("E4", -1, 160, 310),        // never assigned
                                     Row("E5", 150, -1, 140),        // on scene before dispatch
                                     Row("E6", 150, 160, 170, 165),  // cleared before on scene
                                     Row("E7", 150, 170, 400),       // the one valid row
                                 }));
  auto s = Select(c, {});
  const QualityReport& q = s.quality;
  EXPECT_EQ(q.rows, 7u);
  EXPECT_EQ(q.excluded, 6u);
  for (const QualityRuleInfo& rule : kRules)
    EXPECT_EQ(q.by_rule[static_cast<size_t>(rule.rule)], 1u) << rule.name;
  EXPECT_EQ(q.examples[static_cast<size_t>(QualityRule::kEnRouteBeforeDispatch)][0].callsign, "E1");
  // Only E7 counts, as it is: nothing was swapped into order.
  const IncidentMeasures& m = Only(s);
  EXPECT_EQ(Get(m, Measure::kCallProcessing), 50);
  EXPECT_EQ(Get(m, Measure::kTurnout), 20);
  EXPECT_EQ(Get(m, Measure::kTravel), 230);
  EXPECT_EQ(std::string(kRules[2].name), "en_route_before_dispatch");
}

TEST(Quality, AGapIsKeptButItsMeasureIsNotTaken) {
  LogContent c;
  c.incidents.push_back(Incident(1, "medical.general", 0, {Row("M1", 20, -1, 400)}));
  c.incidents.push_back(Incident(2, "medical.general", 0, {}));
  auto s = Select(c, {});
  EXPECT_EQ(s.quality.on_scene_without_en_route, 1u);
  EXPECT_EQ(s.quality.incidents_without_rows, 1u);
  const IncidentMeasures& m = s.incidents[0];
  EXPECT_EQ(Get(m, Measure::kTotal), 400);
  EXPECT_FALSE(m.seconds[static_cast<size_t>(Measure::kTravel)]);
  EXPECT_FALSE(m.seconds[static_cast<size_t>(Measure::kTurnout)]);
}

TEST(Window, SelectsIncidentsCreatedInFromToTo) {
  LogContent c;
  for (int k = 0; k < 10; ++k)
    c.incidents.push_back(Incident(k + 1, "fire", k * 100.0,
                                   {Row("E1", k * 100.0 + 5, k * 100.0 + 10, k * 100.0 + 60)}));
  auto s = Select(c, {At(200), At(500)});
  ASSERT_EQ(s.incidents.size(), 3u);  // created at 200, 300, 400; 500 is outside
  EXPECT_EQ(s.incidents.front().incident->id, IncidentId(3));
  EXPECT_EQ(s.quality.seqs.first, Seq(30));
  EXPECT_EQ(s.quality.seqs.last, Seq(59));
}

TEST(NfpaTable, GroupsAllThenAgencyTypeAndPriorityWithTargets) {
  LogContent c;
  // Ten medical incidents with travel 100..1000 s, two fires with turnout 70 and 90 s.
  for (int k = 1; k <= 10; ++k)
    c.incidents.push_back(Incident(k, "medical.general", 0, {Row("M", 10, 70, 70 + 100.0 * k)}, 1));
  c.incidents.push_back(Incident(11, "fire.structure", 0, {Row("E", 10, 80, 200)}, 2));
  c.incidents.push_back(Incident(12, "fire.structure", 0, {Row("E", 10, 100, 200)}, 2));
  auto table = NfpaTable(Select(c, {}), {1, 200});
  ASSERT_GE(table.size(), 5u);
  EXPECT_EQ(table[0].group, "all");
  EXPECT_EQ(table[1].group, "agency=sffd");
  EXPECT_EQ(table[2].group, "type=medical.general");  // the larger group first
  EXPECT_EQ(table[3].group, "type=fire.structure");
  EXPECT_EQ(table[4].group, "priority=1");
  const Summary& travel = table[2].measures[static_cast<size_t>(Measure::kTravel)];
  EXPECT_EQ(travel.n, 10u);
  EXPECT_EQ(travel.p50, 500);
  EXPECT_EQ(travel.p90, 900);
  EXPECT_EQ(travel.within_pct, 20);  // 100 and 200 are within 240 s
  EXPECT_EQ(travel.target_s, 240);
  ASSERT_TRUE(travel.p90_ci);
  EXPECT_LE(travel.p90_ci->low, 900);
  const Summary& fire_turnout = table[3].measures[static_cast<size_t>(Measure::kTurnout)];
  EXPECT_EQ(fire_turnout.target_s, 80);
  EXPECT_EQ(fire_turnout.within_pct, 50);  // 70 s yes, 90 s no
  const Summary& all_turnout = table[0].measures[static_cast<size_t>(Measure::kTurnout)];
  EXPECT_TRUE(all_turnout.mixed_targets);              // 60 s EMS and 80 s fire
  EXPECT_EQ(all_turnout.within_pct, 100.0 * 11 / 12);  // EMS 60 s: all ten; fire: one of two
}

TEST(Series, CountsOpenIncidentsAndAvailableUnitsAtEachSpanEnd) {
  LogContent c;
  c.available_units = {{At(0), Seq(1), +1}, {At(0), Seq(2), +1}, {At(150), Seq(5), -1}};
  c.open_incidents = {{At(100), Seq(3), +1}, {At(120), Seq(4), +1}, {At(250), Seq(6), -1}};
  Series s = OpenVersusAvailable(c, At(0), At(400), 4);
  ASSERT_EQ(s.points.size(), 4u);
  EXPECT_EQ(s.points[0].open_incidents, 0);  // [0, 100): the first opens at 100
  EXPECT_EQ(s.points[0].available_units, 2);
  EXPECT_EQ(s.points[1].open_incidents, 2);  // [100, 200): both opened, one unit taken at 150
  EXPECT_EQ(s.points[1].available_units, 1);
  EXPECT_EQ(s.points[2].open_incidents, 1);
  EXPECT_EQ(s.points[2].available_units, 1);
  EXPECT_EQ(s.max_open, 2);
  EXPECT_EQ(s.min_available, 1);
  EXPECT_EQ(s.seqs.first, Seq(1));
  EXPECT_EQ(s.seqs.last, Seq(6));
}

TEST(Utilisation, IsCommittedTimeOverTheWindowClipped) {
  LogContent c;
  c.units.push_back({UnitId(1), "E1", "sffd", "engine", At(0)});
  c.units.push_back({UnitId(2), "M1", "sffd", "ambulance", At(0)});
  UnitResponseRow r = Row("E1", 1800, 1900, 2000, 5400);  // 1 h committed
  r.unit = UnitId(1);
  UnitResponseRow late = Row("E1", 6000, 6100, 6200);  // not cleared: until the window's end
  late.unit = UnitId(1);
  c.incidents.push_back(Incident(1, "fire", 1700, {r, late}));
  Utilisation u = UnitUtilisation(c, At(0), At(7200));
  ASSERT_EQ(u.units.size(), 2u);
  EXPECT_EQ(u.units[0].unit->callsign, "E1");
  EXPECT_DOUBLE_EQ(u.units[0].busy_s, 3600 + 1200);
  EXPECT_DOUBLE_EQ(u.units[0].fraction, 4800.0 / 7200);
  EXPECT_EQ(u.units[0].responses, 2);
  EXPECT_DOUBLE_EQ(u.mean_by_kind["ambulance"], 0);
}

TEST(Sla, StepsAreCountedAgainstThePlansTargets) {
  auto plans = dispatch::PlanSet::Parse(
      "[plan default]\nname = d\nneed = 1 engine\ntarget.* = 60 60 4m\n"
      "[plan fire]\nname = f\nneed = 1 engine\ntarget.1 = 30 60 5m\n",
      "test.conf");
  ASSERT_TRUE(plans.ok()) << plans.status().ToString();
  LogContent c;
  c.incidents.push_back(
      Incident(1, "fire.outside", 0, {Row("E1", 20, 100, 300)}, 1));  // 20 ok, 80 late, 200 ok
  c.incidents.push_back(
      Incident(2, "fire.outside", 0, {Row("E1", 40, 50, -1)}, 1));  // 40 late, 10 ok, never
  c.incidents.push_back(Incident(3, "medical", 0, {}, 3));          // never dispatched
  std::vector<LoggedEscalation> esc = {{IncidentId(1), "en_route", Seq(9)}};
  auto rows = SlaCompliance(Select(c, {}), *plans, esc);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].plan, "default");
  EXPECT_EQ(rows[0].steps[0].not_reached, 1u);
  EXPECT_EQ(rows[1].plan, "fire");
  EXPECT_EQ(rows[1].steps[0].target_s, 30);
  EXPECT_EQ(rows[1].steps[0].met, 1u);
  EXPECT_EQ(rows[1].steps[0].missed, 1u);
  EXPECT_EQ(rows[1].steps[1].met, 1u);
  EXPECT_EQ(rows[1].steps[1].missed, 1u);
  EXPECT_EQ(rows[1].steps[1].escalations_logged, 1u);
  EXPECT_EQ(rows[1].steps[2].target_s, 300);
  EXPECT_EQ(rows[1].steps[2].met, 1u);
  EXPECT_EQ(rows[1].steps[2].not_reached, 1u);
}

}  // namespace
}  // namespace ncc::report
