// Untrusted-ish input: the CAP import configuration files an operator loads (--cap-areas
// GeoJSON, --cap-rules JSON), often converted from others' data. The first byte picks the
// parser; every refusal must name a field, and an accepted table must place its areas in range.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "exchange/cap/area_table.h"
#include "exchange/cap/import_rules.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] & 1) {
    auto rules = ncc::cap::ImportRules::Parse(text);
    if (!rules.ok() && rules.status().field().empty()) std::abort();
    if (rules.ok()) {
      ncc::cap::CapAlert alert;
      alert.category = "Met";
      auto out = rules->For(alert);
      if (out.priority < 1 || out.priority > 5 || out.type.empty()) std::abort();
    }
    return 0;
  }
  auto table = ncc::cap::AreaTable::Parse(text);
  if (!table.ok() && table.status().field().empty()) std::abort();
  return 0;
}
