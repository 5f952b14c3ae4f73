// Untrusted input: the alarm payload (POST /api/v1/alarms and MQTT ncc/alarm/{source}), the
// alarm sources file and the correlation rules file. Every accepted alarm must satisfy what the
// parser promises (valid location, known kind, normalised plate for plate reads).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "alarms/intake.h"
#include "alarms/payload.h"
#include "correlate/rules.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto parsed = ncc::alarms::ParsePayload(bytes);
  if (parsed.ok()) {
    if (parsed->items() > ncc::Limits::kAlarmBatch) std::abort();
    for (const auto& a : parsed->alarms) {
      if (!std::isfinite(a.location.lat) || std::abs(a.location.lat) > 90) std::abort();
      if (!std::isfinite(a.location.lon) || std::abs(a.location.lon) > 180) std::abort();
      if (a.id.empty()) std::abort();
      if ((a.kind == "lpr_read" || a.kind == "lpr_hit") &&
          (a.plate.empty() || a.plate != ncc::NormalizePlate(a.plate)))
        std::abort();
    }
  }
  (void)ncc::alarms::ParseSources(bytes);
  (void)ncc::correlate::ParseRules(bytes);
  return 0;
}
