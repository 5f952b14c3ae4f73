// Operation plans: the document reader, decide's rules over plans (lifecycle and approvals,
// finish-to-start dependencies, decision points once), the World's snapshot of them, and the
// views (progress, matrix, forms), on the shipped example plan for Marina Green.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "core/commands.h"
#include "plan/activation.h"
#include "plan/plan_document.h"
#include "plan/sitrep.h"
#include "plan/views.h"

namespace ncc::plan {
namespace {

std::string ReadExample() {
  std::ifstream in(std::string(NCC_SOURCE_DIR) + "/config/operations/fleet-week-marina-green.json");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class PlanTest : public ::testing::Test {
 protected:
  CommandContext ctx{"planner", "sffd", Time{1'790'000'000'000}};
  World world;
  std::vector<Event> log;

  StatusOr<Decision> Run(const Command& c, std::string agency = "sffd") {
    ctx.now.ms += 1000;
    ctx.agency = std::move(agency);
    return Execute(c, world, ctx, log);
  }
  uint64_t MustRun(const Command& c, std::string agency = "sffd") {
    auto d = Run(c, std::move(agency));
    EXPECT_TRUE(d.ok()) << d.status().ToString();
    return d.ok() ? d->created_id : 0;
  }
  void ExpectRefused(const Command& c, std::string_view field, std::string_view words,
                     std::string agency = "sffd") {
    auto d = Run(c, std::move(agency));
    ASSERT_FALSE(d.ok());
    EXPECT_EQ(d.status().field(), field) << d.status().ToString();
    EXPECT_NE(d.status().message().find(words), std::string::npos) << d.status().ToString();
  }
  void SetUp() override {
    MustRun(RegisterAgency{{"sffd", "San Francisco Fire Department", "fire"}});
    MustRun(RegisterAgency{{"ems_private", "Private ambulance providers", "ambulance"}});
    MustRun(RegisterAgency{{"sfpd", "San Francisco Police Department", "police"}});
    for (const char* callsign : {"E16", "T16", "E02"})
      MustRun(RegisterUnit{callsign, "sffd", "engine", {"engine"}, "16", LatLon{37.798, -122.436}});
    MustRun(RegisterUnit{"KM09", "ems_private", "ambulance", {"als"}, "", LatLon{37.79, -122.43}});
  }
  OperationPlan Example() {
    auto p = ParsePlanDocument(ReadExample());
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    return p.ok() ? *p : OperationPlan{};
  }
  uint64_t DefineExample() { return MustRun(DefinePlan{Example()}); }
  void ApproveAll(uint64_t id) {
    uint32_t revision = world.FindPlan(id)->revision;
    for (const char* a : {"sffd", "ems_private", "sfpd"}) MustRun(ApprovePlan{id, revision}, a);
  }
  const OperationPlan& Plan(uint64_t id) { return *world.FindPlan(id); }
  const PlanTask& Task(uint64_t id, const char* task) { return *Plan(id).FindTask(task); }
};

TEST_F(PlanTest, TheExampleReadsAndIsAcceptedWhole) {
  uint64_t id = DefineExample();
  ASSERT_EQ(id, 1u);
  const OperationPlan& p = Plan(id);
  EXPECT_EQ(p.status, "draft");
  EXPECT_EQ(p.revision, 1u);
  EXPECT_EQ(p.author, "planner");
  EXPECT_EQ(p.sectors.size(), 3u);
  EXPECT_EQ(p.sectors[0].polygon.size(), 4u);  // the closing vertex is not kept twice
  EXPECT_EQ(p.phases.size(), 3u);
  EXPECT_EQ(Task(id, "F3").status, "held");  // waits for its decision point
  EXPECT_EQ(Task(id, "F1").status, "planned");
  // The document written back reads as the same definition.
  auto again = ReadPlanDocument(PlanDocument(p));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  again->id = p.id;
  MustRun(DefinePlan{*again});
  EXPECT_EQ(Plan(id).revision, 2u);
  EXPECT_EQ(PlanDocument(Plan(id)), PlanDocument(p));
}

TEST_F(PlanTest, ApprovalByEveryParticipantThenActivationThenClose) {
  uint64_t id = DefineExample();
  ExpectRefused(ChangePlanStatus{id, "active", ""}, "to", "only an approved plan");
  MustRun(ApprovePlan{id, 1}, "sffd");
  ExpectRefused(ApprovePlan{id, 1}, "agency", "approved this revision already");
  MustRun(ApprovePlan{id, 1}, "ems_private");
  EXPECT_EQ(Plan(id).status, "draft");  // sfpd has not approved
  // A revision made since resets the approvals; approving what one did not read is refused.
  OperationPlan revised = Plan(id);
  revised.objectives.push_back("Report every lost child within 5 minutes.");
  MustRun(DefinePlan{revised});
  EXPECT_TRUE(Plan(id).approvals.empty());
  ExpectRefused(ApprovePlan{id, 1}, "revision", "at revision 2", "sfpd");
  ApproveAll(id);
  EXPECT_EQ(Plan(id).status, "approved");
  EXPECT_EQ(Plan(id).approvals.size(), 3u);
  MustRun(ChangePlanStatus{id, "active", "gates open"});
  EXPECT_EQ(Plan(id).status, "active");
  // An active plan is no longer revised.
  ExpectRefused(DefinePlan{Plan(id)}, "id", "only a draft or an approved plan");
  MustRun(ChangePlanStatus{id, "closed", "operation over"});
  EXPECT_EQ(Plan(id).status, "closed");
  EXPECT_GT(Plan(id).closed.ms, Plan(id).activated.ms);
}

TEST_F(PlanTest, AnAgencyOutsideThePlanCannotApprove) {
  MustRun(RegisterAgency{{"coast_guard", "Coast Guard", "coast_guard"}});
  uint64_t id = DefineExample();
  ExpectRefused(ApprovePlan{id, 1}, "agency", "does not take part", "coast_guard");
}

TEST_F(PlanTest, ATaskWaitsForItsPredecessorsUnlessOverriddenWithAReason) {
  uint64_t id = DefineExample();
  ApproveAll(id);
  ExpectRefused(ChangePlanTask{id, "F1", "in_progress", ""}, "id", "not active");
  MustRun(ChangePlanStatus{id, "active", ""});
  ExpectRefused(ChangePlanTask{id, "F1", "in_progress", ""}, "after", "task P1 has not ended");
  // Only the task's owner agency (or the plan's) changes it.
  ExpectRefused(ChangePlanTask{id, "P1", "in_progress", ""}, "task", "", "ems_private");
  MustRun(ChangePlanTask{id, "F1", "in_progress", "road closed early by CHP"});
  EXPECT_EQ(Task(id, "F1").status, "in_progress");
  EXPECT_EQ(Task(id, "F1").override_reason, "road closed early by CHP");
  MustRun(ChangePlanTask{id, "P1", "in_progress", ""}, "sfpd");
  MustRun(CheckPlanTask{id, "P1", 0, true}, "sfpd");
  EXPECT_TRUE(Task(id, "P1").checklist[0].done);
  ExpectRefused(CheckPlanTask{id, "P1", 0, true}, "done", "ticked already", "sfpd");
  ExpectRefused(CheckPlanTask{id, "P1", 9, true}, "item", "has 3 items", "sfpd");
  MustRun(ChangePlanTask{id, "P1", "done", ""}, "sfpd");
  MustRun(ChangePlanTask{id, "P2", "in_progress", ""}, "sfpd");  // P1 ended: no reason needed
  ExpectRefused(ChangePlanTask{id, "P1", "in_progress", ""}, "to", "task is done", "sfpd");
}

TEST_F(PlanTest, ADecisionPointFiresOnceAndOpensItsTasks) {
  uint64_t id = DefineExample();
  ApproveAll(id);
  MustRun(ChangePlanStatus{id, "active", ""});
  ExpectRefused(ChangePlanTask{id, "F3", "in_progress", ""}, "task",
                "waits for decision point crowd-A");
  MustRun(FireDecisionPoint{id, "crowd-A", world.last_seq().value, "alarm 7 cctv"});
  EXPECT_EQ(Task(id, "F3").status, "planned");
  ExpectRefused(FireDecisionPoint{id, "crowd-A", 0, ""}, "point", "fired already");
  // A point waiting for a phase fires with it, in the same decision, and never again.
  MustRun(ChangePlanPhase{id, "dispersal", "started"});
  EXPECT_EQ(Task(id, "M3").status, "planned");
  ExpectRefused(FireDecisionPoint{id, "dispersal-sweep", 0, ""}, "point", "fired already");
  ExpectRefused(ChangePlanPhase{id, "dispersal", "started"}, "to", "started already");
  size_t fired = 0;
  for (const Event& e : log) fired += std::holds_alternative<DecisionPointFired>(e.body);
  EXPECT_EQ(fired, 2u);
  // Replaying the log gives the same plans, byte for byte (so a restart fires nothing again).
  World replayed;
  for (const Event& e : log) replayed.Apply(e);
  EXPECT_EQ(replayed.Digest(), world.Digest());
  auto restored = World::Deserialize(world.Serialize());
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ(restored->Digest(), world.Digest());
  EXPECT_TRUE(restored->FindPlan(id)->decision_points[0].fired.ms);
}

TEST_F(PlanTest, DeadlinesEscalateOnceWhenPassedUnfinished) {
  uint64_t id = DefineExample();
  ApproveAll(id);
  MustRun(ChangePlanStatus{id, "active", ""});
  ExpectRefused(EscalatePlanTask{id, "P1"}, "task", "not overdue");
  ctx.now = Time{Task(id, "P1").deadline.ms + 60'000};
  MustRun(EscalatePlanTask{id, "P1"});
  EXPECT_TRUE(Task(id, "P1").escalated.ms);
  ExpectRefused(EscalatePlanTask{id, "P1"}, "task", "escalated already");
  EXPECT_TRUE(IsLate(Task(id, "P1"), ctx.now));
}

TEST_F(PlanTest, BadDefinitionsAreRefusedNamingTheField) {
  std::string doc = ReadExample();
  auto refuse = [&](std::string edited, std::string_view field, std::string_view words) {
    auto p = ParsePlanDocument(edited);
    Status s = p.ok() ? Status::Ok() : p.status();
    if (p.ok()) {
      auto d = Run(DefinePlan{*p});
      s = d.ok() ? Status::Ok() : d.status();
    }
    ASSERT_FALSE(s.ok()) << "accepted: " << field;
    EXPECT_EQ(s.field(), field) << s.ToString();
    EXPECT_NE(s.message().find(words), std::string::npos) << s.ToString();
  };
  auto with = [&](std::string_view from, std::string_view to) {
    std::string s = doc;
    size_t at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return s.replace(at, from.size(), to);
  };
  refuse(with("\"venue\"", "\"vnue\""), "vnue", "unknown field");
  refuse(with("\"after\": [\"P1\"]}", "\"after\": [\"P9\"]}"), "tasks[1].after[0]", "no task P9");
  refuse(with("\"agency\": \"sfpd\", \"team\": \"traffic unit\", \"sector\": \"A\", \"phase\": "
              "\"arrival\"",
              "\"agency\": \"coast\", \"team\": \"traffic unit\", \"sector\": \"A\", \"phase\": "
              "\"arrival\""),
         "tasks[0].agency", "does not take part");
  refuse(with("\"unit\": \"E16\", \"sector\": \"A\"", "\"unit\": \"E99\", \"sector\": \"A\""),
         "tasks[1].unit", "no unit E99 in sffd");
  refuse(with("\"type\": \"Polygon\"", "\"type\": \"Point\""), "sectors[0].polygon",
         "GeoJSON Polygon");
  refuse(with("[[[-122.4425, 37.8052], [-122.4330, 37.8052], [-122.4330, 37.8082], [-122.4425, "
              "37.8082], [-122.4425, 37.8052]]]",
              "[[[-122.4425, 37.8052], [-122.4330, 37.8052]]]"),
         "sectors[0].polygon", "3 to 1000 vertices");
  refuse(with("\"id\": \"P1\", \"title\"", "\"id\": \"P1\", \"after\": [\"P3\"], \"title\""),
         "tasks[0].after", "depends on itself");
  refuse(with("\"opened_by\": \"crowd-A\"", "\"opened_by\": \"nobody\""), "tasks[6].opened_by",
         "no decision point nobody");
  refuse(with("\"when\": \"alarm\"", "\"when\": \"sometimes\""), "decision_points[0].when",
         "must be alarm, phase_started or incidents");
  refuse(with("\"end\": \"2026-10-11T02:00:00Z\",\n  \"agency\"",
              "\"end\": \"2026-10-09T02:00:00Z\",\n  \"agency\""),
         "end", "ends before it starts");
  refuse("[1]", "", "JSON object");
  refuse("{\"name\": \"x\", \"tasks\": [7]}", "tasks[0]", "must be an object");
}

TEST_F(PlanTest, ProgressNamesPostingsNotMet) {
  uint64_t id = DefineExample();
  ApproveAll(id);
  MustRun(ChangePlanStatus{id, "active", ""});
  MustRun(ChangePlanPhase{id, "arrival", "started"});
  Progress g = MeasureProgress(Plan(id), world, ctx.now);
  EXPECT_EQ(g.phase, "arrival");
  ASSERT_EQ(g.gaps.size(), 2u);  // E16 and KM09 stand at quarters, not at their posts
  EXPECT_EQ(g.gaps[0].unit, "E16");
  EXPECT_NE(g.gaps[0].why.find("from its post, outside sector A"), std::string::npos);
  UnitId e16 = world.FindUnitByCallsign("sffd", "E16")->id;
  MustRun(ReportPositions{{{e16, {37.8063, -122.4376}, ctx.now, 0, 0}}});
  g = MeasureProgress(Plan(id), world, ctx.now);
  ASSERT_EQ(g.gaps.size(), 1u);
  EXPECT_EQ(g.gaps[0].unit, "KM09");
  EXPECT_EQ(g.blocked, (std::vector<std::string>{"F1", "P2", "M2", "P3", "F4"}));
}

TEST_F(PlanTest, CoverageShowsTheDuePhasesPostingsNotMetAsMoveUps) {
  uint64_t id = DefineExample();
  ApproveAll(id);
  EXPECT_TRUE(PlanCoverageJson(Plan(id), world).empty());  // not active yet
  MustRun(ChangePlanStatus{id, "active", ""});
  // Before any phase started: the first phase's postings, one zone per sector.
  nlohmann::json zones = PlanCoverageJson(Plan(id), world);
  ASSERT_EQ(zones.size(), 2u);
  EXPECT_EQ(zones[0]["zone"], PostingZone(Plan(id), "A", "arrival"));
  EXPECT_EQ(zones[0]["phase"], "arrival");
  EXPECT_EQ(zones[0]["plan"], id);
  EXPECT_EQ(zones[0]["move_ups"].size(), 1u);
  EXPECT_EQ(zones[0]["move_ups"][0]["callsign"], "E16");
  EXPECT_TRUE(zones[0]["move_ups"][0]["from"].is_object());
  EXPECT_EQ(zones[0]["polygon"].size(), 5u);
  // A reader who may not see the unit gets the move-up without its position.
  nlohmann::json hidden = PlanCoverageJson(Plan(id), world, [](const Unit&) { return false; });
  EXPECT_TRUE(hidden[0]["move_ups"][0]["from"].is_null());
  // E16 at its post: met, no move-up, the zone at its target.
  UnitId e16 = world.FindUnitByCallsign("sffd", "E16")->id;
  MustRun(ReportPositions{{{e16, {37.8063, -122.4376}, ctx.now, 0, 0}}});
  zones = PlanCoverageJson(Plan(id), world);
  EXPECT_TRUE(zones[0]["move_ups"].empty());
  EXPECT_EQ(zones[0]["fraction"], 1.0);
  EXPECT_FALSE(zones[0]["below_target"]);
  // The show running: its postings instead; closed: none.
  MustRun(ChangePlanPhase{id, "arrival", "started"});
  MustRun(ChangePlanPhase{id, "arrival", "ended"});
  MustRun(ChangePlanPhase{id, "show", "started"});
  zones = PlanCoverageJson(Plan(id), world);
  ASSERT_FALSE(zones.empty());
  for (const auto& z : zones) EXPECT_EQ(z["phase"], "show");
  MustRun(ChangePlanStatus{id, "closed", ""});
  EXPECT_TRUE(PlanCoverageJson(Plan(id), world).empty());
}

TEST_F(PlanTest, PlanAndReportReadsAreRecordedUnderTheirLabels) {
  uint64_t id = DefineExample();
  auto d = Run(RecordAccess{{}, "GET /api/v1/operations/{id}", {}, {}, {id}, {}}, "sfpd");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  const Event& read = log.back();
  const auto* body = std::get_if<RecordsRead>(&read.body);
  ASSERT_NE(body, nullptr);
  EXPECT_EQ(body->records, (std::vector<std::string>{"plan:" + std::to_string(id)}));
  EXPECT_EQ(read.meta.agency, "sffd");  // the plan's agency: its audit readers see it
  EXPECT_EQ(read.meta.classification, Classification::kRestricted);
  ExpectRefused(RecordAccess{{}, "x", {}, {}, {999}, {}}, "plans", "no plan 999");
  ExpectRefused(RecordAccess{{}, "x", {}, {}, {}, {999}}, "sitreps", "no situation report 999");
}

TEST_F(PlanTest, TheMatrixHasPhasesAsColumnsAndAgenciesAsRows) {
  OperationPlan p = Example();
  p.tasks[0].title = "<script>alert(1)</script> close the lane";
  uint64_t id = MustRun(DefinePlan{p});
  SyncMatrix m = BuildMatrix(Plan(id));
  EXPECT_EQ(m.rows, (std::vector<std::string>{"sffd", "ems_private", "sfpd"}));
  EXPECT_EQ(m.columns, (std::vector<std::string>{"arrival", "show", "dispersal"}));
  EXPECT_EQ(m.cells[2][0].size(), 1u);  // sfpd in arrival: P1
  EXPECT_EQ(m.cells[0][1].size(), 2u);  // sffd in the show: F2, F3
  auto json = MatrixJson(Plan(id), ctx.now);
  EXPECT_EQ(json["rows"][2]["cells"][0]["next_deadline"], "2026-10-10T16:00:00.000Z");
  std::string html = MatrixHtml(Plan(id), world, ctx.now);
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;"), std::string::npos);
  EXPECT_NE(html.find("San Francisco Police Department"), std::string::npos);
  std::string forms = FormsHtml(Plan(id), world, ctx.now);
  for (const char* part : {"ICS 202", "ICS 203", "ICS 204", "Sector A — Marina Green", "KM09"})
    EXPECT_NE(forms.find(part), std::string::npos) << part;
}

TEST_F(PlanTest, ANewPlanCopiesATemplate) {
  OperationPlan t = Example();
  t.is_template = true;
  t.start = t.end = Time{};
  uint64_t tid = MustRun(DefinePlan{t});
  ExpectRefused(ChangePlanStatus{tid, "active", ""}, "id", "template is never activated");
  OperationPlan copy = Plan(tid);
  copy.id = 0;
  copy.is_template = false;
  copy.template_of = tid;
  copy.start = Example().start;
  copy.end = Example().end;
  uint64_t id = MustRun(DefinePlan{copy});
  EXPECT_EQ(Plan(id).template_of, tid);
  copy.template_of = id;  // not a template
  copy.id = 0;
  ExpectRefused(DefinePlan{copy}, "template_of", "no template");
}

TEST_F(PlanTest, ASituationReportIsTheAuthorsUntilApprovedThenFinal) {
  SitRep r;
  r.title = "Fleet Week 14:00";
  r.shared_with = {"sfpd"};
  r.at = ctx.now;
  uint64_t id = MustRun(DraftSitRep{r});
  const SitRep& s = *world.FindSitRep(id);
  EXPECT_EQ(s.agency, "sffd");
  EXPECT_EQ(s.revision, 1u);
  EXPECT_EQ(s.status, "draft");
  SitRep edit = s;
  edit.narrative = "Sector B short of a medic.";
  MustRun(DraftSitRep{edit});
  EXPECT_EQ(world.FindSitRep(id)->revision, 2u);
  ExpectRefused(DraftSitRep{edit}, "id", "sffd's", "sfpd");
  ExpectRefused(ApproveSitRep{id, 1}, "revision", "at revision 2");
  MustRun(ApproveSitRep{id, 2});
  EXPECT_EQ(world.FindSitRep(id)->status, "approved");
  EXPECT_EQ(world.FindSitRep(id)->approved_by, "planner");
  ExpectRefused(DraftSitRep{*world.FindSitRep(id)}, "id", "approved");
  SitRep bad = r;
  bad.shared_with = {"sffd"};
  ExpectRefused(DraftSitRep{bad}, "shared_with[0]", "your own agency");
  bad.shared_with = {"nobody"};
  ExpectRefused(DraftSitRep{bad}, "shared_with[0]", "no agency nobody");
  bad = r;
  bad.at = Time{ctx.now.ms + 3'600'000};
  ExpectRefused(DraftSitRep{bad}, "at", "after now");
  auto restored = World::Deserialize(world.Serialize());
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ(restored->Digest(), world.Digest());
}

TEST_F(PlanTest, SitRepFiguresCountWhatTheFilterPassesPerSector) {
  uint64_t id = DefineExample();
  MustRun(CreateIncident{"fire.grass", 1, {37.8066, -122.4376}, "Marina Green", "", "grass fire"});
  MustRun(CreateIncident{"medical.fall", 2, {37.8060, -122.4300}, "Fort Mason", "", "fall"});
  MustRun(CreateIncident{"medical.fall", 3, {37.7900, -122.4000}, "Downtown", "", "fall"}, "sfpd");
  SitRepFilter all{[](const Incident&) { return true; }, [](const Unit&) { return true; },
                   [](const OperationPlan&) { return true; }};
  auto f = SitRepFigures(world, ctx.now, id, all);
  EXPECT_EQ(f["incidents"]["open"], 3);
  EXPECT_EQ(f["incidents"]["by_sector"]["A"], 1);
  EXPECT_EQ(f["incidents"]["by_sector"]["B"], 1);
  EXPECT_EQ(f["incidents"]["by_sector"]["outside"], 1);
  EXPECT_EQ(f["units"]["sffd"]["available"], 3);
  EXPECT_EQ(f["significant"].size(), 1u);  // the priority-1 grass fire
  EXPECT_EQ(f["plan"]["id"], id);
  SitRepFilter fire_only = all;
  fire_only.incident = [](const Incident& i) { return i.agency == "sffd"; };
  fire_only.unit = [](const Unit& u) { return u.agency == "sffd"; };
  fire_only.plan = [](const OperationPlan&) { return false; };
  f = SitRepFigures(world, ctx.now, id, fire_only);
  EXPECT_EQ(f["incidents"]["open"], 2);
  EXPECT_FALSE(f.contains("plan"));
  EXPECT_FALSE(f["units"].contains("ems_private"));
  // The page shows the figures and the narrative as text.
  SitRep r;
  r.title = "Fleet Week <14:00>";
  r.agency = "sffd";
  r.narrative = "All sectors staffed.\n<script>x</script>";
  r.figures = SitRepFigures(world, ctx.now, id, all).dump();
  std::string html = SitRepHtml(r, world);
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;"), std::string::npos);
  EXPECT_NE(html.find("Fleet Week &lt;14:00&gt;"), std::string::npos);
  EXPECT_NE(html.find("<td>sffd</td><td>3</td>"), std::string::npos);
  EXPECT_EQ(SitRepJson(r)["figures"]["incidents"]["open"], 3);
}

}  // namespace
}  // namespace ncc::plan
