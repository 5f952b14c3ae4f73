#include "dispatch/service.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace ncc::dispatch {
namespace {

constexpr const char* kActor = "dispatch";  // the actor of events this room writes on its own

bool Escalated(const Incident& i, const std::string& step) {
  return std::find(i.escalations.begin(), i.escalations.end(), step) != i.escalations.end();
}

}  // namespace

std::vector<DueStep> OverdueSteps(const Incident& i, const Targets& t, Time now) {
  std::vector<DueStep> out;
  if (IsTerminal(i.status) || i.status == IncidentStatus::kResolved) return out;
  // The first time any unit reached each step.
  Time assigned, en_route, on_scene;
  auto first = [](Time& slot, Time at) {
    if (at.ms && (!slot.ms || at < slot)) slot = at;
  };
  for (const Assignment& a : i.assignments) {
    first(assigned, a.assigned);
    first(en_route, a.en_route);
    first(on_scene, a.on_scene);
  }
  first(en_route, on_scene);  // a unit that reports on scene directly was also en route
  auto check = [&](const char* step, Time start, bool done, int target_s) {
    if (!start.ms || done || target_s <= 0 || Escalated(i, step)) return;
    Time due{start.ms + int64_t{target_s} * 1000};
    if (now >= due) out.push_back({step, start, due, target_s});
  };
  check("dispatch", i.created, assigned.ms != 0, t.dispatch_s);
  check("en_route", assigned, en_route.ms != 0, t.en_route_s);
  check("on_scene", en_route, on_scene.ms != 0, t.on_scene_s);
  return out;
}

DispatchService::DispatchService(Engine& engine, const Clock& clock, PlanSet plans,
                                 std::unique_ptr<TravelTimes> travel, DispatchOptions options)
    : engine_(engine),
      clock_(clock),
      plans_(std::move(plans)),
      travel_(std::move(travel)),
      options_(options) {
  if (!travel_) travel_ = std::make_unique<StraightLineTravelTimes>();
}

DispatchService::~DispatchService() {
  Stop();
}

bool UnitFitsIncidentLabel(const Unit& unit, const Incident& incident) {
  return unit.classification <= incident.classification;
}

StatusOr<Recommendation> DispatchService::Recommend(IncidentId id,
                                                    const UnitFilter& may_use) const {
  std::optional<IncidentInfo> incident;
  std::vector<UnitInfo> units;
  // Copy only what the plan could use, under the shared lock; compute outside it.
  engine_.Read([&](const World& w) {
    const Incident* i = w.FindIncident(id);
    if (!i) return;
    incident = IncidentInfo::Of(*i);
    const PlanMatcher matcher(*plans_.For(i->type).plan, plans_);
    for (const Unit& u : w.units()) {
      if (u.status == UnitStatus::kOutOfService && !u.position) continue;
      if (!UnitFitsIncidentLabel(u, *i) || (may_use && !may_use(u))) continue;
      if (matcher.Relevant(u.kind, u.capabilities, u.agency)) units.push_back(UnitInfo::Of(u));
    }
  });
  if (!incident) return NotFound("no incident " + std::to_string(id.value), "id");
  const TravelTimes* fallback = travel_->name() == straight_.name() ? nullptr : &straight_;
  return dispatch::Recommend(*incident, units, plans_, *travel_, fallback);
}

Seq DispatchService::RecommendNew(Seq after) {
  std::vector<FeedItemPtr> items;
  if (!engine_.feed().ReadAfter(after, 1000, items)) return engine_.feed().head();  // fell behind
  for (const FeedItemPtr& item : items) {
    after = item->seq();
    const auto* created = std::get_if<IncidentCreated>(&item->event().body);
    if (!created) continue;
    auto rec = Recommend(created->id);
    if (!rec.ok()) continue;
    engine_.Submit(rec->ToCommand(), kActor, item->event().meta.agency, [](CommandOutcome o) {
      if (!o.status.ok()) spdlog::warn("recommendation not logged: {}", o.status.ToString());
    });
  }
  return after;
}

size_t DispatchService::CheckTimers() {
  const Time now = clock_.Now();
  struct Todo {
    EscalateSla command;
    std::string agency;
  };
  std::vector<Todo> todo;
  engine_.Read([&](const World& w) {
    const auto& incidents = w.incidents();
    while (first_open_ < incidents.size() &&
           (IsTerminal(incidents[first_open_].status) ||
            incidents[first_open_].status == IncidentStatus::kResolved))
      ++first_open_;
    for (size_t k = first_open_; k < incidents.size(); ++k) {
      const Incident& i = incidents[k];
      const Plan& plan =
          i.plan.empty() || !plans_.Find(i.plan) ? *plans_.For(i.type).plan : *plans_.Find(i.plan);
      for (const DueStep& d : OverdueSteps(i, plans_.TargetsFor(plan, i.priority), now))
        todo.push_back({EscalateSla{i.id, d.step, d.due, d.target_s, plan.type}, i.agency});
    }
  });
  size_t accepted = 0;
  for (Todo& t : todo)
    if (engine_.SubmitAndWait(std::move(t.command), kActor, t.agency).status.ok()) ++accepted;
  return accepted;
}

