// Dispatch policies of the simulator (docs/sim.md, "Policies"). Each call asks for what it
// really got: one slot per real unit response, by unit kind. A policy says which available unit
// fills each slot:
//   ncc                    the recommender (src/dispatch) with road ETAs over the CH graph;
//   ncc+moveup             the same, and the simulator repositions an available unit after each
//                          dispatch when coverage falls below target (coverage.h move-ups);
//   nearest-straight-line  the same recommender with great-circle ETAs (the classic baseline);
//   historical             the unit that really went, when it is available in the simulation,
//                          else the nearest available one of its kind in a straight line.
//
// Owner: src/sim. Thread: the simulator's thread (TravelTimes are thread-safe anyway).
// Errors: MakePolicy refuses an unknown name, listing the known ones.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dispatch/recommender.h"
#include "routing/routing_service.h"

namespace ncc::sim {

// One dispatch decision: a call's unit responses that were dispatched at one instant.
struct Ask {
  dispatch::IncidentInfo incident;
  std::vector<std::string> kinds;       // per slot: the unit kind asked for
  std::vector<std::string> real_units;  // per slot: the callsign that really went
};

struct Choice {
  std::vector<std::optional<UnitId>> units;            // per slot; nullopt: no unit could fill it
  std::optional<RecordRecommendation> recommendation;  // logged before the assignment
  size_t substituted = 0;  // historical: slots whose real unit was busy or off the map
};

class Policy {
 public:
  virtual ~Policy() = default;
  virtual std::string_view name() const = 0;
  virtual bool moves_up() const { return false; }
  // `units`: every unit of the fleet as the centre knows it now (status, live position).
  virtual Choice Choose(const Ask& ask, std::span<const dispatch::UnitInfo> units) = 0;
};

inline constexpr std::string_view kPolicyNames[] = {"ncc", "ncc+moveup", "nearest-straight-line",
                                                    "historical"};

// `routing` must outlive the policy.
StatusOr<std::unique_ptr<Policy>> MakePolicy(std::string_view name,
                                             const routing::RoutingService& routing);

// The recommender's plan for an ask: "need = N kind" per kind asked, the same 1 s turnout for
// every unit (the simulator takes each unit's turnout from the data), ladders may stand in for
// engines.
std::string PlanTextFor(const Ask& ask);

}  // namespace ncc::sim
