// decide for operation plans: definitions are checked whole (every reference resolves, no
// dependency cycle, one owner per task), and the lifecycle and task rules of
// core/operation_plan.h hold. Pure, like decide.cc.
#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <set>

#include "core/decide_internal.h"

namespace ncc {
namespace {

std::string At(const std::string& list, size_t k) {
  return list + "[" + std::to_string(k) + "]";
}

// Keys of sectors, phases, tasks and points: "A", "north-gate", "T1.2".
Status CheckKey(const std::string& value, const std::string& field) {
  NCC_RETURN_IF_ERROR(CheckText(value, 64, field, true));
  for (char c : value)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-')
      return InvalidArgument("must use only letters, digits, '.', '_' and '-'", field);
  return Status::Ok();
}

template <typename T>
Status CheckCount(const std::vector<T>& list, size_t max, const std::string& field) {
  if (list.size() <= max) return Status::Ok();
  return InvalidArgument("at most " + std::to_string(max) + " entries", field);
}

// Unique keys of one list (ids of sectors, phases, tasks or points).
template <typename T>
StatusOr<std::set<std::string>> Keys(const std::vector<T>& list, const std::string& field) {
  std::set<std::string> keys;
  for (size_t k = 0; k < list.size(); ++k) {
    NCC_RETURN_IF_ERROR(CheckKey(list[k].id, At(field, k) + ".id"));
    if (!keys.insert(list[k].id).second)
      return InvalidArgument("id " + list[k].id + " is used twice", At(field, k) + ".id");
  }
  return keys;
}

Status CheckRef(const std::set<std::string>& keys, const std::string& value, bool required,
                const std::string& what, const std::string& field) {
  if (value.empty() && !required) return Status::Ok();
  if (keys.count(value)) return Status::Ok();
  return NotFound(
      value.empty() ? "must name a " + what : "no " + what + " " + value + " in the plan", field);
}

Status CheckPeriod(Time start, Time end, const std::string& field) {
  if (start.ms && end.ms && end < start)
    return InvalidArgument("ends before it starts", field.empty() ? "end" : field + ".end");
  return Status::Ok();
}

Status CheckSectors(const OperationPlan& p) {
  NCC_RETURN_IF_ERROR(CheckCount(p.sectors, Limits::kPlanSectors, "sectors"));
  for (size_t k = 0; k < p.sectors.size(); ++k) {
    const PlanSector& s = p.sectors[k];
    const std::string field = At("sectors", k);
    NCC_RETURN_IF_ERROR(CheckText(s.name, Limits::kShortText, field + ".name", true));
    if (s.polygon.size() < 3 || s.polygon.size() > Limits::kSectorVertices)
      return InvalidArgument(
          "a polygon needs 3 to " + std::to_string(Limits::kSectorVertices) + " vertices",
          field + ".polygon");
    for (size_t v = 0; v < s.polygon.size(); ++v)
      NCC_RETURN_IF_ERROR(ValidateLatLon(s.polygon[v], At(field + ".polygon", v)));
  }
  return Status::Ok();
}

Status CheckPhases(const OperationPlan& p) {
  NCC_RETURN_IF_ERROR(CheckCount(p.phases, Limits::kPlanPhases, "phases"));
  if (p.phases.empty() && !p.is_template)
    return InvalidArgument("a plan needs at least one phase", "phases");
  for (size_t k = 0; k < p.phases.size(); ++k) {
    const PlanPhase& ph = p.phases[k];
    NCC_RETURN_IF_ERROR(CheckText(ph.name, Limits::kShortText, At("phases", k) + ".name", true));
    NCC_RETURN_IF_ERROR(
        CheckText(ph.trigger, Limits::kSummary, At("phases", k) + ".trigger", false));
    NCC_RETURN_IF_ERROR(CheckPeriod(ph.start, ph.end, At("phases", k)));
  }
  return Status::Ok();
}

// A participant's unit, by callsign (empty: none named).
Status CheckUnit(const World& w, const std::string& agency, const std::string& callsign,
                 const std::string& field) {
  if (callsign.empty() || w.FindUnitByCallsign(agency, callsign)) return Status::Ok();
  return NotFound("no unit " + callsign + " in " + agency, field);
}

// Finish-to-start dependencies must not loop: a depth-first walk that meets a task on its own
// path names the task that closes the loop.
Status CheckNoCycle(const OperationPlan& p) {
  std::map<std::string, size_t> index;
  for (size_t k = 0; k < p.tasks.size(); ++k) index[p.tasks[k].id] = k;
  std::vector<int> state(p.tasks.size(), 0);  // 0 new, 1 on the path, 2 done
  std::function<Status(size_t)> visit = [&](size_t k) -> Status {
    if (state[k] == 2) return Status::Ok();
    if (state[k] == 1)
      return InvalidArgument(
          "task " + p.tasks[k].id + " depends on itself through its predecessors",
          At("tasks", k) + ".after");
    state[k] = 1;
    for (const std::string& before : p.tasks[k].after) NCC_RETURN_IF_ERROR(visit(index.at(before)));
    state[k] = 2;
    return Status::Ok();
  };
  for (size_t k = 0; k < p.tasks.size(); ++k) NCC_RETURN_IF_ERROR(visit(k));
  return Status::Ok();
}

struct PlanKeys {
  std::set<std::string> sectors, phases, tasks, points, agencies;
};

Status CheckTask(const OperationPlan& p, size_t k, const PlanKeys& keys, const World& w) {
  const PlanTask& t = p.tasks[k];
  const std::string field = At("tasks", k);
  NCC_RETURN_IF_ERROR(CheckText(t.title, Limits::kShortText, field + ".title", true));
  NCC_RETURN_IF_ERROR(CheckText(t.team, Limits::kShortText, field + ".team", false));
  if (!keys.agencies.count(t.agency))
    return InvalidArgument(t.agency.empty() ? "must name the owner agency"
                                            : t.agency + " does not take part in the plan",
                           field + ".agency");
  NCC_RETURN_IF_ERROR(CheckUnit(w, t.agency, t.unit, field + ".unit"));
  NCC_RETURN_IF_ERROR(CheckRef(keys.sectors, t.sector, false, "sector", field + ".sector"));
  NCC_RETURN_IF_ERROR(CheckRef(keys.phases, t.phase, !p.is_template, "phase", field + ".phase"));
  if (t.start.ms && t.deadline.ms && t.deadline < t.start)
    return InvalidArgument("is before the task's start", field + ".deadline");
  NCC_RETURN_IF_ERROR(CheckCount(t.after, Limits::kTaskPredecessors, field + ".after"));
  for (size_t a = 0; a < t.after.size(); ++a)
    NCC_RETURN_IF_ERROR(CheckRef(keys.tasks, t.after[a], true, "task", At(field + ".after", a)));
  NCC_RETURN_IF_ERROR(CheckCount(t.checklist, Limits::kTaskChecklist, field + ".checklist"));
  for (size_t c = 0; c < t.checklist.size(); ++c)
    NCC_RETURN_IF_ERROR(CheckText(t.checklist[c].text, Limits::kShortText,
                                  At(field + ".checklist", c) + ".text", true));
  return CheckRef(keys.points, t.opened_by, false, "decision point", field + ".opened_by");
}

Status CheckPostings(const OperationPlan& p, const PlanKeys& keys, const World& w) {
  NCC_RETURN_IF_ERROR(CheckCount(p.postings, Limits::kPlanPostings, "postings"));
  for (size_t k = 0; k < p.postings.size(); ++k) {
    const PlanPosting& x = p.postings[k];
    const std::string field = At("postings", k);
    NCC_RETURN_IF_ERROR(CheckRef(keys.sectors, x.sector, true, "sector", field + ".sector"));
    NCC_RETURN_IF_ERROR(CheckRef(keys.phases, x.phase, true, "phase", field + ".phase"));
    if (!keys.agencies.count(x.agency))
      return InvalidArgument(x.agency + " does not take part in the plan", field + ".agency");
    if (x.unit.empty()) return InvalidArgument("must name a unit", field + ".unit");
    NCC_RETURN_IF_ERROR(CheckUnit(w, x.agency, x.unit, field + ".unit"));
    NCC_RETURN_IF_ERROR(ValidateLatLon(x.post, field + ".post"));
  }
  return Status::Ok();
}

Status CheckPoints(const OperationPlan& p, const PlanKeys& keys) {
  std::map<std::string, std::string> opener;  // task -> the point that opens it
  for (size_t k = 0; k < p.decision_points.size(); ++k) {
    const DecisionPoint& d = p.decision_points[k];
    const std::string field = At("decision_points", k);
    NCC_RETURN_IF_ERROR(CheckText(d.name, Limits::kShortText, field + ".name", true));
    if (d.when == "phase_started") {
      NCC_RETURN_IF_ERROR(CheckRef(keys.phases, d.value, true, "phase", field + ".value"));
    } else if (d.when == "alarm" || d.when == "incidents") {
      NCC_RETURN_IF_ERROR(CheckRef(keys.sectors, d.sector, true, "sector", field + ".sector"));
      if (d.when == "alarm") NCC_RETURN_IF_ERROR(CheckCode(d.value, 64, field + ".value"));
      if (d.when == "incidents" && (d.count < 1 || d.count > 10000))
        return InvalidArgument("must be 1 to 10000", field + ".count");
    } else {
      return InvalidArgument("must be alarm, phase_started or incidents", field + ".when");
    }
    if (d.opens.empty()) return InvalidArgument("must open at least one task", field + ".opens");
    for (size_t o = 0; o < d.opens.size(); ++o) {
      NCC_RETURN_IF_ERROR(CheckRef(keys.tasks, d.opens[o], true, "task", At(field + ".opens", o)));
      if (p.FindTask(d.opens[o])->opened_by != d.id)
        return InvalidArgument("task " + d.opens[o] + " must say opened_by " + d.id,
                               At(field + ".opens", o));
      if (!opener.emplace(d.opens[o], d.id).second)
        return InvalidArgument("task " + d.opens[o] + " is opened by two points",
                               At(field + ".opens", o));
    }
  }
  for (size_t k = 0; k < p.tasks.size(); ++k)
    if (!p.tasks[k].opened_by.empty() && !opener.count(p.tasks[k].id))
      return InvalidArgument("decision point " + p.tasks[k].opened_by + " does not list this task",
                             At("tasks", k) + ".opened_by");
  return Status::Ok();
}

Status CheckHeader(const OperationPlan& p, const World& w, PlanKeys& keys) {
  NCC_RETURN_IF_ERROR(CheckText(p.name, Limits::kShortText, "name", true));
  NCC_RETURN_IF_ERROR(CheckText(p.venue, Limits::kShortText, "venue", false));
  if (!p.event_type.empty()) NCC_RETURN_IF_ERROR(CheckCode(p.event_type, 64, "event_type"));
  if (!p.is_template && (!p.start.ms || !p.end.ms))
    return InvalidArgument("a plan needs its period (start and end)", p.start.ms ? "end" : "start");
  NCC_RETURN_IF_ERROR(CheckPeriod(p.start, p.end, ""));
  NCC_RETURN_IF_ERROR(CheckCount(p.objectives, Limits::kPlanObjectives, "objectives"));
  for (size_t k = 0; k < p.objectives.size(); ++k)
    NCC_RETURN_IF_ERROR(CheckText(p.objectives[k], Limits::kSummary, At("objectives", k), true));
  NCC_RETURN_IF_ERROR(CheckCount(p.agencies, Limits::kPlanAgencies, "agencies"));
  if (!w.FindAgency(p.agency)) return NotFound("no agency " + p.agency, "agency");
  keys.agencies.insert(p.agency);
  for (size_t k = 0; k < p.agencies.size(); ++k) {
    if (!w.FindAgency(p.agencies[k]))
      return NotFound("no agency " + p.agencies[k], At("agencies", k));
    if (!keys.agencies.insert(p.agencies[k]).second)
      return InvalidArgument(p.agencies[k] + " is named twice (the owner takes part already)",
                             At("agencies", k));
  }
  return Status::Ok();
}

// The whole definition, field by field, in the order a reader of the document meets them.
Status CheckPlan(const OperationPlan& p, const World& w) {
  PlanKeys keys;
  NCC_RETURN_IF_ERROR(CheckHeader(p, w, keys));
  NCC_RETURN_IF_ERROR(CheckSectors(p));
  NCC_RETURN_IF_ERROR(CheckPhases(p));
  NCC_RETURN_IF_ERROR(CheckCount(p.tasks, Limits::kPlanTasks, "tasks"));
  NCC_RETURN_IF_ERROR(
      CheckCount(p.decision_points, Limits::kPlanDecisionPoints, "decision_points"));
  NCC_ASSIGN_OR_RETURN(keys.sectors, Keys(p.sectors, "sectors"));
  NCC_ASSIGN_OR_RETURN(keys.phases, Keys(p.phases, "phases"));
  NCC_ASSIGN_OR_RETURN(keys.tasks, Keys(p.tasks, "tasks"));
  NCC_ASSIGN_OR_RETURN(keys.points, Keys(p.decision_points, "decision_points"));
  for (size_t k = 0; k < p.tasks.size(); ++k) NCC_RETURN_IF_ERROR(CheckTask(p, k, keys, w));
  NCC_RETURN_IF_ERROR(CheckNoCycle(p));
  NCC_RETURN_IF_ERROR(CheckPostings(p, keys, w));
  return CheckPoints(p, keys);
}

StatusOr<const OperationPlan*> FindPlan(const World& w, uint64_t id) {
  const OperationPlan* p = w.FindPlan(id);
  if (!p) return NotFound("no plan " + std::to_string(id), "id");
  return p;
}

StatusOr<const OperationPlan*> ActivePlan(const World& w, uint64_t id) {
  NCC_ASSIGN_OR_RETURN(const OperationPlan* p, FindPlan(w, id));
  if (p->status != "active")
    return FailedPrecondition("plan is " + p->status + ", not active", "id");
  return p;
}

StatusOr<const PlanTask*> FindTask(const OperationPlan& p, const std::string& task) {
  const PlanTask* t = p.FindTask(task);
  if (!t) return NotFound("no task " + task + " in plan " + std::to_string(p.id), "task");
  return t;
}

Decision One(EventBody body, const OperationPlan& p) {
  Decision d;
  d.created_id = p.id;
  d.events.push_back({std::move(body), p.agency, p.classification});
  return d;
}

bool IsParticipant(const OperationPlan& p, const std::string& agency) {
  auto all = Participants(p);
  return std::find(all.begin(), all.end(), agency) != all.end();
}

}  // namespace

StatusOr<Decision> On(const DefinePlan& c, const World& world, const CommandContext& ctx) {
  OperationPlan p = c.plan;
  const OperationPlan* before = p.id ? world.FindPlan(p.id) : nullptr;
  if (p.id && !before) return NotFound("no plan " + std::to_string(p.id), "id");
  if (before) {
    if (before->status != "draft" && before->status != "approved")
      return FailedPrecondition("plan is " + before->status +
                                    "; only a draft or an approved plan "
                                    "is revised",
                                "id");
    if (!p.agency.empty() && p.agency != before->agency)
      return InvalidArgument("the owner agency of a plan does not change", "agency");
    p.agency = before->agency;
    p.template_of = before->template_of;
  } else {
    p.id = world.NextPlanId();
    if (p.agency.empty()) p.agency = ctx.agency;
  }
  if (p.template_of) {
    const OperationPlan* t = world.FindPlan(p.template_of);
    if (!t || !t->is_template)
      return NotFound("no template " + std::to_string(p.template_of), "template_of");
  }
  NCC_RETURN_IF_ERROR(CheckPlan(p, world));
  ResetPlanProgress(p);
  Decision d;
  d.created_id = p.id;
  std::string owner = p.agency;
  Classification label = p.classification;
  d.events.push_back({PlanDefined{std::move(p)}, std::move(owner), label});
  return d;
}

StatusOr<Decision> On(const ApprovePlan& c, const World& world, const CommandContext& ctx) {
  NCC_ASSIGN_OR_RETURN(const OperationPlan* p, FindPlan(world, c.id));
  if (p->is_template) return FailedPrecondition("a template is not approved", "id");
  if (p->status != "draft") return FailedPrecondition("plan is " + p->status, "id");
  if (c.revision != p->revision)
    return FailedPrecondition("the plan is at revision " + std::to_string(p->revision) +
                                  "; read it again before approving",
                              "revision");
  if (!IsParticipant(*p, ctx.agency))
    return Status(StatusCode::kPermissionDenied, ctx.agency + " does not take part in the plan",
                  "agency");
  for (const PlanApproval& a : p->approvals)
    if (a.agency == ctx.agency)
      return FailedPrecondition(ctx.agency + " approved this revision already", "agency");
  Decision d;
  d.created_id = p->id;
  d.events.push_back({PlanApproved{p->id, p->revision}, ctx.agency, p->classification});
  return d;
}

StatusOr<Decision> On(const ChangePlanStatus& c, const World& world, const CommandContext&) {
  NCC_ASSIGN_OR_RETURN(const OperationPlan* p, FindPlan(world, c.id));
  NCC_RETURN_IF_ERROR(CheckText(c.reason, Limits::kNote, "reason", false));
  if (c.to == "active") {
    if (p->is_template) return FailedPrecondition("a template is never activated", "id");
    if (p->status != "approved")
      return FailedPrecondition("plan is " + p->status + "; only an approved plan is activated",
                                "to");
  } else if (c.to == "closed") {
    if (p->status == "closed") return FailedPrecondition("plan is closed already", "to");
  } else {
    return InvalidArgument("must be active or closed", "to");
  }
  return One(PlanStatusChanged{p->id, c.to, c.reason}, *p);
}

StatusOr<Decision> On(const ChangePlanPhase& c, const World& world, const CommandContext&) {
  NCC_ASSIGN_OR_RETURN(const OperationPlan* p, ActivePlan(world, c.id));
  auto ph = std::find_if(p->phases.begin(), p->phases.end(),
                         [&](const PlanPhase& x) { return x.id == c.phase; });
  if (ph == p->phases.end()) return NotFound("no phase " + c.phase + " in the plan", "phase");
  if (c.to == "started") {
    if (ph->started.ms) return FailedPrecondition("phase " + c.phase + " started already", "to");
  } else if (c.to == "ended") {
    if (!ph->started.ms || ph->ended.ms)
      return FailedPrecondition(
          "phase " + c.phase + (ph->ended.ms ? " ended already" : " has not started"), "to");
  } else {
    return InvalidArgument("must be started or ended", "to");
  }
  Decision d = One(PlanPhaseChanged{p->id, c.phase, c.to}, *p);
  // Points that wait for this phase fire with it, in the same decision: exactly once, and
  // never a moment when the phase runs without them.
  if (c.to == "started")
    for (const DecisionPoint& dp : p->decision_points)
      if (dp.when == "phase_started" && dp.value == c.phase && !dp.fired.ms)
        d.events.push_back({DecisionPointFired{p->id, dp.id, 0, "phase " + c.phase + " started"},
                            p->agency, p->classification});
  return d;
}

StatusOr<Decision> On(const ChangePlanTask& c, const World& world, const CommandContext& ctx) {
  NCC_ASSIGN_OR_RETURN(const OperationPlan* p, ActivePlan(world, c.id));
  NCC_ASSIGN_OR_RETURN(const PlanTask* t, FindTask(*p, c.task));
  NCC_RETURN_IF_ERROR(CheckText(c.reason, Limits::kNote, "reason", false));
  if (ctx.agency != t->agency && ctx.agency != p->agency)
    return Status(StatusCode::kPermissionDenied,
                  "task " + t->id + " is " + t->agency + "'s (or the plan owner's) to change",
                  "task");
  if (t->status == "held")
    return FailedPrecondition("task waits for decision point " + t->opened_by, "task");
  const bool open = t->status == "planned" || t->status == "in_progress";
  if (c.to == "in_progress") {
    if (t->status != "planned") return FailedPrecondition("task is " + t->status, "to");
    for (const std::string& before : t->after) {
      const PlanTask* b = p->FindTask(before);
      const bool ended = b->status == "done" || b->status == "cancelled";
      if (!ended && c.reason.empty())
        return FailedPrecondition(
            "task " + before + " has not ended (give a reason to start anyway)", "after");
    }
  } else if (c.to == "done" || c.to == "cancelled") {
    if (!open) return FailedPrecondition("task is " + t->status, "to");
  } else {
    return InvalidArgument("must be in_progress, done or cancelled", "to");
  }
  return One(PlanTaskChanged{p->id, t->id, c.to, c.reason}, *p);
}

StatusOr<Decision> On(const CheckPlanTask& c, const World& world, const CommandContext& ctx) {
  NCC_ASSIGN_OR_RETURN(const OperationPlan* p, ActivePlan(world, c.id));
  NCC_ASSIGN_OR_RETURN(const PlanTask* t, FindTask(*p, c.task));
  if (ctx.agency != t->agency && ctx.agency != p->agency)
    return Status(StatusCode::kPermissionDenied, "task " + t->id + " is " + t->agency + "'s",
                  "task");
  if (c.item >= t->checklist.size())
    return NotFound("task " + t->id + " has " + std::to_string(t->checklist.size()) + " items",
                    "item");
  if (t->checklist[c.item].done == c.done)
    return FailedPrecondition(c.done ? "item is ticked already" : "item is not ticked", "done");
  return One(PlanTaskChecked{p->id, t->id, c.item, c.done}, *p);
}

StatusOr<Decision> On(const FireDecisionPoint& c, const World& world, const CommandContext&) {
  NCC_ASSIGN_OR_RETURN(const OperationPlan* p, ActivePlan(world, c.id));
  NCC_RETURN_IF_ERROR(CheckText(c.trigger, Limits::kShortText, "trigger", false));
  auto dp = std::find_if(p->decision_points.begin(), p->decision_points.end(),
                         [&](const DecisionPoint& x) { return x.id == c.point; });
  if (dp == p->decision_points.end())
    return NotFound("no decision point " + c.point + " in the plan", "point");
  if (dp->fired.ms)
    return FailedPrecondition("decision point " + c.point + " fired already", "point");
  if (c.trigger_seq > world.last_seq().value)
    return InvalidArgument("no event " + std::to_string(c.trigger_seq) + " yet", "trigger_seq");
  return One(DecisionPointFired{p->id, dp->id, c.trigger_seq, c.trigger}, *p);
}

StatusOr<Decision> On(const EscalatePlanTask& c, const World& world, const CommandContext& ctx) {
  NCC_ASSIGN_OR_RETURN(const OperationPlan* p, ActivePlan(world, c.id));
  NCC_ASSIGN_OR_RETURN(const PlanTask* t, FindTask(*p, c.task));
  if (t->escalated.ms) return FailedPrecondition("task escalated already", "task");
  if (t->status != "planned" && t->status != "in_progress")
    return FailedPrecondition("task is " + t->status, "task");
  if (!t->deadline.ms || ctx.now <= t->deadline)
    return FailedPrecondition("task is not overdue", "task");
  return One(PlanTaskOverdue{p->id, t->id, t->deadline}, *p);
}

}  // namespace ncc
