// The what-if of an operation plan on small deterministic cases: the plan's period mapped onto
// a real day of the calls, postings over their phases' times, and the figures per sector and
// phase of two runs (made by hand here; the whole run on real data is in simulator_test.cc).
#include "sim/whatif.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "core/json_writer.h"
#include "plan/plan_document.h"

namespace ncc::sim {
namespace {

Time At(const char* iso) {
  Time t;
  EXPECT_TRUE(ParseTime(iso, t)) << iso;
  return t;
}

OperationPlan Example() {
  std::ifstream in(std::string(NCC_SOURCE_DIR) + "/config/operations/fleet-week-marina-green.json");
  std::stringstream text;
  text << in.rdbuf();
  auto plan = plan::ParsePlanDocument(text.str());
  EXPECT_TRUE(plan.ok()) << plan.status().ToString();
  return *plan;
}

UnitResponse Call(const std::string& number, const char* received) {
  UnitResponse r;
  r.call_number = number;
  r.received = At(received);
  r.dispatch = Time{r.received.ms + 60'000};
  return r;
}

TEST(WhatIf, ThePlansPeriodMapsOntoTheFirstDayOfTheDataOnItsWeekday) {
  OperationPlan plan = Example();  // Saturday 2026-10-10 16:00Z to Sunday 02:00Z
  std::vector<UnitResponse> rows = {
      Call("fri", "2020-04-03T17:00:00Z"),             // a Friday: before the first Saturday
      Call("early", "2020-04-04T15:59:59Z"),           // the first Saturday, before the period
      Call("in", "2020-04-04T16:30:00Z"),              // inside
      Call("late", "2020-04-05T01:59:59Z"),            // inside, the last second
      Call("after", "2020-04-05T02:00:00Z"),           // the period is half-open
      Call("next", "2020-04-11T18:00:00Z")};           // the next Saturday: the data goes on
  rows.push_back(Call("in", "2020-04-04T16:30:00Z"));  // a second unit response of "in"
  auto period = CallsOverPeriod(rows, plan.start, plan.end, Time{});
  ASSERT_TRUE(period.ok()) << period.status().ToString();
  EXPECT_EQ(FormatTime(period->from), "2020-04-04T16:00:00.000Z");
  EXPECT_EQ(period->calls, 2u);
  ASSERT_EQ(period->rows.size(), 3u);
  EXPECT_EQ(period->rows[0].received, At("2026-10-10T16:30:00Z"));
  EXPECT_EQ(period->rows[0].dispatch, At("2026-10-10T16:31:00Z"));  // every time moves alike
  EXPECT_EQ(period->rows[0].on_scene.ms, 0);                        // and none appears
  EXPECT_EQ(period->rows[1].received, At("2026-10-11T01:59:59Z"));  // in the data's order
  EXPECT_EQ(period->rows[2].call_number, "in");

  auto chosen = CallsOverPeriod(rows, plan.start, plan.end, At("2020-04-04T08:00:00Z"));
  ASSERT_TRUE(chosen.ok());
  EXPECT_EQ(chosen->calls, 2u);  // "early" and "in" lie in 08:00 + 10 h
  EXPECT_EQ(chosen->shift_ms, plan.start.ms - At("2020-04-04T08:00:00Z").ms);
  auto outside = CallsOverPeriod(rows, plan.start, plan.end, At("2020-04-11T16:00:00Z"));
  ASSERT_FALSE(outside.ok());  // the data ends before 02:00 the next day
  EXPECT_EQ(outside.status().field(), "calls-from");
}

TEST(WhatIf, PostingsRunOverTheirPhasesTimes) {
  std::vector<SimPosting> postings = PostingsOf(Example());
  ASSERT_EQ(postings.size(), 5u);
  EXPECT_EQ(postings[0].callsign, "E16");
  EXPECT_EQ(postings[0].from, At("2026-10-10T16:00:00Z"));
  EXPECT_EQ(postings[0].to, At("2026-10-10T19:00:00Z"));
  EXPECT_EQ(postings[3].callsign, "T16");  // the show: 19:00 to 00:00
  EXPECT_EQ(postings[3].from, At("2026-10-10T19:00:00Z"));
  EXPECT_EQ(postings[3].to, At("2026-10-11T00:00:00Z"));
  EXPECT_EQ(postings[4].agency, "ems_private");
}

const nlohmann::json& Cell(const nlohmann::json& cells, const char* sector, const char* phase) {
  for (const nlohmann::json& c : cells)
    if (c["sector"] == sector && c["phase"] == phase) return c;
  static const nlohmann::json none;
  ADD_FAILURE() << "no cell " << sector << " " << phase;
  return none;
}

TEST(WhatIf, FiguresPerSectorAndPhaseCountOnlyTheirCallsAndSamples) {
  OperationPlan plan = Example();
  const LatLon in_a{37.8065, -122.4375}, in_b{37.8060, -122.4290}, nowhere{37.79, -122.41};
  SimFigures base, with;
  base.outcomes = {
      {in_a, At("2026-10-10T16:10:00Z"), 300},    {in_a, At("2026-10-10T17:00:00Z"), 100},
      {in_a, At("2026-10-10T18:00:00Z"), 260},    {in_b, At("2026-10-10T20:00:00Z"), 200},
      {nowhere, At("2026-10-10T20:30:00Z"), NAN},  // nobody arrived
      {in_a, At("2026-10-11T03:00:00Z"), 50}};     // after the operation
  with.outcomes = base.outcomes;
  with.outcomes[0].first_unit_travel_s = 90;
  with.outcomes[2].first_unit_travel_s = 120;
  base.coverage_samples = {{"A/engine", At("2026-10-10T16:00:00Z"), 0.5},
                           {"A/engine", At("2026-10-10T16:05:00Z"), 1.0},
                           {"A/engine", At("2026-10-10T19:00:00Z"), 0.0},  // the show's
                           {"A/ambulance", At("2026-10-10T16:00:00Z"), 0.25}};
  with.coverage_samples = {{"A/engine", At("2026-10-10T16:00:00Z"), 1.0},
                           {"A/engine", At("2026-10-10T16:05:00Z"), 1.0}};
  nlohmann::json cells = CompareRuns(plan, base, with);
  EXPECT_EQ(cells.size(), 16u);  // (3 sectors + every call) x (3 phases + the whole period)

  const nlohmann::json& a = Cell(cells, "A", "arrival");
  EXPECT_EQ(a["baseline"]["calls"], 3);
  EXPECT_EQ(a["baseline"]["first_unit_travel_p50_s"], 260.0);  // nearest rank of 100 260 300
  EXPECT_EQ(a["baseline"]["first_unit_travel_p90_s"], 300.0);
  EXPECT_NEAR(a["baseline"]["within_240s_pct"].get<double>(), 33.3, 0.05);
  EXPECT_EQ(a["plan"]["first_unit_travel_p50_s"], 100.0);  // 90 100 120
  EXPECT_EQ(a["plan"]["within_240s_pct"], 100.0);
  EXPECT_EQ(a["baseline"]["engine_coverage_pct"], 75.0);
  EXPECT_EQ(a["baseline"]["ambulance_coverage_pct"], 25.0);
  EXPECT_EQ(a["plan"]["engine_coverage_pct"], 100.0);
  EXPECT_TRUE(a["plan"]["ambulance_coverage_pct"].is_null());  // no sample: no figure

  const nlohmann::json& show_b = Cell(cells, "B", "show");
  EXPECT_EQ(show_b["baseline"]["calls"], 1);
  EXPECT_EQ(show_b["baseline"]["first_unit_travel_p90_s"], 200.0);
  EXPECT_EQ(Cell(cells, "A", "show")["baseline"]["engine_coverage_pct"], 0.0);
  EXPECT_EQ(Cell(cells, "C", "show")["baseline"]["calls"], 0);
  EXPECT_TRUE(Cell(cells, "C", "show")["baseline"]["first_unit_travel_p50_s"].is_null());

  const nlohmann::json& all_show = Cell(cells, "*", "show");
  EXPECT_EQ(all_show["baseline"]["calls"], 2);  // B's and the one nobody reached
  EXPECT_EQ(all_show["baseline"]["arrivals"], 1);
  EXPECT_FALSE(all_show["baseline"].contains("engine_coverage_pct"));
  EXPECT_EQ(Cell(cells, "*", "*")["baseline"]["calls"], 5);  // not the one after 02:00
  EXPECT_EQ(Cell(cells, "A", "*")["baseline"]["calls"], 3);
}

TEST(WhatIf, ThePageIsSelfContainedAndEscapesThePlansText) {
  OperationPlan plan = Example();
  plan.name = "<script>alert(1)</script>";
  plan.sectors[0].name = "Marina \"Green\" & <b>";
  SimFigures base;
  base.outcomes = {{{37.8065, -122.4375}, At("2026-10-10T16:10:00Z"), 300}};
  nlohmann::json r{{"operation", plan.name},
                   {"venue", plan.venue},
                   {"cells", CompareRuns(plan, base, base)},
                   {"runs", {{"baseline", base.ToJson()}, {"plan", base.ToJson()}}}};
  std::string html = WhatIfHtml(r);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(html.find("Marina &quot;Green&quot; &amp; &lt;b&gt;"), std::string::npos);
  EXPECT_NE(html.find("<svg viewBox="), std::string::npos);
  EXPECT_EQ(html.find("http"), std::string::npos);  // nothing fetched from anywhere
}

}  // namespace
}  // namespace ncc::sim
