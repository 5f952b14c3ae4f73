#include "plan/plan_document.h"

#include "core/commands.h"
#include "core/json_writer.h"
#include "input/json_body.h"

namespace ncc::plan {
namespace {

using nlohmann::json;

constexpr size_t kKey = 64;

Time TimeOr0(const std::optional<Time>& t) {
  return t.value_or(Time{});
}

// GeoJSON Polygon with one ring; the closing vertex is dropped.
std::vector<LatLon> ReadPolygon(const json* g, const std::string& field, Status& bad) {
  std::vector<LatLon> ring;
  auto fail = [&](std::string why) {
    if (bad.ok()) bad = Malformed(std::move(why), field);
    return std::vector<LatLon>{};
  };
  if (!g) return ring;
  if (!g->is_object() || g->value("type", "") != "Polygon" || !g->contains("coordinates"))
    return fail("must be a GeoJSON Polygon geometry");
  const json& rings = (*g)["coordinates"];
  if (!rings.is_array() || rings.size() != 1)
    return fail("must hold exactly one ring (sectors have no holes)");
  const json& points = rings[0];
  if (!points.is_array() || points.size() > Limits::kSectorVertices + 1)
    return fail("the ring must be an array of at most " + std::to_string(Limits::kSectorVertices) +
                " positions");
  for (size_t k = 0; k < points.size(); ++k) {
    const json& p = points[k];
    if (!p.is_array() || p.size() < 2 || !p[0].is_number() || !p[1].is_number())
      return fail("position " + std::to_string(k) + " must be [lon, lat]");
    ring.push_back({p[1].get<double>(), p[0].get<double>()});
  }
  if (ring.size() > 1 && ring.front() == ring.back()) ring.pop_back();
  return ring;
}

json GeoJsonPolygon(const std::vector<LatLon>& ring) {
  json points = json::array();
  for (const LatLon& p : ring) points.push_back({p.lon, p.lat});
  if (!ring.empty()) points.push_back({ring.front().lon, ring.front().lat});
  return {{"type", "Polygon"}, {"coordinates", json::array({points})}};
}

void ReadSectors(FieldReader& f, OperationPlan& p, Status& bad) {
  for (auto& [item, path] : f.Objects("sectors", Limits::kPlanSectors)) {
    FieldReader s(*item, {"id", "name", "polygon"}, path);
    PlanSector& sector = p.sectors.emplace_back();
    sector.id = s.String("id", true, kKey);
    sector.name = s.String("name", true, Limits::kShortText);
    const json* polygon = s.Raw("polygon", true);
    if (!s.ok()) return void(bad = s.status());
    sector.polygon = ReadPolygon(polygon, path + ".polygon", bad);
  }
}

void ReadPhases(FieldReader& f, OperationPlan& p, Status& bad) {
  for (auto& [item, path] : f.Objects("phases", Limits::kPlanPhases)) {
    FieldReader r(*item, {"id", "name", "start", "end", "trigger"}, path);
    PlanPhase& ph = p.phases.emplace_back();
    ph.id = r.String("id", true, kKey);
    ph.name = r.String("name", true, Limits::kShortText);
    ph.start = TimeOr0(r.Timestamp("start", false));
    ph.end = TimeOr0(r.Timestamp("end", false));
    ph.trigger = r.String("trigger", false, Limits::kSummary);
    if (!r.ok()) return void(bad = r.status());
  }
}

void ReadTasks(FieldReader& f, OperationPlan& p, Status& bad) {
  for (auto& [item, path] : f.Objects("tasks", Limits::kPlanTasks)) {
    FieldReader r(*item,
                  {"id", "title", "agency", "unit", "team", "sector", "phase", "start", "deadline",
                   "after", "checklist", "opened_by"},
                  path);
    PlanTask& t = p.tasks.emplace_back();
    t.id = r.String("id", true, kKey);
    t.title = r.String("title", true, Limits::kShortText);
    t.agency = r.String("agency", true, kKey);
    t.unit = r.String("unit", false, Limits::kShortText);
    t.team = r.String("team", false, Limits::kShortText);
    t.sector = r.String("sector", false, kKey);
    t.phase = r.String("phase", false, kKey);
    t.start = TimeOr0(r.Timestamp("start", false));
    t.deadline = TimeOr0(r.Timestamp("deadline", false));
    t.after = r.Strings("after", Limits::kTaskPredecessors, kKey);
    for (std::string& text : r.Strings("checklist", Limits::kTaskChecklist, Limits::kShortText))
      t.checklist.push_back({std::move(text)});
    t.opened_by = r.String("opened_by", false, kKey);
    if (!r.ok()) return void(bad = r.status());
  }
}

void ReadPostings(FieldReader& f, OperationPlan& p, Status& bad) {
  for (auto& [item, path] : f.Objects("postings", Limits::kPlanPostings)) {
    FieldReader r(*item, {"sector", "phase", "agency", "unit", "post"}, path);
    PlanPosting& x = p.postings.emplace_back();
    x.sector = r.String("sector", true, kKey);
    x.phase = r.String("phase", true, kKey);
    x.agency = r.String("agency", true, kKey);
    x.unit = r.String("unit", true, Limits::kShortText);
    x.post = r.Location("post", true).value_or(LatLon{});
    if (!r.ok()) return void(bad = r.status());
  }
}

void ReadPoints(FieldReader& f, OperationPlan& p, Status& bad) {
  for (auto& [item, path] : f.Objects("decision_points", Limits::kPlanDecisionPoints)) {
    FieldReader r(*item, {"id", "name", "when", "sector", "value", "count", "opens"}, path);
    DecisionPoint& d = p.decision_points.emplace_back();
    d.id = r.String("id", true, kKey);
    d.name = r.String("name", true, Limits::kShortText);
    d.when = r.String("when", true, 32);
    d.sector = r.String("sector", false, kKey);
    d.value = r.String("value", false, kKey);
    d.count = static_cast<int32_t>(
        std::clamp<int64_t>(r.Integer("count", false).value_or(1), -1, 1 << 30));
    d.opens = r.Strings("opens", Limits::kPlanTasks, kKey);
    if (!r.ok()) return void(bad = r.status());
  }
}

}  // namespace

StatusOr<OperationPlan> ReadPlanDocument(const json& document) {
  if (!document.is_object()) return Malformed("a plan document is a JSON object", "");
  FieldReader f(document, {"name", "event_type", "venue", "start", "end", "agency", "agencies",
                           "classification", "objectives", "sectors", "phases", "tasks", "postings",
                           "decision_points", "is_template"});
  OperationPlan p;
  p.name = f.String("name", true, Limits::kShortText);
  p.event_type = f.String("event_type", false, kKey);
  p.venue = f.String("venue", false, Limits::kShortText);
  p.start = TimeOr0(f.Timestamp("start", false));
  p.end = TimeOr0(f.Timestamp("end", false));
  p.agency = f.String("agency", false, kKey);
  p.agencies = f.Strings("agencies", Limits::kPlanAgencies, kKey);
  std::string label = f.String("classification", false, 32);
  p.objectives = f.Strings("objectives", Limits::kPlanObjectives, Limits::kSummary);
  p.is_template = f.Bool("is_template", false).value_or(false);
  Status bad;
  if (f.ok()) ReadSectors(f, p, bad);
  if (f.ok() && bad.ok()) ReadPhases(f, p, bad);
  if (f.ok() && bad.ok()) ReadTasks(f, p, bad);
  if (f.ok() && bad.ok()) ReadPostings(f, p, bad);
  if (f.ok() && bad.ok()) ReadPoints(f, p, bad);
  if (!f.ok()) return f.status();
  if (!bad.ok()) return bad;
  if (!label.empty()) {
    auto c = ParseClassification(label);
    if (!c)
      return Malformed("must be public, restricted, confidential or secret", "classification");
    p.classification = *c;
  }
  return p;
}

StatusOr<OperationPlan> ParsePlanDocument(std::string_view text) {
  auto parsed = ParseJsonBody(text);
  if (!parsed.ok()) return AsMalformed(parsed.status());
  return ReadPlanDocument(*parsed);
}

json PlanDocument(const OperationPlan& p) {
  auto time = [](Time t) { return t.ms ? json(FormatTime(t)) : json(nullptr); };
  json doc = {{"name", p.name},
              {"event_type", p.event_type},
              {"venue", p.venue},
              {"start", time(p.start)},
              {"end", time(p.end)},
              {"agency", p.agency},
              {"agencies", p.agencies},
              {"classification", Name(p.classification)},
              {"objectives", p.objectives},
              {"is_template", p.is_template}};
  json& sectors = doc["sectors"] = json::array();
  for (const PlanSector& s : p.sectors)
    sectors.push_back({{"id", s.id}, {"name", s.name}, {"polygon", GeoJsonPolygon(s.polygon)}});
  json& phases = doc["phases"] = json::array();
  for (const PlanPhase& ph : p.phases)
    phases.push_back({{"id", ph.id},
                      {"name", ph.name},
                      {"start", time(ph.start)},
                      {"end", time(ph.end)},
                      {"trigger", ph.trigger}});
  json& tasks = doc["tasks"] = json::array();
  for (const PlanTask& t : p.tasks) {
    json checklist = json::array();
    for (const ChecklistItem& c : t.checklist) checklist.push_back(c.text);
    tasks.push_back({{"id", t.id},
                     {"title", t.title},
                     {"agency", t.agency},
                     {"unit", t.unit},
                     {"team", t.team},
                     {"sector", t.sector},
                     {"phase", t.phase},
                     {"start", time(t.start)},
                     {"deadline", time(t.deadline)},
                     {"after", t.after},
                     {"checklist", checklist},
                     {"opened_by", t.opened_by}});
  }
  json& postings = doc["postings"] = json::array();
  for (const PlanPosting& x : p.postings)
    postings.push_back({{"sector", x.sector},
                        {"phase", x.phase},
                        {"agency", x.agency},
                        {"unit", x.unit},
                        {"post", {{"lat", x.post.lat}, {"lon", x.post.lon}}}});
  json& points = doc["decision_points"] = json::array();
  for (const DecisionPoint& d : p.decision_points)
    points.push_back({{"id", d.id},
                      {"name", d.name},
                      {"when", d.when},
                      {"sector", d.sector},
                      {"value", d.value},
                      {"count", d.count},
                      {"opens", d.opens}});
  return doc;
}

json PlanJson(const OperationPlan& p) {
  json out = JsonWriter::ToJson(p);
  for (size_t k = 0; k < p.sectors.size(); ++k)
    out["sectors"][k]["polygon"] = GeoJsonPolygon(p.sectors[k].polygon);
  return out;
}

}  // namespace ncc::plan
