// Operation plans (issue 15): how the centre and its partner agencies will work a planned event
// (a match, a summit, national day), as records of the World. A plan is changed only by
// commands and events in the same log as incidents (decide_plan.cc decides, World applies);
// views over plans (the synchronization matrix, ICS forms, progress) are the plan room's
// (src/plan). Plain structs; each lists its fields once in Fields() (codec, JSON, digest).
//
// Lifecycle: draft -> approved (a supervisor of every participating agency approved this
// revision) -> active -> closed. Revising a draft or an approved plan makes a new revision,
// a draft again, with no approvals. Templates are plans that are never activated; a new plan
// copies one.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/geo_point.h"
#include "core/ids.h"
#include "core/lifecycle.h"

namespace ncc {

// An area of the operation on the road map: one outer ring, lat/lon (GeoJSON's polygon
// without holes), the closing vertex not repeated.
struct PlanSector {
  std::string id;  // short code, unique in the plan: "A", "north-gate"
  std::string name;
  std::vector<LatLon> polygon;
  template <typename V>
  void Fields(V& v) {
    v("id", id);
    v("name", name);
    v("polygon", polygon);
  }
};

// A period of the operation (arrival, event, dispersal). Planned times are optional; a phase
// starts when someone starts it (or the plan's watcher, at its planned start).
struct PlanPhase {
  std::string id;
  std::string name;
  Time start, end;      // planned; zero when not planned by time
  std::string trigger;  // what starts it, in words, when not a time ("last train left")
  Time started, ended;  // as it happened; zero when not yet
  template <typename V>
  void Fields(V& v) {
    v("id", id);
    v("name", name);
    v("start", start);
    v("end", end);
    v("trigger", trigger);
    v("started", started);
    v("ended", ended);
  }
};

struct ChecklistItem {
  std::string text;
  bool done = false;
  std::string by;  // who ticked it
  Time at;
  template <typename V>
  void Fields(V& v) {
    v("text", text);
    v("done", done);
    v("by", by);
    v("at", at);
  }
};

// One piece of planned work. Status: held (waits for the decision point that opens it) |
// planned | in_progress | done | cancelled. Late and blocked are derived (src/plan).
struct PlanTask {
  std::string id;
  std::string title;
  std::string agency;  // owner agency: a participant
  std::string unit;    // owner unit, a callsign of `agency`; empty: the agency's team
  std::string team;    // owner team in words ("traffic cell"); may be empty
  std::string sector;  // empty: the whole operation
  std::string phase;
  Time start, deadline;            // planned; zero when not set
  std::vector<std::string> after;  // finish-to-start: these tasks end before this one starts
  std::vector<ChecklistItem> checklist;
  std::string opened_by;  // the decision point that opens it; empty: planned from the start
  std::string status = "planned";
  Time started, finished;
  std::string override_reason;  // why it started before its predecessors ended
  Time escalated;               // when its deadline passed unfinished (plan_task_overdue)
  template <typename V>
  void Fields(V& v) {
    v("id", id);
    v("title", title);
    v("agency", agency);
    v("unit", unit);
    v("team", team);
    v("sector", sector);
    v("phase", phase);
    v("start", start);
    v("deadline", deadline);
    v("after", after);
    v("checklist", checklist);
    v("opened_by", opened_by);
    v("status", status);
    v("started", started);
    v("finished", finished);
    v("override_reason", override_reason);
    v("escalated", escalated);
  }
};

// A unit pre-positioned in a sector for a phase (a resource assignment).
struct PlanPosting {
  std::string sector;
  std::string phase;
  std::string agency;
  std::string unit;  // callsign in `agency`
  LatLon post;       // where it stands
  template <typename V>
  void Fields(V& v) {
    v("sector", sector);
    v("phase", phase);
    v("agency", agency);
    v("unit", unit);
    v("post", post);
  }
};

// A condition and the branch of tasks it opens. `when`: alarm (an alarm of kind `value` inside
// `sector`) | phase_started (phase `value` started) | incidents (at least `count` open
// incidents inside `sector`). Fires once: `fired` is set by decision_point_fired.
struct DecisionPoint {
  std::string id;
  std::string name;
  std::string when;
  std::string sector;
  std::string value;
  int32_t count = 1;
  std::vector<std::string> opens;  // task ids, held until it fires
  Time fired;
  uint64_t fired_by = 0;  // seq of the event that met the condition (0: by hand)
  template <typename V>
  void Fields(V& v) {
    v("id", id);
    v("name", name);
    v("when", when);
    v("sector", sector);
    v("value", value);
    v("count", count);
    v("opens", opens);
    v("fired", fired);
    v("fired_by", fired_by);
  }
};

struct PlanApproval {
  std::string agency;
  std::string by;
  Time at;
  template <typename V>
  void Fields(V& v) {
    v("agency", agency);
    v("by", by);
    v("at", at);
  }
};

struct OperationPlan {
  uint64_t id = 0;
  std::string name;
  std::string event_type;  // "football_match", "summit": what templates are found by
  std::string venue;
  Time start, end;                    // the operation's period (zero in a template)
  std::string agency;                 // owner (the lead agency); shares with `agencies`
  std::vector<std::string> agencies;  // the other participating agencies
  Classification classification = Classification::kRestricted;
  std::vector<std::string> objectives;
  std::vector<PlanSector> sectors;
  std::vector<PlanPhase> phases;
  std::vector<PlanTask> tasks;
  std::vector<PlanPosting> postings;
  std::vector<DecisionPoint> decision_points;
  bool is_template = false;
  uint64_t template_of = 0;             // the template this plan was copied from
  std::string status = "draft";         // draft | approved | active | closed
  uint32_t revision = 0;                // 1 for the first definition, +1 for each revision
  std::vector<PlanApproval> approvals;  // of this revision
  std::string author;
  Time created, updated, activated, closed;
  Seq seq;  // of the last event that changed it

