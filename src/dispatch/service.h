// The dispatch room wired to the engine: recommendations on demand and for every new incident
// (logged as recommendation_made, so the stream shows them and after-action review can compare
// recommended with sent), and the time-target (SLA) watch that raises sla_escalated once per
// overdue step.
//
// Timers are derived from the log only: an incident's steps start at logged times (created,
// first unit assigned, first unit en route) and the steps already escalated are in the World,
// so after a restart the same checks give the same escalations, each exactly once (decide()
// refuses a second escalation of a step).
//
// Threads: one background thread (Start/Stop) follows the engine's feed and the clock; the
// public methods may be called from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "core/clock.h"
#include "dispatch/coverage.h"
#include "dispatch/plans.h"
#include "dispatch/recommender.h"
#include "dispatch/travel_times.h"
#include "engine/engine.h"

namespace ncc::dispatch {

// One time target of one incident: the step, when its clock started and when it is due.
struct DueStep {
  std::string step;  // dispatch | en_route | on_scene
  Time start, due;
  int target_s = 0;
};

// The steps of `incident` that are overdue at `now`, not done and not yet escalated.
std::vector<DueStep> OverdueSteps(const Incident& incident, const Targets& targets, Time now);

// A unit a recommendation on `incident` may name: classified no higher than the incident, so
// that the logged recommendation does not carry a secret unit into a restricted incident's
// history. (Units of the plan's other agencies stay: a response draws on several agencies.)
bool UnitFitsIncidentLabel(const Unit& unit, const Incident& incident);

struct DispatchOptions {
  bool recommend_on_create = true;
  int64_t tick_ms = 1000;  // how often the background thread checks timers
};

class DispatchService {
 public:
  // `travel` may be null (no road graph): straight-line estimates are used then.
  DispatchService(Engine& engine, const Clock& clock, PlanSet plans,
                  std::unique_ptr<TravelTimes> travel, DispatchOptions options = {});
  ~DispatchService();

  // Which units an answer may name (the caller's visibility, decided by the server's one
  // filter); empty: every unit.
  using UnitFilter = std::function<bool(const Unit&)>;

  // A fresh recommendation for an incident (not logged), among the units `may_use` passes and
  // that any reader of the incident may see (UnitFitsIncidentLabel): the logged event names
  // nothing a reader of the incident could not see. NotFound if there is no such incident.
  StatusOr<Recommendation> Recommend(IncidentId id, const UnitFilter& may_use = {}) const;
  // Submits escalations for every overdue step at `now`; returns how many were accepted.
  // The background thread calls it every tick; tests call it with a ManualClock.
  size_t CheckTimers();
  // Recommends for incidents created after `after` (the background thread's work); returns
  // the last seq looked at.
  Seq RecommendNew(Seq after);

  // Coverage zones with their targets; `routing` may be null (straight lines then).
  Status LoadZones(const std::string& path, const routing::RoutingService* routing);
  void SetZones(std::vector<CoverageZone> zones, const routing::RoutingService* routing);
  // Coverage of every zone by the available units now, with move-ups where below target.
  // Only units `visible` passes are counted, named or moved.
  nlohmann::json Coverage(const UnitFilter& visible = {}) const;

  const PlanSet& plans() const { return plans_; }
  const TravelTimes& travel() const { return *travel_; }
  const Clock& clock() const { return clock_; }

  // Measures coverage when the set of available units changed since the last call, and logs a
  // coverage_changed event for each zone that crossed its target (below it: with move-ups).
  // The first call only learns the state. Returns the events submitted. Background thread.
  size_t CheckCoverage();

  void Start();
  void Stop();

 private:
  void Loop();
  std::string available_signature_;    // CheckCoverage: units available with a position
  std::map<std::string, bool> below_;  // CheckCoverage: zone id -> below target
  std::map<std::string, std::string> zone_agency_;  // CheckCoverage: who is told of a zone
  bool coverage_known_ = false;

  Engine& engine_;
  const Clock& clock_;
  const PlanSet plans_;
  std::unique_ptr<TravelTimes> travel_;
  StraightLineTravelTimes straight_;
  const DispatchOptions options_;
  std::vector<CoverageZone> zones_;  // set before Start()
  const routing::RoutingService* coverage_routing_ = nullptr;
  // Coverage measures from request threads and the background thread share one cache.
  mutable std::mutex coverage_mu_;
  mutable ReachCache reach_cache_{1u << 20};  // 8 MB of times: live units move

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false, woken_ = false;
  uint64_t listener_ = 0;
  std::thread thread_;
  size_t first_open_ = 0;  // incidents before this index are all finished (timer scan start)
};

}  // namespace ncc::dispatch
