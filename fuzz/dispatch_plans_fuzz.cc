// Response plan files and coverage zone files (dispatch): both are operator-written text read
// at start-up. Any input must give a PlanSet / zones or a precise error, never a crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "dispatch/coverage.h"
#include "dispatch/plans.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto plans = ncc::dispatch::PlanSet::Parse(text, "fuzz.conf");
  if (plans.ok())
    for (const auto& [type, plan] : plans->plans()) {
      (void)plans->For(type + ".child");
      for (int p = 1; p <= 5; ++p) (void)plans->TargetsFor(plan, p);
      for (const auto& need : plan.needs) (void)plans->SubstitutesFor(plan, need.capability);
    }
  // Small demand grids keep each run fast; the parser paths are the same.
  (void)ncc::dispatch::ParseCoverageZones(text, 50);
  return 0;
}