  const PlanTask* FindTask(std::string_view task) const {
    for (const PlanTask& t : tasks)
      if (t.id == task) return &t;
    return nullptr;
  }
  PlanTask* FindTask(std::string_view task) {
    return const_cast<PlanTask*>(std::as_const(*this).FindTask(task));
  }
  template <typename V>
  void Fields(V& v) {
    v("id", id);
    v("name", name);
    v("event_type", event_type);
    v("venue", venue);
    v("start", start);
    v("end", end);
    v("agency", agency);
    v("agencies", agencies);
    v("classification", classification);
    v("objectives", objectives);
    v("sectors", sectors);
    v("phases", phases);
    v("tasks", tasks);
    v("postings", postings);
    v("decision_points", decision_points);
    v("is_template", is_template);
    v("template_of", template_of);
    v("status", status);
    v("revision", revision);
    v("approvals", approvals);
    v("author", author);
    v("created", created);
    v("updated", updated);
    v("activated", activated);
    v("closed", closed);
    v("seq", seq);
  }
};

// What a new revision starts from: a draft with no approvals, every task planned (or held for
// its decision point), no phase started, no point fired. decide and the World both apply it,
// so the log's plan_defined reads as the World holds it.
inline void ResetPlanProgress(OperationPlan& p) {
  p.status = "draft";
  p.approvals.clear();
  p.activated = p.closed = Time{};
  for (PlanPhase& ph : p.phases) ph.started = ph.ended = Time{};
  for (PlanTask& t : p.tasks) {
    t.status = t.opened_by.empty() ? "planned" : "held";
    t.started = t.finished = t.escalated = Time{};
    t.override_reason.clear();
    for (ChecklistItem& c : t.checklist) c = ChecklistItem{std::move(c.text)};
  }
  for (DecisionPoint& d : p.decision_points) {
    d.fired = Time{};
    d.fired_by = 0;
  }
}

// Every agency taking part: the owner first, then the others.
inline std::vector<std::string> Participants(const OperationPlan& p) {
  std::vector<std::string> all{p.agency};
  all.insert(all.end(), p.agencies.begin(), p.agencies.end());
  return all;
}

}  // namespace ncc
