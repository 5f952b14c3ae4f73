// Untrusted input: a partner's CAP envelope or feed (POST /api/v1/cap, ncc cap-gateway): EDXL-DE,
// Atom, RSS or a bare alert. Every refusal names an element; every embedded alert comes out as
// a document ParseAlert reads or refuses with a named element. Seeds: fuzz/corpus/cap_feed_fuzz
// and the real index $NCC_DATA_DIR/cap/ibm-cap/nws_atom_feed_example.xml.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "exchange/cap/feed.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view xml(reinterpret_cast<const char*>(data), size);
  ncc::cap::CapLimits limits;
  limits.max_bytes = 64 * 1024;
  limits.max_elements = 2000;
  auto feed = ncc::cap::ReadFeed(xml, limits);
  if (!feed.ok()) {
    if (feed.status().field().empty()) std::abort();
    return 0;
  }
  if (feed->entries.empty() && feed->kind != "atom" && feed->kind != "rss") std::abort();
  for (const auto& entry : feed->entries) {
    if (entry.where.empty()) std::abort();
    if (entry.alert.empty()) continue;
    auto alert = ncc::cap::ParseAlert(entry.alert, limits);
    if (!alert.ok() && alert.status().field().empty()) std::abort();
  }
  return 0;
}
