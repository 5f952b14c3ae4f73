// The compact tracker protocol (docs/formats/avl-lane.md, version 1): fixed 28-byte records,
// little-endian, over TCP (a hello with an API key, then pipelined batches, each acknowledged
// once durable) or UDP (one self-contained datagram per batch, key included, ack datagram back).
//
// Thread: pure functions; any thread. Every parser takes untrusted bytes (fuzz/avl_wire_fuzz.cc).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/events.h"
#include "core/status.h"

namespace ncc::monitor::wire {

inline constexpr uint8_t kVersion = 1;
inline constexpr size_t kRecordBytes = 28;
inline constexpr size_t kMaxKeyBytes = 200;
inline constexpr size_t kMaxBatch = 10'000;     // records per TCP batch
inline constexpr size_t kMaxDatagram = 65'507;  // largest UDP payload
inline constexpr char kTcpMagic[4] = {'N', 'A', 'V', 'L'};
inline constexpr char kUdpMagic[4] = {'N', 'A', 'V', 'U'};
inline constexpr uint8_t kBatchType = 'B', kAckType = 'A', kErrorType = 'E';

// Hello reply status (TCP).
enum class HelloStatus : uint8_t { kOk = 0, kBadHello = 1, kUnauthenticated = 2, kForbidden = 3 };

void PutRecord(std::string& out, const PositionFix& f);
PositionFix GetRecord(const uint8_t* p);  // kRecordBytes readable

// TCP hello "NAVL" ver keylen key. Returns bytes consumed, 0 when more bytes are needed, or an
// error for a wrong magic/version/length.
StatusOr<size_t> ParseHello(std::span<const uint8_t> in, std::string& key);
std::string EncodeHello(std::string_view key);
std::string EncodeHelloReply(HelloStatus status, std::string_view message);

// TCP batch header: 'B' u32 batch_id u16 count. Returns the header size (7), 0 if more bytes are
// needed, or an error (wrong type, count 0 or above kMaxBatch).
inline constexpr size_t kBatchHeaderBytes = 7;
StatusOr<size_t> ParseBatchHeader(std::span<const uint8_t> in, uint32_t& batch_id, uint16_t& count);
std::string EncodeBatch(uint32_t batch_id, std::span<const PositionFix> fixes);

// A UDP datagram: "NAVU" ver keylen key u32 batch_id u16 count records; exactly that long.
Status ParseDatagram(std::span<const uint8_t> in, std::string& key, uint32_t& batch_id,
                     std::vector<PositionFix>& fixes);
std::string EncodeDatagram(std::string_view key, uint32_t batch_id,
                           std::span<const PositionFix> fixes);

// Ack (both transports): 'A' u32 batch_id u16 accepted u16 n, n x (u16 index, u8 reason).
struct Ack {
  uint32_t batch_id = 0;
  uint16_t accepted = 0;
  std::vector<std::pair<uint16_t, uint8_t>> rejected;  // (index, monitor::Reason)
};
std::string EncodeAck(const Ack& ack);
// Bytes consumed, 0 if more are needed, or an error.
StatusOr<size_t> ParseAck(std::span<const uint8_t> in, Ack& ack);

}  // namespace ncc::monitor::wire
