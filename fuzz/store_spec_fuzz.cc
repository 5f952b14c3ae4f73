// Fuzzes what an operator types for the event log's store: `--store`, `--shard` and `--node`
// (src/store/store_spec.h, src/store/postgres/postgres_event_log.h). Never a crash; a shard
// accepted becomes part of SQL (the table ncc_events_<shard> and its NOTIFY channel), so it
// must hold nothing but a-z, 0-9 and _; a node accepted goes into the lease table as a
// parameter and into application_name, so it holds no space, quote or control character.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "store/postgres/postgres_event_log.h"
#include "store/store_spec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto spec = ncc::ParseStoreSpec(text, "var/ncc");
  if (spec.ok() && spec->location.empty()) std::abort();
  if (!spec.ok() && spec.status().field() != "store") std::abort();
  if (ncc::CheckShardName(text).ok()) {
    if (text.empty() || text.size() > 40 || text[0] < 'a' || text[0] > 'z') std::abort();
    for (char c : text)
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) std::abort();
  }
  if (ncc::CheckNodeName(text).ok())
    for (char c : text)
      if (c == ' ' || c == '\'' || c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20 ||
          static_cast<unsigned char>(c) >= 0x7f)
        std::abort();
  return 0;
}
