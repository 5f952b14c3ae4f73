#include "dispatch/recommender.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <queue>

#include "core/json_writer.h"

namespace ncc::dispatch {
namespace {

// One unit slot of the plan: a need expanded by its count.
struct Slot {
  size_t need;
  std::string capability;
  std::string agency;
  std::vector<std::string> substitutes;
};

// 0: cannot fill, 1: fills as the kind asked, 2: fills as a substitute.
int Fit(const UnitInfo& u, const Slot& s) {
  if (!s.agency.empty() && u.agency != s.agency) return 0;
  if (u.Has(s.capability)) return 1;
  for (const std::string& c : s.substitutes)
    if (u.Has(c)) return 2;
  return 0;
}

std::vector<Slot> SlotsOf(const Plan& plan, const PlanSet& plans) {
  std::vector<Slot> slots;
  for (size_t n = 0; n < plan.needs.size(); ++n) {
    const Need& need = plan.needs[n];
    for (int k = 0; k < need.count; ++k)
      slots.push_back(
          {n, need.capability, need.agency, plans.SubstitutesFor(plan, need.capability)});
  }
  return slots;
}

// Min-cost assignment of rows to distinct columns (rows <= cols), O(rows^2 * cols). Returns the
// column of each row.
std::vector<int> Hungarian(const std::vector<std::vector<double>>& a) {
  const int n = static_cast<int>(a.size()), m = n ? static_cast<int>(a[0].size()) : 0;
  const double inf = 1e18;
  std::vector<double> u(n + 1), v(m + 1);
  std::vector<int> p(m + 1), way(m + 1);
  for (int i = 1; i <= n; ++i) {
    p[0] = i;
    int j0 = 0;
    std::vector<double> minv(m + 1, inf);
    std::vector<char> used(m + 1, false);
    do {
      used[j0] = true;
      int i0 = p[j0], j1 = 0;
      double delta = inf;
      for (int j = 1; j <= m; ++j) {
        if (used[j]) continue;
        double cur = a[i0 - 1][j - 1] - u[i0] - v[j];
        if (cur < minv[j]) minv[j] = cur, way[j] = j0;
        if (minv[j] < delta) delta = minv[j], j1 = j;
      }
      for (int j = 0; j <= m; ++j)
        if (used[j])
          u[p[j]] += delta, v[j] -= delta;
        else
          minv[j] -= delta;
      j0 = j1;
    } while (p[j0] != 0);
    do {
      int j1 = way[j0];
      p[j0] = p[j1];
      j0 = j1;
    } while (j0);
  }
  std::vector<int> col(n, -1);
  for (int j = 1; j <= m; ++j)
    if (p[j]) col[p[j] - 1] = j - 1;
  return col;
}

std::string Explain(const Candidate& c) {
  std::string s = "ETA " + MinSec(c.eta_s) + " (drive " + MinSec(c.travel_s) + " + turnout " +
                  MinSec(c.turnout_s) + ")";
  return s;
}

}  // namespace

std::string MinSec(double seconds) {
  if (!std::isfinite(seconds)) return "unknown";
  long s = std::lround(seconds);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  return buf;
}

bool UnitInfo::Has(const std::string& capability) const {
  if (kind == capability) return true;
  return std::find(capabilities.begin(), capabilities.end(), capability) != capabilities.end();
}

UnitInfo UnitInfo::Of(const Unit& u) {
  return {u.id, u.callsign, u.agency, u.kind, u.capabilities, u.status, u.incident, u.position};
}

PlanMatcher::PlanMatcher(const Plan& plan, const PlanSet& plans) {
  for (const Need& need : plan.needs)
    needs_.push_back({need.agency, need.capability, plans.SubstitutesFor(plan, need.capability)});
}

int PlanMatcher::Fit(const std::string& kind, const std::vector<std::string>& caps,
                     const std::string& agency, size_t n) const {
  const NeedCaps& need = needs_[n];
  if (!need.agency.empty() && need.agency != agency) return 0;
  auto has = [&](const std::string& c) {
    return kind == c || std::find(caps.begin(), caps.end(), c) != caps.end();
  };
  if (has(need.capability)) return 1;
  for (const std::string& c : need.substitutes)
    if (has(c)) return 2;
  return 0;
}

bool PlanMatcher::Relevant(const std::string& kind, const std::vector<std::string>& caps,
                           const std::string& agency) const {
  for (size_t n = 0; n < needs_.size(); ++n)
    if (Fit(kind, caps, agency, n)) return true;
  return false;
}

bool Relevant(const UnitInfo& u, const Plan& plan, const PlanSet& plans) {
  return PlanMatcher(plan, plans).Relevant(u.kind, u.capabilities, u.agency);
}

Recommendation Recommend(const IncidentInfo& incident, std::span<const UnitInfo> all,
                         const PlanSet& plans, const TravelTimes& travel,
                         const TravelTimes* fallback) {
  Recommendation r;
  r.incident = incident.id;
  r.type = incident.type;
  r.priority = incident.priority;
  PlanChoice choice = plans.For(incident.type);
  const Plan& plan = *choice.plan;
  r.plan = plan.type;
  r.plan_name = plan.name;
  r.note = choice.note;
  const std::vector<Slot> slots = SlotsOf(plan, plans);
  const size_t total = slots.size();

  // Units that could fill some slot and have a position; every one gets a travel time, the
  // committed ones only so that we can say "this closer unit was busy".
  std::vector<const UnitInfo*> pool;
  std::vector<UnitPosition> positions;
  const PlanMatcher matcher(plan, plans);
  for (const UnitInfo& u : all) {
    if (!matcher.Relevant(u.kind, u.capabilities, u.agency)) continue;
    if (!u.position) {
      if (u.status == UnitStatus::kAvailable)
        r.passed.push_back({u.id, u.callsign, u.agency, u.kind, "", false, 0, 0, INFINITY, 0,
                            "available but no known position"});
      continue;
    }
    pool.push_back(&u);
    positions.push_back({u.id, *u.position});
  }

  // Stop rule: for every need, its best `want` available units by arrival are known, and no
  // unit still unreached could arrive before the slowest of them.
  const size_t needs = plan.needs.size();
  std::vector<size_t> want(needs, 0);
  std::vector<uint8_t> fit_flat(pool.size() * needs, 0);
  auto fit = [&](size_t i, size_t n) -> uint8_t& { return fit_flat[i * needs + n]; };
  for (size_t i = 0; i < pool.size(); ++i)
    for (size_t n = 0; n < needs; ++n) {
      fit(i, n) = static_cast<uint8_t>(
          matcher.Fit(pool[i]->kind, pool[i]->capabilities, pool[i]->agency, n));
      if (fit(i, n) && pool[i]->status == UnitStatus::kAvailable) ++want[n];
    }
  for (size_t n = 0; n < needs; ++n) want[n] = std::min(want[n], total);
  std::vector<std::priority_queue<double>> top(needs);  // max-heaps of the best arrivals
  const double min_turnout = plans.MinTurnoutSeconds();
  std::vector<Travel> times;
  bool stopped = false;
  TravelTimes::Progress rule = [&](size_t i, double frontier) {
    const UnitInfo& u = *pool[i];
    if (u.status == UnitStatus::kAvailable) {
      double a = times[i].seconds + plans.TurnoutSeconds(u.agency);
      for (size_t n = 0; n < needs; ++n) {
        if (!fit(i, n) || want[n] == 0) continue;
        top[n].push(a);
        if (top[n].size() > want[n]) top[n].pop();
      }
    }
    for (size_t n = 0; n < needs; ++n)
      if (want[n] && (top[n].size() < want[n] || frontier + min_turnout < top[n].top()))
        return false;
    stopped = true;
    return true;
  };
  r.travel = std::string(travel.name());
  Status st = travel.ToIncident(incident.location, positions, times, rule);
  if (!st.ok() && fallback) {
    r.note += std::string(r.note.empty() ? "" : "; ") + "road times unavailable (" + st.message() +
              "); straight-line estimates";
    r.travel = std::string(fallback->name());
    for (auto& q : top) q = {};
    stopped = false;
    st = fallback->ToIncident(incident.location, positions, times, rule);
  }
  if (!st.ok()) {
    r.note += std::string(r.note.empty() ? "" : "; ") + "no travel times: " + st.message();
    times.assign(pool.size(), Travel{});
  }

  auto candidate_of = [&](size_t i) {
    const UnitInfo& u = *pool[i];
    Candidate c{u.id,
                u.callsign,
                u.agency,
                u.kind,
                "",
                false,
                times[i].seconds,
                plans.TurnoutSeconds(u.agency),
                0,
                times[i].meters,
                ""};
    c.eta_s = c.travel_s + c.turnout_s;
    return c;
  };

  // Short list: per need, the best `total` available units by arrival.
  std::vector<size_t> shortlist;
  for (size_t n = 0; n < needs; ++n) {
    std::vector<std::pair<double, size_t>> order;
    for (size_t i = 0; i < pool.size(); ++i)
      if (fit(i, n) && pool[i]->status == UnitStatus::kAvailable && times[i].reached())
        order.push_back({times[i].seconds + plans.TurnoutSeconds(pool[i]->agency), i});
    size_t keep = std::min(order.size(), total);
    std::partial_sort(order.begin(), order.begin() + keep, order.end());
    for (size_t k = 0; k < keep; ++k) shortlist.push_back(order[k].second);
  }
  std::sort(shortlist.begin(), shortlist.end());
  shortlist.erase(std::unique(shortlist.begin(), shortlist.end()), shortlist.end());

  // Assignment: rows are slots; columns the short list, then one "unfilled" column per slot that
  // costs more than any real choice, so filling a slot always wins over leaving it empty.
  const double kUnfilled = 1e9, kNo = 1e13, kSubstitutePenalty = 1e-3;
  std::vector<std::vector<double>> cost(total, std::vector<double>(shortlist.size() + total, kNo));
  for (size_t s = 0; s < total; ++s) {
    for (size_t k = 0; k < shortlist.size(); ++k) {
      size_t i = shortlist[k];
      int f = Fit(*pool[i], slots[s]);
      if (f)
        cost[s][k] = times[i].seconds + plans.TurnoutSeconds(pool[i]->agency) +
                     (f == 2 ? kSubstitutePenalty : 0);
    }
    cost[s][shortlist.size() + s] = kUnfilled;
  }
  std::vector<int> col = Hungarian(cost);
  std::vector<bool> used(pool.size(), false);
  std::vector<int> missing_per_need(needs, 0);
  std::vector<double> worst_per_need(needs, 0);
  for (size_t s = 0; s < total; ++s) {
    if (col[s] < 0 || static_cast<size_t>(col[s]) >= shortlist.size()) {
      ++missing_per_need[slots[s].need];
      worst_per_need[slots[s].need] = INFINITY;
      continue;
    }
    size_t i = shortlist[col[s]];
    used[i] = true;
    Candidate c = candidate_of(i);
    c.slot = slots[s].capability;
    c.substitute = Fit(*pool[i], slots[s]) == 2;
    c.reason = (c.substitute ? "fills a " + c.slot + " slot as a " + pool[i]->kind +
                                   " (substitution allowed by the plan); "
                             : "fills a " + c.slot + " slot; ") +
               Explain(c);
    worst_per_need[slots[s].need] = std::max(worst_per_need[slots[s].need], c.eta_s);
    r.chosen.push_back(std::move(c));
  }
  std::sort(r.chosen.begin(), r.chosen.end(),
            [](const Candidate& a, const Candidate& b) { return a.eta_s < b.eta_s; });
  for (size_t n = 0; n < needs; ++n)
    if (missing_per_need[n]) {
      Need m = plan.needs[n];
      m.count = missing_per_need[n];
      r.missing.push_back(m.Describe());
    }

  // Passed over: units that would have arrived before the slowest unit chosen for a need they
  // fit (busy or out of service), the first runner-up per need, and the unreachable.
  std::vector<Candidate> passed;
  std::vector<bool> runner_up(needs, false);
  for (size_t i = 0; i < pool.size(); ++i) {
    if (used[i]) continue;
    const UnitInfo& u = *pool[i];
    const bool available = u.status == UnitStatus::kAvailable;
    size_t best_need = needs;
    for (size_t n = 0; n < needs; ++n)
      if (fit(i, n) && (best_need == needs || worst_per_need[n] > worst_per_need[best_need]))
        best_need = n;
    if (best_need == needs) continue;
    if (!times[i].reached()) {
      if (stopped || !available) continue;  // not needed: the search ended before reaching it
      Candidate c = candidate_of(i);
      c.slot = plan.needs[best_need].capability;
      c.reason = "no road route to the incident";
      passed.push_back(std::move(c));
      continue;
    }
    double eta = times[i].seconds + plans.TurnoutSeconds(u.agency);
    bool beaten = eta >= worst_per_need[best_need] && !missing_per_need[best_need];
    if (available && (!beaten || runner_up[best_need])) continue;
    if (!available && beaten) continue;  // busy, but would not have been chosen anyway
    Candidate c = candidate_of(i);
    c.slot = plan.needs[best_need].capability;
    if (available) {
      runner_up[best_need] = true;
      c.reason = "available, but slower than the units chosen: " + Explain(c);
    } else {
      c.reason = u.status == UnitStatus::kOutOfService
                     ? "out of service"
                     : std::string(Name(u.status)) +
                           (u.incident ? " on incident " + std::to_string(u.incident.value) : "") +
                           " (would have been " + Explain(c) + ")";
    }
    passed.push_back(std::move(c));
  }
  std::sort(passed.begin(), passed.end(),
            [](const Candidate& a, const Candidate& b) { return a.eta_s < b.eta_s; });
  constexpr size_t kMaxPassed = 25;
  if (passed.size() > kMaxPassed) passed.resize(kMaxPassed);
  r.passed.insert(r.passed.end(), passed.begin(), passed.end());
  return r;
}

nlohmann::json Recommendation::ToJson() const {
  using nlohmann::json;
  auto unit = [](const Candidate& c) {
    json j = {{"unit", c.unit.value}, {"callsign", c.callsign}, {"agency", c.agency},
              {"kind", c.kind},       {"slot", c.slot},         {"substitute", c.substitute},
              {"reason", c.reason}};
    if (std::isfinite(c.eta_s)) {
      j["eta_s"] = std::round(c.eta_s * 10) / 10;
      j["travel_s"] = std::round(c.travel_s * 10) / 10;
      j["turnout_s"] = c.turnout_s;
      j["road_meters"] = std::round(c.meters);
    } else {
      j["eta_s"] = nullptr;
    }
    return j;
  };
  json chosen_j = json::array(), passed_j = json::array();
  for (size_t k = 0; k < chosen.size(); ++k) {
    json j = unit(chosen[k]);
    j["rank"] = k + 1;
    chosen_j.push_back(std::move(j));
  }
  for (const Candidate& c : passed) passed_j.push_back(unit(c));
  return {{"incident", incident.value}, {"type", type},
          {"priority", priority},       {"plan", plan},
          {"plan_name", plan_name},     {"note", note},
          {"travel", travel},           {"complete", complete()},
          {"missing", missing},         {"units", chosen_j},
          {"passed", passed_j}};
}

RecordRecommendation Recommendation::ToCommand() const {
  RecordRecommendation c{incident, plan, note, {}, missing};
  for (const Candidate& u : chosen) c.units.push_back({u.unit, u.slot, u.eta_s, u.meters});
  return c;
}

}  // namespace ncc::dispatch
