// Replays real calls for service as live work on an engine: each call becomes an incident,
// each unit response an assignment with its real status steps, at the real pace times
// `speed`. The demo runs it; benchmarks use the same steps without sleeping.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "sim/sf_calls.h"

namespace ncc {

struct ReplayStep {
  enum class Kind {
    kCreate,
    kTriage,
    kAssign,
    kEnRoute,
    kOnScene,
    kTransport,
    kHospital,
    kAvailable,
    kClose
  };
  Time at;
  Kind kind;
  size_t row;  // index into the responses
};

// Time-ordered steps for `rows` (stable: equal times keep the order a dispatcher would use).
std::vector<ReplayStep> BuildReplay(const std::vector<UnitResponse>& rows);

// Registers the agencies and every unit seen in `rows` (idempotent: existing callsigns kept).
Status SeedAgenciesAndUnits(Engine& engine, const std::vector<UnitResponse>& rows);

struct ReplayStats {
  uint64_t steps = 0, refused = 0;
};

// Runs the steps (position fixes are stamped with `clock`, as a live tracker would), sleeping (at -
// first) / speed between them; speed <= 0 runs flat out. Stops early when `stop` becomes true.
// Refused steps (the dataset is a sample, so a unit can look busy) are counted, not fatal.
// `before_step` (may be empty) is told each step's time before it runs: a virtual clock set
// there stamps the events with the data's own times (the report's tests, docs/report.md).
ReplayStats RunReplay(Engine& engine, const std::vector<UnitResponse>& rows,
                      const std::vector<ReplayStep>& steps, double speed, Clock& clock,
                      const std::atomic<bool>& stop,
                      const std::function<void(Time)>& before_step = {});

}  // namespace ncc
