// Activation makes a plan live (docs/plans.md, "Activation"): what the plan watcher asks the
// engine to do when a plan becomes active or one of its phases starts.
//
//   - Postings become pre-positioning moves, logged as the dispatch room logs its move-ups: one
//     coverage_changed per sector, phase and agency (zone "plan 3 sector A (show)", fraction =
//     share of those postings met, target 1, a move-up per unit not at its post). For the
//     phases running, and at activation before any phase started, for the first phase to come.
//     Only for plans classified restricted or below: coverage_changed is read at restricted.
//   - A task with a sector and an owner unit that has no posting in the task's phase becomes an
//     incident (type plan.task, at the sector's centre, the plan's label, the task's agency) and
//     that unit's assignment to it, once the task's phase runs and the task is open (a held
//     task once its decision point fired). A posted unit's task is its posting: it stays
//     available for calls.
//
// Exactly once, also after kill -9 and replay: every command carries a command id made of the
// plan, revision, phase and sector (or task), and is left out when the World holds that id's
// record; the engine refuses a second one anyway. Records live 24 h (kCommandIdRetentionMs), so
// only triggers (activation, phase start, point fired) younger than kActivationWindowMs act.
//
// Pure (no I/O): any thread, under the engine's read lock.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/commands.h"
#include "engine/engine.h"

namespace ncc::plan {

inline constexpr const char* kWatcherActor = "plan-watcher";
inline constexpr int64_t kActivationWindowMs = 20LL * 3600 * 1000;
inline constexpr const char* kPlanTaskIncidentType = "plan.task";

struct PlanAction {
  Command command;
  std::string agency;  // the agency it is sent for
  CommandId id;        // empty for commands decide itself keeps once (phases, escalations)
};

// What activation still has to do for `plan` (active) at `now`, given what `world` records.
void ActivationActions(const OperationPlan& plan, const World& world, Time now,
                       std::vector<PlanAction>& out);

// The postings of an active plan's due phases (those running; before any started, the first
// one) as GET /api/v1/coverage shows them beside dispatch's zones: one zone per sector and
// phase, {"zone": PostingZone, "name", "capability": "plan posting", "minutes": 0, "target":
// 1, "points" (postings), "covered" (met), "fraction", "below_target", "by_agency", "plan",
// "plan_name", "sector", "phase", "polygon" (a closed ring of [lon, lat]), "move_ups": one per
// posting not met {"unit", "callsign", "agency", "from" (null unless `unit_visible`), "to", "why",
// "points_gained": 0, "zone_fraction_after"}}. Empty for a plan that is not active.
// `unit_visible` says which units' positions the reader may see (null: all).
nlohmann::json PlanCoverageJson(const OperationPlan& plan, const World& world,
                                const std::function<bool(const Unit&)>& unit_visible = {});

// The zone name of a sector's postings in a phase, as the move-ups carry it.
std::string PostingZone(const OperationPlan& plan, const std::string& sector,
                        const std::string& phase);

}  // namespace ncc::plan
