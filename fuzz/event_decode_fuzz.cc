// Untrusted input: bytes read back from an event log or snapshot file (a damaged disk, a hostile
// file). Decoding must return an error, never crash, hang or allocate without bound. The first
// byte is the event type (an index into fuzz/event_types.h); seeds: fuzz/seed_maker.cc, from the
// real calls.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/stored_event.h"
#include "core/world.h"
#include "event_types.h"
#include "store/snapshot_store.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  std::string bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  ncc::StoredEvent e;
  e.type = static_cast<ncc::EventType>(
      data[0] < ncc::fuzz::kEventTypeCount ? ncc::fuzz::kEventTypes[data[0]] : data[0]);
  e.payload = bytes;
  if (auto event = ncc::Decode(e); event.ok()) {
    ncc::World w;
    w.Apply(*event);  // whatever decodes must also apply without crashing
  }
  (void)ncc::World::Deserialize(bytes);
  (void)ncc::ParseSnapshot(bytes);
  return 0;
}
