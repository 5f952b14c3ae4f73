#include "plan/activation.h"

#include <cmath>
#include <map>

#include "plan/views.h"

namespace ncc::plan {
namespace {

std::string Base(const OperationPlan& p) {
  return "plan-" + std::to_string(p.id) + "-r" + std::to_string(p.revision);
}

// The id stands for one request only, so the request digest is the id itself.
CommandId IdOf(std::string id) {
  return {id, id};
}

bool Recorded(const World& w, const std::string& id) {
  return w.FindCommand(kWatcherActor, id) != nullptr;
}

bool Recent(Time trigger, Time now) {
  return trigger.ms && now.ms - trigger.ms < kActivationWindowMs;
}

// The phases whose postings are due, with the moment that made them so: the phases running
// and, while none has started yet, the first one to come (pre-positioned at activation).
std::vector<std::pair<const PlanPhase*, Time>> DuePhases(const OperationPlan& p) {
  std::vector<std::pair<const PlanPhase*, Time>> due;
  bool any_started = false;
  for (const PlanPhase& ph : p.phases) {
    any_started |= ph.started.ms != 0;
    if (ph.started.ms && !ph.ended.ms) due.push_back({&ph, ph.started});
  }
  if (!any_started && !p.phases.empty()) due.push_back({&p.phases.front(), p.activated});
  return due;
}

LatLon Centre(const PlanSector& s) {
  LatLon c{0, 0};
  for (const LatLon& v : s.polygon) c.lat += v.lat, c.lon += v.lon;
  if (!s.polygon.empty()) c.lat /= s.polygon.size(), c.lon /= s.polygon.size();
  return c;
}

void PostingMoves(const OperationPlan& p, const PlanPhase& ph, const World& w,
                  std::vector<PlanAction>& out) {
  std::map<std::pair<std::string, std::string>, std::vector<const PlanPosting*>> groups;
  for (const PlanPosting& x : p.postings)
    if (x.phase == ph.id) groups[{x.sector, x.agency}].push_back(&x);
  for (const auto& [key, postings] : groups) {
    const auto& [sector, agency] = key;
    std::string id = Base(p) + "-" + ph.id + "-" + sector + "-" + agency + "-postings";
    if (Recorded(w, id)) continue;
    RecordCoverage c;
    c.agency = agency;
    c.change.zone = PostingZone(p, sector, ph.id);
    c.change.target = 1;
    size_t met = 0;
    for (const PlanPosting* x : postings) {
      const Unit* u = w.FindUnitByCallsign(x->agency, x->unit);
      if (PostingProblem(p, *x, w).empty())
        ++met;
      else if (u && c.change.move_ups.size() < 20)
        c.change.move_ups.push_back({u->id, u->callsign, x->post, 0});
    }
    c.change.fraction = static_cast<double>(met) / postings.size();
    c.change.below = met < postings.size();
    out.push_back({std::move(c), agency, IdOf(std::move(id))});
  }
}

bool PostedIn(const OperationPlan& p, const std::string& agency, const std::string& unit,
              const std::string& phase) {
  for (const PlanPosting& x : p.postings)
    if (x.phase == phase && x.agency == agency && x.unit == unit) return true;
  return false;
}

const PlanSector* SectorOf(const OperationPlan& p, const std::string& id) {
  for (const PlanSector& s : p.sectors)
    if (s.id == id) return &s;
  return nullptr;
}

const PlanPhase* PhaseOf(const OperationPlan& p, const std::string& id) {
  for (const PlanPhase& ph : p.phases)
    if (ph.id == id) return &ph;
  return nullptr;
}

// When a task became due: its phase started, and the point that holds it fired.
Time TaskTrigger(const OperationPlan& p, const PlanTask& t) {
  const PlanPhase* ph = PhaseOf(p, t.phase);
  if (!ph || !ph->started.ms || ph->ended.ms) return {};
  Time at = ph->started;
  for (const DecisionPoint& d : p.decision_points)
    if (d.id == t.opened_by && at < d.fired) at = d.fired;
  return at;
}

void TaskIncident(const OperationPlan& p, const PlanTask& t, const World& w, Time now,
                  std::vector<PlanAction>& out) {
  if (t.sector.empty() || t.unit.empty()) return;
  if (t.status != "planned" && t.status != "in_progress") return;
  if (PostedIn(p, t.agency, t.unit, t.phase)) return;
  const PlanSector* s = SectorOf(p, t.sector);
  if (!s) return;
  const std::string create = Base(p) + "-task-" + t.id + "-incident";
  const std::string assign = Base(p) + "-task-" + t.id + "-assign";
  const CommandRecord* created = w.FindCommand(kWatcherActor, create);
  if (!created) {
    if (!Recent(TaskTrigger(p, t), now)) return;
    CreateIncident c{
        kPlanTaskIncidentType,
        3,
        Centre(*s),
        "",
        s->name,
        "Plan " + std::to_string(p.id) + " (" + p.name + ") task " + t.id + ": " + t.title,
        t.agency,
        p.classification};
    out.push_back({std::move(c), t.agency, IdOf(create)});
    return;  // assigned once the incident exists (the next tick), even if the phase ended
  }
  if (Recorded(w, assign)) return;
  const Incident* i = w.FindIncident(IncidentId(created->created_id));
  const Unit* u = w.FindUnitByCallsign(t.agency, t.unit);
  if (!i || IsTerminal(i->status) || !u) return;  // closed by hand, or no such unit: nothing to do
  if (u->incident.value || u->status != UnitStatus::kAvailable) return;  // busy: when it is free
  out.push_back({AssignUnit{i->id, u->id}, t.agency, IdOf(assign)});
}

}  // namespace

std::string PostingZone(const OperationPlan& p, const std::string& sector,
                        const std::string& phase) {
  return "plan " + std::to_string(p.id) + " sector " + sector + " (" + phase + ")";
}

nlohmann::json PlanCoverageJson(const OperationPlan& p, const World& w,
                                const std::function<bool(const Unit&)>& unit_visible) {
  using nlohmann::json;
  json zones = json::array();
  if (p.status != "active") return zones;
  auto point = [](const LatLon& x) { return json{{"lat", x.lat}, {"lon", x.lon}}; };
  auto share = [](size_t met, size_t all) {
    return all ? std::round(1000.0 * met / all) / 1000 : 1.0;
  };
  for (const auto& [ph, trigger] : DuePhases(p)) {
    std::map<std::string, std::vector<const PlanPosting*>> by_sector;
    for (const PlanPosting& x : p.postings)
      if (x.phase == ph->id) by_sector[x.sector].push_back(&x);
    for (const auto& [sector, postings] : by_sector) {
      const PlanSector* s = SectorOf(p, sector);
      size_t met = 0;
      std::map<std::string, std::pair<size_t, size_t>> agencies;  // met, all
      json moves = json::array();
      for (const PlanPosting* x : postings) {
        std::string why = PostingProblem(p, *x, w);
        ++agencies[x->agency].second;
        if (why.empty()) {
          ++met, ++agencies[x->agency].first;
          continue;
        }
        const Unit* u = w.FindUnitByCallsign(x->agency, x->unit);
        bool seen = u && u->position && (!unit_visible || unit_visible(*u));
        moves.push_back({{"unit", u ? json(u->id.value) : json()},
                         {"callsign", x->unit},
                         {"agency", x->agency},
                         {"from", seen ? point(*u->position) : json()},
                         {"to", point(x->post)},
                         {"why", why},
                         {"points_gained", 0}});
      }
      for (json& m : moves) m["zone_fraction_after"] = share(met + 1, postings.size());
      json by_agency = json::object();
      for (const auto& [agency, counts] : agencies)
        by_agency[agency] = share(counts.first, counts.second);
      json ring = json::array();
      if (s && !s->polygon.empty()) {  // a closed GeoJSON ring: the first position again
        for (const LatLon& v : s->polygon) ring.push_back({v.lon, v.lat});
        if (ring.front() != ring.back()) ring.push_back(ring.front());
      }
      zones.push_back({{"zone", PostingZone(p, sector, ph->id)},
                       {"name", (s ? s->name : sector) + " (" + ph->name + ")"},
                       {"capability", "plan posting"},
                       {"minutes", 0},
                       {"target", 1},
                       {"points", postings.size()},
                       {"covered", met},
                       {"fraction", share(met, postings.size())},
                       {"below_target", met < postings.size()},
                       {"by_agency", std::move(by_agency)},
                       {"plan", p.id},
                       {"plan_name", p.name},
                       {"sector", sector},
                       {"phase", ph->id},
                       {"polygon", std::move(ring)},
                       {"move_ups", std::move(moves)}});
    }
  }
  return zones;
}

void ActivationActions(const OperationPlan& p, const World& w, Time now,
                       std::vector<PlanAction>& out) {
  if (p.status != "active") return;
  // coverage_changed is read at restricted (decide labels it so): a plan classified above
  // that would show its postings to readers it is not for, so its moves are not logged.
  if (p.classification <= Classification::kRestricted)
    for (const auto& [phase, trigger] : DuePhases(p))
      if (Recent(trigger, now)) PostingMoves(p, *phase, w, out);
  for (const PlanTask& t : p.tasks) TaskIncident(p, t, w, now, out);
}

}  // namespace ncc::plan
