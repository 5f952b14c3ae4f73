// The body of one JetStream message of the event log: a run of consecutive StoredEvents, each
// with exactly the bytes the SQLite backend keeps in its columns (seq, time, actor, agency,
// classification, type, payload, prev_hash, hash), so that ChainHash and VerifyChain see the
// same event whichever backend stored it.
//
// Form: "NCB1", a varint count, then per event: varint seq, zigzag time, actor and agency as
// varint-length bytes, varint classification, varint type, payload as varint-length bytes,
// then prev_hash and hash as varint-length bytes (32 each). Nothing may follow the last event.
//
// Owner: store/jetstream. Pure functions, any thread. Errors: DecodeBatch returns kDataLoss
// naming what is wrong and where (the bytes come from the server: a damaged or hostile stream).
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/stored_event.h"

namespace ncc::jetstream {

// Bytes one event takes in a batch body (to cut a batch into parts under the server's limit).
size_t EncodedSize(const StoredEvent& e);
std::string EncodeBatch(std::span<const StoredEvent> events);
StatusOr<std::vector<StoredEvent>> DecodeBatch(std::string_view body);

}  // namespace ncc::jetstream
