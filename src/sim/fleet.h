// The simulated fleet: every unit's quarters, where it is, what it is doing, and the checks that
// keep the run honest (a unit is sent only while available, is in one place at a time, and each
// step follows the one before: the unit state machine below). The engine decides the same rules
// again on every command; a refusal there is counted as a broken rule, never ignored.
//
//   available (at its post) --dispatch--> dispatched --turnout--> en_route --drive--> on_scene
//   on_scene --> transporting --> at_hospital --> available (driving home)
//   on_scene --> available (driving home) --arrives--> available (at its post)
//   available --move-up--> available (driving to a new post)
//
// Quarters (docs/sim.md, "Stations"): from OSM amenity=fire_station/police where the extract has
// them; the north-SF extract has roads only, so they come from the data: a unit's quarters are
// the median position of the calls it reached fastest (its quickest tenth of dispatch -> on
// scene, at least three), where it most likely started from.
//
// Owner: src/sim. Thread: the simulator's thread only.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/ids.h"
#include "core/status.h"
#include "sim/driver.h"
#include "sim/sf_calls.h"

namespace ncc::sim {

enum class Phase : uint8_t {
  kAtPost,       // available, standing at quarters or its move-up post
  kDrivingHome,  // available, driving back to quarters
  kMovingUp,     // available, driving to a move-up post
  kDispatched,   // turnout
  kEnRoute,
  kOnScene,
  kTransporting,
  kAtHospital,
};
const char* PhaseName(Phase p);
inline bool IsAvailable(Phase p) {
  return p == Phase::kAtPost || p == Phase::kDrivingHome || p == Phase::kMovingUp;
}

struct SimUnit {
  UnitId id;
  std::string callsign, agency, kind;
  bool als = false;
  LatLon quarters, post;  // quarters: where it returns to (its home, or a plan's posting)
  LatLon home;            // the quarters estimated from the data
  Phase phase = Phase::kAtPost;
  std::optional<Drive> drive;         // while moving
  LatLon still;                       // where it stands when not moving
  int64_t last_fix_ms = INT64_MIN;    // virtual time of its last fix
  int64_t last_stamp_ms = INT64_MIN;  // and that fix's time stamp (live: the server's clock)
  uint64_t epoch = 0;                 // bumped on every dispatch: older scheduled steps are void
  uint32_t call = UINT32_MAX;         // index of the call it serves
  size_t row = 0;                     // the unit response whose intervals it follows
  int64_t en_route_ms = 0;
  uint64_t dispatches = 0;

  LatLon PositionAt(int64_t ms) const { return drive ? drive->At(ms) : still; }
};

struct QuartersEstimate {
  std::map<std::string, LatLon> by_unit;  // callsign -> quarters
};

// Quarters of every unit in `rows` (see above). Units with no timed response get the median
// position of all their calls.
QuartersEstimate EstimateQuarters(const std::vector<UnitResponse>& rows);

// The state machine's one gate: may `unit` go from its phase to `to`? FailedPrecondition naming
// both phases otherwise.
Status CheckStep(const SimUnit& unit, Phase to);

}  // namespace ncc::sim
