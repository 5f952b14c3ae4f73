// Untrusted input: a partner's CAP alert (POST /api/v1/cap). Parsed with small limits so the
// fuzzer reaches them; an accepted alert must have a location in range and name where it came
// from, or be a Cancel/Ack/Error naming the alerts it is about. Seeds: the real alerts in
// $NCC_DATA_DIR/cap/oasiscap/*.xml.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "exchange/cap/cap_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view xml(reinterpret_cast<const char*>(data), size);
  ncc::cap::CapLimits limits;
  limits.max_bytes = 64 * 1024;
  limits.max_elements = 2000;
  auto alert = ncc::cap::ParseAlert(xml, limits);
  if (!alert.ok()) {
    if (alert.status().field().empty()) std::abort();  // every refusal names an element
    return 0;
  }
  if (alert->identifier.empty()) std::abort();
  if (!alert->placed) {
    // Only what acts on earlier alerts may come without a place, and it must name them.
    if (alert->msg_type == "Alert" || alert->msg_type == "Update" || alert->references.empty())
      std::abort();
    return 0;
  }
  if (!(alert->location.lat >= -90 && alert->location.lat <= 90 && alert->location.lon >= -180 &&
        alert->location.lon <= 180) ||
      alert->where.empty())
    std::abort();
  return 0;
}
