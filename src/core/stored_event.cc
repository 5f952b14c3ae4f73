#include "core/stored_event.h"

#include <openssl/sha.h>

#include "core/codec.h"
#include "core/json_writer.h"

namespace ncc {

EventType TypeOf(const EventBody& body) {
  return std::visit([](const auto& b) { return std::decay_t<decltype(b)>::kType; }, body);
}

std::string_view NameOf(EventType type) {
  std::string_view name = "unknown";
  // Walk the variant's alternatives to find the one with this type number.
  [&]<size_t... I>(std::index_sequence<I...>) {
    ((std::variant_alternative_t<I, EventBody>::kType == type
          ? (name = std::variant_alternative_t<I, EventBody>::kName, 0)
          : 0),
     ...);
  }
  (std::make_index_sequence<std::variant_size_v<EventBody>>{});
  return name;
}

StoredEvent Encode(const Event& event, const Hash& prev) {
  StoredEvent s;
  s.seq = event.meta.seq;
  s.time = event.meta.time;
  s.actor = event.meta.actor;
  s.agency = event.meta.agency;
  s.classification = event.meta.classification;
  s.type = TypeOf(event.body);
  std::visit([&](const auto& b) { BinaryWriter(s.payload).Write(b); }, event.body);
  s.prev_hash = prev;
  s.hash = ChainHash(s);
  return s;
}

StatusOr<Event> Decode(const StoredEvent& s) {
  Event e{{s.seq, s.time, s.actor, s.agency, s.classification}, {}};
  bool found = false;
  BinaryReader reader(s.payload);
  [&]<size_t... I>(std::index_sequence<I...>) {
    ((std::variant_alternative_t<I, EventBody>::kType == s.type
          ? (reader.Read(e.body.emplace<I>()), found = true, 0)
          : 0),
     ...);
  }
  (std::make_index_sequence<std::variant_size_v<EventBody>>{});
  if (!found)
    return DataLoss("event " + std::to_string(s.seq.value) + ": unknown event type " +
                    std::to_string(static_cast<int>(s.type)));
  if (!reader.ok() || !reader.AtEnd())
    return DataLoss("event " + std::to_string(s.seq.value) + ": payload does not decode (" +
                    (reader.ok() ? std::string("trailing bytes") : reader.error()) + ")");
  return e;
}

Hash ChainHash(const StoredEvent& e) {
  std::string buf;
  buf.reserve(64 + e.actor.size() + e.agency.size() + e.payload.size());
  buf.append(reinterpret_cast<const char*>(e.prev_hash.data()), e.prev_hash.size());
  BinaryWriter w(buf);
  w.Varint(e.seq.value);
  w.Signed(e.time.ms);
  w.Bytes(e.actor);
  w.Bytes(e.agency);
  w.Varint(static_cast<uint64_t>(e.classification));
  w.Varint(static_cast<uint64_t>(e.type));
  w.Bytes(e.payload);
  Hash h;
  SHA256(reinterpret_cast<const unsigned char*>(buf.data()), buf.size(), h.data());
  return h;
}

std::string HexOf(const Hash& h) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  s.reserve(64);
  for (uint8_t b : h) {
    s.push_back(kHex[b >> 4]);
    s.push_back(kHex[b & 15]);
  }
  return s;
}

nlohmann::json EventToJson(const Event& event) {
  nlohmann::json j;
  j["seq"] = event.meta.seq.value;
  j["time"] = FormatTime(event.meta.time);
  j["type"] = NameOf(TypeOf(event.body));
  j["actor"] = event.meta.actor;
  j["agency"] = event.meta.agency;
  j["classification"] = Name(event.meta.classification);
  j["data"] = std::visit([](const auto& b) { return JsonWriter::ToJson(b); }, event.body);
  return j;
}

}  // namespace ncc
