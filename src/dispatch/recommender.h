// The recommendation: for one incident, the set of available units that fills its response
// plan with the smallest arrival times (travel to the incident plus the unit's agency turnout
// time), with substitutions as configured, never a unit already committed elsewhere or out of
// service, and a reason for every unit chosen or passed over.
//
// Exactness: among the units that can fill a slot only the best (total slots) can appear in an
// optimal choice, so the travel search stops once those are known for every slot, and a
// min-cost assignment (Hungarian) over that short list gives the optimum: most slots filled,
// then the smallest sum of arrival times; a substitute loses a tie to a unit of the asked kind.
//
// Thread: pure functions over their arguments (the TravelTimes is thread-safe).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/commands.h"
#include "core/records.h"
#include "dispatch/plans.h"
#include "dispatch/travel_times.h"

namespace ncc::dispatch {

// What the recommender needs of a unit, copied out of the World under its lock.
struct UnitInfo {
  UnitId id;
  std::string callsign, agency, kind;
  std::vector<std::string> capabilities;
  UnitStatus status = UnitStatus::kAvailable;
  IncidentId incident;
  std::optional<LatLon> position;
  bool Has(const std::string& capability) const;
  static UnitInfo Of(const Unit& u);
};

struct Candidate {
  UnitId unit;
  std::string callsign, agency, kind;
  std::string slot;  // the capability it fills (chosen) or could fill (passed)
  bool substitute = false;
  double travel_s = 0, turnout_s = 0, eta_s = 0, meters = 0;
  std::string reason;
};

struct Recommendation {
  IncidentId incident;
  std::string type;
  int priority = 3;
  std::string plan, plan_name;
  std::string note;    // plan fallback ("... used the default plan") and travel fallback notes
  std::string travel;  // "road" or "straight_line"
  std::vector<Candidate> chosen;     // by ETA, fastest first
  std::vector<Candidate> passed;     // units that could have gone but did not, and why
  std::vector<std::string> missing;  // "1 ladder from civil_defence"
  bool complete() const { return missing.empty(); }
  nlohmann::json ToJson() const;
  RecordRecommendation ToCommand() const;
};

struct IncidentInfo {
  IncidentId id;
  std::string type;
  int priority = 3;
  LatLon location;
  static IncidentInfo Of(const Incident& i) { return {i.id, i.type, i.priority, i.location}; }
};

// The capabilities a plan can use, resolved once (no allocation per unit checked).
class PlanMatcher {
 public:
  PlanMatcher(const Plan& plan, const PlanSet& plans);
  // For need `n`: 0 cannot fill, 1 fills as asked, 2 fills as a substitute.
  int Fit(const std::string& kind, const std::vector<std::string>& capabilities,
          const std::string& agency, size_t n) const;
  // Could fill any slot of the plan (the rest are left out before any travel time).
  bool Relevant(const std::string& kind, const std::vector<std::string>& capabilities,
                const std::string& agency) const;
  size_t needs() const { return needs_.size(); }

 private:
  struct NeedCaps {
    std::string agency, capability;
    std::vector<std::string> substitutes;
  };
  std::vector<NeedCaps> needs_;
};

bool Relevant(const UnitInfo& u, const Plan& plan, const PlanSet& plans);

// `fallback` (may be null) is used when `travel` cannot place the incident on its network.
Recommendation Recommend(const IncidentInfo& incident, std::span<const UnitInfo> units,
                         const PlanSet& plans, const TravelTimes& travel,
                         const TravelTimes* fallback = nullptr);

// "4:05" for 245 s.
std::string MinSec(double seconds);

}  // namespace ncc::dispatch
