// Untrusted input: a partner's EIDO (POST /api/v1/eido). Every refusal names its field (a JSON
// path); every document read is placed (a valid position), typed and owned. Seeds:
// fuzz/corpus/eido_import_fuzz (ncc's own export, a partner's variant of NENA's sample) and every
// EIDO in $NCC_DATA_DIR/eido (fuzz/seed_corpora.py).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "exchange/eido/eido_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view json(reinterpret_cast<const char*>(data), size);
  auto read = ncc::eido::ReadEido(json, "ncc.localhost");
  if (!read.ok()) {
    if (read.status().field().empty()) std::abort();
    return 0;
  }
  const auto& e = *read;
  if (e.type.empty() || e.tracking_id.empty()) std::abort();
  if (!std::isfinite(e.location.lat) || std::fabs(e.location.lat) > 90 ||
      !std::isfinite(e.location.lon) || std::fabs(e.location.lon) > 180)
    std::abort();
  if (e.priority && (*e.priority < 1 || *e.priority > 5)) std::abort();
  if (e.notes.size() > ncc::eido::EidoLimits::kNotes) std::abort();
  return 0;
}
