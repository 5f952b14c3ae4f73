#include "store/jetstream/batch_codec.h"

#include <cstring>

#include "core/codec.h"

namespace ncc::jetstream {
namespace {

constexpr std::string_view kMagic = "NCB1";
// Smallest an event can be: seq, time, two empty strings, classification, type, empty payload,
// and the two hashes. A count above (bytes left / this) cannot be honest.
constexpr size_t kMinEventBytes = 7 + 66;

size_t VarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

bool ReadHash(BinaryReader& r, Hash& out) {
  std::string bytes = r.Bytes();
  if (!r.ok() || bytes.size() != out.size()) return false;
  std::memcpy(out.data(), bytes.data(), out.size());
  return true;
}

std::string_view HashBytes(const Hash& h) {
  return {reinterpret_cast<const char*>(h.data()), h.size()};
}

}  // namespace

size_t EncodedSize(const StoredEvent& e) {
  return VarintSize(e.seq.value) + 10 + VarintSize(e.actor.size()) + e.actor.size() +
         VarintSize(e.agency.size()) + e.agency.size() + 2 + 3 + VarintSize(e.payload.size()) +
         e.payload.size() + 66;
}

std::string EncodeBatch(std::span<const StoredEvent> events) {
  std::string out(kMagic);
  BinaryWriter w(out);
  w.Varint(events.size());
  for (const StoredEvent& e : events) {
    w.Varint(e.seq.value);
    w.Signed(e.time.ms);
    w.Bytes(e.actor);
    w.Bytes(e.agency);
    w.Varint(static_cast<uint64_t>(e.classification));
    w.Varint(static_cast<uint64_t>(e.type));
    w.Bytes(e.payload);
    w.Bytes(HashBytes(e.prev_hash));
    w.Bytes(HashBytes(e.hash));
  }
  return out;
}

StatusOr<std::vector<StoredEvent>> DecodeBatch(std::string_view body) {
  if (body.substr(0, kMagic.size()) != kMagic)
    return DataLoss("event batch: does not start with " + std::string(kMagic));
  std::string_view in = body.substr(kMagic.size());
  BinaryReader r(in);
  uint64_t count = r.Varint();
  if (r.ok() && count > in.size() / kMinEventBytes)
    return DataLoss("event batch: count " + std::to_string(count) + " past the end");
  std::vector<StoredEvent> out;
  out.reserve(count);
  for (uint64_t i = 0; i < count && r.ok(); ++i) {
    StoredEvent& e = out.emplace_back();
    e.seq = Seq(r.Varint());
    e.time.ms = r.Signed();
    e.actor = r.Bytes();
    e.agency = r.Bytes();
    uint64_t cls = r.Varint();
    uint64_t type = r.Varint();
    e.payload = r.Bytes();
    if (!r.ok()) break;
    if (cls >= static_cast<uint64_t>(kClassificationCount))
      return DataLoss("event " + std::to_string(e.seq.value) + ": classification out of range");
    if (type > 0xFFFF)
      return DataLoss("event " + std::to_string(e.seq.value) + ": type out of range");
    e.classification = static_cast<Classification>(cls);
    e.type = static_cast<EventType>(type);
    if (!ReadHash(r, e.prev_hash) || !ReadHash(r, e.hash)) {
      if (!r.ok()) break;
      return DataLoss("event " + std::to_string(e.seq.value) + ": a hash is not 32 bytes");
    }
  }
  if (!r.ok()) return DataLoss("event batch: " + r.error());
  if (!r.AtEnd()) return DataLoss("event batch: bytes after the last event");
  return out;
}

}  // namespace ncc::jetstream
