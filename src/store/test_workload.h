// A small deterministic workload shared by the store tests: real commands through decide(),
// chained and encoded exactly as the engine stores them.
#pragma once

#include <vector>

#include "core/commands.h"
#include "core/stored_event.h"

namespace ncc::testing {

struct Workload {
  World world;
  std::vector<StoredEvent> stored;
  Hash head{};

  void Run(const Command& c, Time now) {
    std::vector<Event> events;
    CommandContext ctx{"tester", "fire", now};
    if (!Execute(c, world, ctx, events).ok()) return;
    for (const Event& e : events) {
      stored.push_back(Encode(e, head));
      head = stored.back().hash;
    }
  }

  // Agencies, `units` units and `incidents` incidents with assignments and status changes.
  static Workload Make(int units, int incidents) {
    Workload w;
    int64_t t = 1'586'250'000'000;
    w.Run(RegisterAgency{{"fire", "Fire", "fire"}}, Time{t});
    for (int u = 0; u < units; ++u)
      w.Run(
          RegisterUnit{
              "E" + std::to_string(u), "fire", "engine", {"engine"}, "S1", LatLon{37.78, -122.41}},
          Time{t += 10});
    for (int i = 0; i < incidents; ++i) {
      w.Run(CreateIncident{"fire.alarm", 1 + i % 5, {37.7 + i * 1e-4, -122.4}, "addr", "", "s"},
            Time{t += 10});
      UnitId unit(1 + i % units);
      w.Run(AssignUnit{IncidentId(i + 1), unit}, Time{t += 10});
      w.Run(ChangeUnitStatus{unit, UnitStatus::kEnRoute, ""}, Time{t += 10});
      w.Run(ChangeUnitStatus{unit, UnitStatus::kAvailable, ""}, Time{t += 10});
    }
    return w;
  }
};

}  // namespace ncc::testing