Status DispatchService::LoadZones(const std::string& path, const routing::RoutingService* routing) {
  auto zones = LoadCoverageZones(path);
  if (!zones.ok()) return zones.status();
  SetZones(std::move(*zones), routing);
  return Status::Ok();
}

void DispatchService::SetZones(std::vector<CoverageZone> zones,
                               const routing::RoutingService* routing) {
  zones_ = std::move(zones);
  coverage_routing_ = routing;
}

nlohmann::json DispatchService::Coverage(const UnitFilter& visible) const {
  std::vector<UnitInfo> units;
  engine_.Read([&](const World& w) {
    for (const Unit& u : w.units())
      if (u.status == UnitStatus::kAvailable && u.position && (!visible || visible(u)))
        units.push_back(UnitInfo::Of(u));
  });
  std::vector<ZoneCoverage> coverage;
  {
    std::lock_guard lock(coverage_mu_);
    coverage = MeasureCoverage(zones_, units, coverage_routing_, 5, &reach_cache_);
  }
  nlohmann::json j = ToJson(coverage);
  j["travel"] = coverage_routing_ ? "road" : "straight_line";
  return j;
}

size_t DispatchService::CheckCoverage() {
  if (zones_.empty()) return 0;
  std::vector<UnitInfo> units;
  std::string signature;
  engine_.Read([&](const World& w) {
    for (const Unit& u : w.units())
      if (u.status == UnitStatus::kAvailable && u.position) {
        units.push_back(UnitInfo::Of(u));
        signature += std::to_string(u.id.value) + ',';
      }
  });
  if (coverage_known_ && signature == available_signature_) return 0;
  available_signature_ = std::move(signature);
  size_t submitted = 0;
  std::vector<ZoneCoverage> coverage;
  {
    std::lock_guard lock(coverage_mu_);
    coverage = MeasureCoverage(zones_, units, coverage_routing_, 5, &reach_cache_);
  }
  for (const ZoneCoverage& c : coverage) {
    bool& below = below_[c.zone->id];
    bool was = below;
    below = c.below();
    // A zone open to every agency is reported to the agency whose units covered most of it
    // (remembered: when the last unit leaves, no agency covers any of it).
    std::string& agency = zone_agency_[c.zone->id];
    if (!c.zone->agency.empty())
      agency = c.zone->agency;
    else if (!c.by_agency.empty())
      agency = std::max_element(c.by_agency.begin(), c.by_agency.end(),
                                [](const auto& a, const auto& b) { return a.second < b.second; })
                   ->first;
    if (!coverage_known_ || was == below || agency.empty()) continue;
    // Filled member by member: g++ 12 -O3 misreads the nested aggregate initializer as a read
    // of an uninitialized string (-Wmaybe-uninitialized).
    RecordCoverage cmd;
    cmd.change.zone = c.zone->id;
    cmd.change.fraction = c.fraction;
    cmd.change.target = c.zone->target;
    cmd.change.below = below;
    cmd.agency = agency;
    for (const MoveUp& m : c.move_ups)
      cmd.change.move_ups.push_back({m.unit, m.callsign, m.to, m.gained});
    if (engine_.SubmitAndWait(std::move(cmd), kActor, "").status.ok()) ++submitted;
  }
  coverage_known_ = true;
  return submitted;
}

void DispatchService::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  listener_ = engine_.feed().Listen([this] {
    std::lock_guard l(mu_);
    woken_ = true;
    cv_.notify_one();
  });
  thread_ = std::thread([this] { Loop(); });
}

void DispatchService::Stop() {
  {
    std::lock_guard lock(mu_);
    if (!thread_.joinable()) return;
    stopping_ = true;
    cv_.notify_one();
  }
  thread_.join();
  engine_.feed().Unlisten(listener_);
}

void DispatchService::Loop() {
  Seq seen = engine_.feed().head();  // incidents from before start-up had their chance
  auto next_tick = std::chrono::steady_clock::now();
  while (true) {
    {
      std::unique_lock lock(mu_);
      cv_.wait_until(lock, next_tick, [&] { return stopping_ || woken_; });
      if (stopping_) return;
      woken_ = false;
    }
    if (options_.recommend_on_create)
      seen = RecommendNew(seen);
    else
      seen = engine_.feed().head();
    CheckCoverage();
    if (std::chrono::steady_clock::now() >= next_tick) {
      CheckTimers();
      next_tick = std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.tick_ms);
    }
  }
}

}  // namespace ncc::dispatch
