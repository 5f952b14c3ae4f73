// The event mix the core and picture benchmarks replay: 500 units, incidents with an
// assignment each, unit status steps and position batches, 100 ms of event time apart.
// Built with the real decide() (Execute), so it is a log the engine could have written.
#pragma once

#include <vector>

#include "core/commands.h"
#include "core/world.h"

namespace ncc {

inline CreateIncident SampleIncident(uint64_t k) {
  return CreateIncident{"fire.alarm",
                        static_cast<int32_t>(1 + k % 5),
                        {25.2 + (k % 1000) * 1e-4, 51.5},
                        "",
                        "",
                        "bench",
                        "fire",
                        Classification::kRestricted};
}

// A realistic event mix: incidents with assignments, unit steps and position batches.
inline std::vector<Event> MakeEvents(size_t count) {
  World w;
  std::vector<Event> events;
  events.reserve(count + 16);
  CommandContext ctx{"bench", "fire", Time{1'700'000'000'000}};
  (void)Execute(RegisterAgency{{"fire", "Fire", "fire"}}, w, ctx, events);
  constexpr int kUnits = 500;
  for (int u = 0; u < kUnits; ++u) {
    std::string callsign = "U";
    callsign += std::to_string(u);
    (void)Execute(RegisterUnit{callsign, "fire", "engine", {"engine"}, "", std::nullopt}, w, ctx,
                  events);
  }
  uint64_t k = 0;
  while (events.size() < count) {
    ctx.now.ms += 100;
    ++k;
    UnitId unit(1 + k % kUnits);
    switch (k % 4) {
      case 0: {
        auto d = Execute(SampleIncident(k), w, ctx, events);
        (void)Execute(AssignUnit{IncidentId(d->created_id), unit}, w, ctx, events);
        break;
      }
      case 1:
        (void)Execute(ChangeUnitStatus{unit, UnitStatus::kEnRoute, ""}, w, ctx, events);
        break;
      case 2:
        (void)Execute(ChangeUnitStatus{unit, UnitStatus::kAvailable, ""}, w, ctx, events);
        break;
      default:
        (void)Execute(
            ReportPositions{{{unit, {25.3, 51.5}, ctx.now, 12, 90},
                             {UnitId(1 + (k + 7) % kUnits), {25.31, 51.49}, ctx.now, 0, 0}}},
            w, ctx, events);
    }
  }
  events.resize(count);
  return events;
}

}  // namespace ncc
