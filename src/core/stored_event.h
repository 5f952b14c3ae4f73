// An event as the log holds it: the envelope, the body as compact bytes, and the hash chain.
// hash = SHA-256(prev_hash, seq, time, actor, agency, classification, type, payload), so
// changing, removing or reordering any stored event breaks every hash after it.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "core/events.h"
#include "core/status.h"

namespace ncc {

struct StoredEvent {
  Seq seq;
  Time time;
  std::string actor;
  std::string agency;
  Classification classification = Classification::kRestricted;
  EventType type = EventType::kAgencyRegistered;
  std::string payload;  // BinaryWriter form of the body
  Hash prev_hash{};
  Hash hash{};
};

// Encodes an event for storage; `prev` is the hash of the event before it (zeros for seq 1).
StoredEvent Encode(const Event& event, const Hash& prev);
// Decodes the body; kDataLoss naming the seq when the bytes do not parse.
StatusOr<Event> Decode(const StoredEvent& stored);

Hash ChainHash(const StoredEvent& e);
std::string HexOf(const Hash& h);

// {"seq","time","type","actor","agency","classification","data":{...}}
nlohmann::json EventToJson(const Event& event);

}  // namespace ncc
