#include "report/figures.h"

#include <algorithm>
#include <limits>
#include <unordered_map>

namespace ncc::report {

const std::array<QualityRuleInfo, kQualityRuleCount> kRules = {{
    {QualityRule::kStepWithoutAssignment, "step_without_assignment",
     "an en route or on scene step of a unit the log never assigned to the incident"},
    {QualityRule::kDispatchBeforeCall, "dispatch_before_call",
     "the unit was assigned before the incident was created"},
    {QualityRule::kEnRouteBeforeDispatch, "en_route_before_dispatch",
     "the unit was en route before it was assigned"},
    {QualityRule::kOnSceneBeforeDispatch, "on_scene_before_dispatch",
     "the unit was on scene before it was assigned"},
    {QualityRule::kOnSceneBeforeEnRoute, "on_scene_before_en_route",
     "the unit was on scene before it was en route"},
    {QualityRule::kClearedBeforeStep, "cleared_before_step",
     "the unit was cleared before a step it reached"},
}};

const std::array<MeasureInfo, kMeasureCount> kMeasures = {{
    {Measure::kCallProcessing, "call_processing", "Call → first dispatch (call processing)",
     "NFPA 1225: 60 s"},
    {Measure::kTurnout, "turnout", "Dispatch → en route (turnout, first-arriving unit)",
     "NFPA 1710: 60 s EMS, 80 s fire"},
    {Measure::kTravel, "first_unit_travel", "En route → on scene (first-unit travel)",
     "NFPA 1710: 240 s"},
    {Measure::kTotal, "total_response", "Call → first unit on scene (total response)",
     "no NFPA target"},
    {Measure::kFullAlarm, "full_alarm_travel", "Full-alarm travel (fire, last initial unit)",
     "NFPA 1710: 480 s"},
}};

namespace {

constexpr int64_t kInitialAssignmentMs = 60'000;
constexpr size_t kExamplesPerRule = 5;

bool IsFire(const std::string& type) {
  return type == "fire" || type.rfind("fire.", 0) == 0;
}
bool IsEms(const std::string& type) {
  return type == "medical" || type.rfind("medical.", 0) == 0;
}
double Seconds(Time from, Time to) {
  return static_cast<double>(to.ms - from.ms) / 1000.0;
}

void KeepEarliest(Time& slot, Time at) {
  if (at.ms && (!slot.ms || at < slot)) slot = at;
}

// Full-alarm travel: the largest travel among the initial assignment's arrived units.
std::optional<double> FullAlarmTravel(const IncidentTimeline& i,
                                      const std::vector<const UnitResponseRow*>& valid,
                                      Time first_assigned) {
  if (!IsFire(i.type) || !first_assigned.ms) return std::nullopt;
  int arrived = 0;
  double longest = 0;
  for (const UnitResponseRow* r : valid) {
    if (!r->assigned.ms || r->assigned.ms > first_assigned.ms + kInitialAssignmentMs) continue;
    if (!r->en_route.ms || !r->on_scene.ms) continue;
    ++arrived;
    longest = std::max(longest, Seconds(r->en_route, r->on_scene));
  }
  if (arrived < 2) return std::nullopt;
  return longest;
}

IncidentMeasures Measure1(const IncidentTimeline& i, QualityReport& q) {
  IncidentMeasures m;
  m.incident = &i;
  m.seqs = i.seqs;
  std::vector<const UnitResponseRow*> valid;
  for (const UnitResponseRow& r : i.rows) {
    ++q.rows;
    if (auto broken = BrokenRule(i, r)) {
      auto k = static_cast<size_t>(*broken);
      ++q.excluded;
      ++q.by_rule[k];
      if (q.examples[k].size() < kExamplesPerRule)
        q.examples[k].push_back({i.id, r.callsign, r.seqs});
      continue;
    }
    valid.push_back(&r);
    if (r.on_scene.ms && !r.en_route.ms) ++q.on_scene_without_en_route;
    if (!r.on_scene.ms) ++q.never_on_scene;
  }
  if (i.rows.empty()) ++q.incidents_without_rows;
  Time first_assigned;
  const UnitResponseRow* first_arrived = nullptr;
  for (const UnitResponseRow* r : valid) {
    KeepEarliest(first_assigned, r->assigned);
    if (r->on_scene.ms && (!first_arrived || r->on_scene < first_arrived->on_scene))
      first_arrived = r;
  }
  auto& s = m.seconds;
  if (first_assigned.ms)
    s[static_cast<size_t>(Measure::kCallProcessing)] = Seconds(i.created, first_assigned);
  if (first_arrived) {
    s[static_cast<size_t>(Measure::kTotal)] = Seconds(i.created, first_arrived->on_scene);
    if (first_arrived->en_route.ms) {
      s[static_cast<size_t>(Measure::kTurnout)] =
          Seconds(first_arrived->assigned, first_arrived->en_route);
      s[static_cast<size_t>(Measure::kTravel)] =
          Seconds(first_arrived->en_route, first_arrived->on_scene);
    }
  }
  s[static_cast<size_t>(Measure::kFullAlarm)] = FullAlarmTravel(i, valid, first_assigned);
  return m;
}

}  // namespace

std::optional<QualityRule> BrokenRule(const IncidentTimeline& incident, const UnitResponseRow& r) {
  using R = QualityRule;
  if (!r.assigned.ms) return R::kStepWithoutAssignment;
  if (r.assigned < incident.created) return R::kDispatchBeforeCall;
  if (r.en_route.ms && r.en_route < r.assigned) return R::kEnRouteBeforeDispatch;
  if (r.on_scene.ms && r.on_scene < r.assigned) return R::kOnSceneBeforeDispatch;
  if (r.on_scene.ms && r.en_route.ms && r.on_scene < r.en_route) return R::kOnSceneBeforeEnRoute;
  Time last_step = std::max({r.assigned, r.en_route, r.on_scene});
  if (r.cleared.ms && r.cleared < last_step) return R::kClearedBeforeStep;
  return std::nullopt;
}

double NfpaTarget(Measure measure, const std::string& type) {
  switch (measure) {
    case Measure::kCallProcessing:
      return 60;
    case Measure::kTurnout:
      return IsEms(type) ? 60 : 80;
    case Measure::kTravel:
      return 240;
    case Measure::kFullAlarm:
      return 480;
    case Measure::kTotal:
      return 0;
  }
  return 0;
}

Selection Select(const LogContent& content, const Window& window) {
  Selection sel;
  for (const IncidentTimeline& i : content.incidents) {
    if (!window.Contains(i.created)) continue;
    sel.incidents.push_back(Measure1(i, sel.quality));
    sel.quality.seqs.Add(i.seqs);
  }
  return sel;
}

std::vector<double> Samples(const std::vector<IncidentMeasures>& incidents, Measure measure) {
  std::vector<double> out;
  for (const IncidentMeasures& m : incidents)
    if (auto v = m.seconds[static_cast<size_t>(measure)]) out.push_back(*v);
  return out;
}

Summary Summarise(const std::vector<const IncidentMeasures*>& incidents, Measure measure,
                  const BootstrapOptions& bootstrap, const std::string& label) {
  Summary s;
  std::vector<double> samples;
  size_t within = 0;
  bool first = true;
  for (const IncidentMeasures* m : incidents) {
    auto v = m->seconds[static_cast<size_t>(measure)];
    if (!v) continue;
    samples.push_back(*v);
    s.seqs.Add(m->seqs);
    double target = NfpaTarget(measure, m->incident->type);
    if (!first && target != s.target_s) s.mixed_targets = true;
    s.target_s = first ? target : std::max(s.target_s, target);
    first = false;
    if (*v <= target) ++within;
  }
  s.n = samples.size();
  if (samples.empty()) return s;
  s.p50 = Percentile(samples, 50);
  s.p90 = Percentile(samples, 90);
  if (s.target_s > 0) s.within_pct = 100.0 * static_cast<double>(within) / static_cast<double>(s.n);
  s.p50_ci = BootstrapPercentile(samples, 50, bootstrap, label + "/p50");
  s.p90_ci = BootstrapPercentile(samples, 90, bootstrap, label + "/p90");
  return s;
}

namespace {

GroupSummary SummariseGroup(const std::string& group,
                            const std::vector<const IncidentMeasures*>& members,
                            const BootstrapOptions& bootstrap) {
  GroupSummary g;
  g.group = group;
  for (const MeasureInfo& info : kMeasures)
    g.measures[static_cast<size_t>(info.measure)] =
        Summarise(members, info.measure, bootstrap, group + "/" + info.name);
  return g;
}

template <typename Key>
void AddGroupsBy(const Selection& sel, const std::string& prefix, Key key,
                 const BootstrapOptions& bootstrap, std::vector<GroupSummary>& out) {
  std::map<std::string, std::vector<const IncidentMeasures*>> groups;
  for (const IncidentMeasures& m : sel.incidents) groups[key(*m.incident)].push_back(&m);
  std::vector<std::pair<std::string, std::vector<const IncidentMeasures*>>> ordered(groups.begin(),
                                                                                    groups.end());
  std::stable_sort(ordered.begin(), ordered.end(),
                   [](const auto& a, const auto& b) { return a.second.size() > b.second.size(); });
  for (const auto& [name, members] : ordered)
    out.push_back(SummariseGroup(prefix + "=" + name, members, bootstrap));
}

}  // namespace

std::vector<GroupSummary> NfpaTable(const Selection& sel, const BootstrapOptions& bootstrap) {
  std::vector<GroupSummary> out;
  std::vector<const IncidentMeasures*> all;
  for (const IncidentMeasures& m : sel.incidents) all.push_back(&m);
  out.push_back(SummariseGroup("all", all, bootstrap));
  AddGroupsBy(
      sel, "agency", [](const IncidentTimeline& i) { return i.agency; }, bootstrap, out);
  AddGroupsBy(
      sel, "type", [](const IncidentTimeline& i) { return i.type; }, bootstrap, out);
  AddGroupsBy(
      sel, "priority", [](const IncidentTimeline& i) { return std::to_string(i.priority); },
      bootstrap, out);
  return out;
}

Series OpenVersusAvailable(const LogContent& content, Time from, Time to, int buckets) {
  Series s;
  if (buckets <= 0 || to <= from) return s;
  auto by_time = [](const CountChange& a, const CountChange& b) { return a.time < b.time; };
  std::vector<CountChange> open = content.open_incidents, avail = content.available_units;
  std::stable_sort(open.begin(), open.end(), by_time);
  std::stable_sort(avail.begin(), avail.end(), by_time);
  size_t io = 0, ia = 0;
  int n_open = 0, n_avail = 0;
  // The fewest units available right after a unit was taken (not before units registered).
  int lowest = std::numeric_limits<int>::max();
  auto advance = [&](Time until, bool in_window) {
    while (io < open.size() && open[io].time < until) {
      n_open += open[io].delta;
      if (in_window) {
        s.seqs.Add(open[io].seq);
        s.max_open = std::max(s.max_open, n_open);
      }
      ++io;
    }
    while (ia < avail.size() && avail[ia].time < until) {
      n_avail += avail[ia].delta;
      if (in_window) {
        s.seqs.Add(avail[ia].seq);
        if (avail[ia].delta < 0) lowest = std::min(lowest, n_avail);
      }
      ++ia;
    }
  };
  advance(from, false);
  s.max_open = n_open;
  const double span = static_cast<double>(to.ms - from.ms) / buckets;
  for (int b = 1; b <= buckets; ++b) {
    Time end{from.ms + static_cast<int64_t>(span * b)};
    if (b == buckets) end = to;
    advance(end, true);
    s.points.push_back({end, n_open, n_avail});
  }
  s.min_available = lowest == std::numeric_limits<int>::max() ? n_avail : lowest;
  return s;
}

Utilisation UnitUtilisation(const LogContent& content, Time from, Time to) {
  Utilisation u;
  u.window_s = Seconds(from, to);
  if (to <= from) return u;
  std::unordered_map<uint64_t, size_t> index;
  for (const UnitRecord& r : content.units) {
    index[r.id.value] = u.units.size();
    u.units.push_back({&r, 0, 0, 0});
  }
  for (const IncidentTimeline& i : content.incidents)
    for (const UnitResponseRow& r : i.rows) {
      auto it = index.find(r.unit.value);
      if (it == index.end() || BrokenRule(i, r)) continue;
      Time start = std::max(r.assigned, from), end = std::min(r.cleared.ms ? r.cleared : to, to);
      if (end <= start) continue;
      UnitUse& use = u.units[it->second];
      use.busy_s += Seconds(start, end);
      ++use.responses;
      u.seqs.Add(r.seqs);
    }
  std::map<std::string, std::pair<double, int>> kinds;
  for (UnitUse& use : u.units) {
    Time since = std::max(from, use.unit->registered);
    double span = since < to ? Seconds(since, to) : 0;
    use.fraction = span > 0 ? std::min(1.0, use.busy_s / span) : 0;
    auto& k = kinds[use.unit->kind];
    k.first += use.fraction;
    ++k.second;
  }
  for (const auto& [kind, sum] : kinds) u.mean_by_kind[kind] = sum.first / sum.second;
  std::stable_sort(u.units.begin(), u.units.end(),
                   [](const UnitUse& a, const UnitUse& b) { return a.fraction > b.fraction; });
  return u;
}

namespace {

// One step against its target: met, missed or not reached (nothing counted without a start
// or without a target).
void CountStep(SlaStep& step, Time start, Time done) {
  if (!start.ms || step.target_s <= 0) return;
  if (!done.ms)
    ++step.not_reached;
  else if (Seconds(start, done) <= step.target_s)
    ++step.met;
  else
    ++step.missed;
}

}  // namespace

std::vector<SlaRow> SlaCompliance(const Selection& sel, const dispatch::PlanSet& plans,
                                  const std::vector<LoggedEscalation>& escalations) {
  std::map<std::pair<std::string, int>, SlaRow> rows;
  std::unordered_map<uint64_t, SlaRow*> row_of_incident;
  for (const IncidentMeasures& m : sel.incidents) {
    const IncidentTimeline& i = *m.incident;
    dispatch::PlanChoice choice = plans.For(i.type);
    if (!choice.plan) continue;
    SlaRow& row = rows[{choice.plan->type, i.priority}];
    row.plan = choice.plan->type;
    row.priority = i.priority;
    dispatch::Targets t = plans.TargetsFor(*choice.plan, i.priority);
    row.steps[0].target_s = t.dispatch_s;
    row.steps[1].target_s = t.en_route_s;
    row.steps[2].target_s = t.on_scene_s;
    row.seqs.Add(i.seqs);
    row_of_incident[i.id.value] = &row;
    Time assigned, en_route, on_scene;
    for (const UnitResponseRow& r : i.rows) {
      if (BrokenRule(i, r)) continue;
      KeepEarliest(assigned, r.assigned);
      KeepEarliest(en_route, r.en_route);
      KeepEarliest(on_scene, r.on_scene);
    }
    KeepEarliest(en_route, on_scene);  // on scene directly: also en route (as the SLA timers)
    CountStep(row.steps[0], i.created, assigned);
    CountStep(row.steps[1], assigned, en_route);
    CountStep(row.steps[2], en_route, on_scene);
  }
  for (const LoggedEscalation& e : escalations) {
    auto it = row_of_incident.find(e.incident.value);
    if (it == row_of_incident.end()) continue;
    for (size_t k = 0; k < kSlaSteps.size(); ++k)
      if (e.step == kSlaSteps[k]) ++it->second->steps[k].escalations_logged;
  }
  std::vector<SlaRow> out;
  for (auto& [key, row] : rows) out.push_back(row);
  return out;
}

}  // namespace ncc::report
