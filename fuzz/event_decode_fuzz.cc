// Untrusted input: bytes read back from an event log or snapshot file (a damaged disk, a hostile
// file). Decoding must return an error, never crash, hang or allocate without bound.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/stored_event.h"
#include "core/world.h"
#include "store/snapshot_store.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  std::string bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  ncc::StoredEvent e;
  e.type = static_cast<ncc::EventType>(data[0] % 12);
  e.payload = bytes;
  if (auto event = ncc::Decode(e); event.ok()) {
    ncc::World w;
    w.Apply(*event);  // whatever decodes must also apply without crashing
  }
  (void)ncc::World::Deserialize(bytes);
  (void)ncc::ParseSnapshot(bytes);
  return 0;
}
