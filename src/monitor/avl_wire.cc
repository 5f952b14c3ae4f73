#include "monitor/avl_wire.h"

#include <cmath>
#include <cstring>

namespace ncc::monitor::wire {
namespace {

template <typename T>
void Put(std::string& out, T v) {
  char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));  // little-endian hosts only (x86-64, arm64)
  out.append(b, sizeof(T));
}

template <typename T>
T Get(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

int32_t E7(double deg) {
  double v = std::round(deg * 1e7);
  return std::isfinite(v) && v < 2e9 && v > -2e9 ? static_cast<int32_t>(v) : INT32_MAX;
}

uint16_t Clamp16(double v) {
  return !std::isfinite(v) || v < 0 ? 0 : v > 65535 ? 65535 : static_cast<uint16_t>(std::lround(v));
}

}  // namespace

void PutRecord(std::string& out, const PositionFix& f) {
  Put<uint64_t>(out, f.unit.value);
  Put<int64_t>(out, f.time.ms);
  Put<int32_t>(out, E7(f.position.lat));
  Put<int32_t>(out, E7(f.position.lon));
  Put<uint16_t>(out, Clamp16(f.speed * 100));
  Put<uint16_t>(out, Clamp16(f.heading * 100));
}

PositionFix GetRecord(const uint8_t* p) {
  PositionFix f;
  f.unit = UnitId(Get<uint64_t>(p));
  f.time = Time{Get<int64_t>(p + 8)};
  f.position = {Get<int32_t>(p + 16) / 1e7, Get<int32_t>(p + 20) / 1e7};
  f.speed = Get<uint16_t>(p + 24) / 100.0;
  f.heading = Get<uint16_t>(p + 26) / 100.0;
  return f;
}

StatusOr<size_t> ParseHello(std::span<const uint8_t> in, std::string& key) {
  if (in.size() < 6) {
    // memcmp of an empty span would pass a null pointer (undefined even for length 0).
    if (!in.empty() && std::memcmp(in.data(), kTcpMagic, std::min<size_t>(in.size(), 4)) != 0)
      return InvalidArgument("not an ncc tracker hello (expected \"NAVL\")", "hello");
    return size_t{0};
  }
  if (std::memcmp(in.data(), kTcpMagic, 4) != 0)
    return InvalidArgument("not an ncc tracker hello (expected \"NAVL\")", "hello");
  if (in[4] != kVersion)
    return InvalidArgument("unsupported version " + std::to_string(in[4]), "version");
  size_t n = in[5];
  if (n == 0 || n > kMaxKeyBytes) return InvalidArgument("key length must be 1..200", "key");
  if (in.size() < 6 + n) return size_t{0};
  key.assign(reinterpret_cast<const char*>(in.data()) + 6, n);
  return 6 + n;
}

std::string EncodeHello(std::string_view key) {
  std::string out(kTcpMagic, 4);
  out += static_cast<char>(kVersion);
  out += static_cast<char>(key.size());
  out += key;
  return out;
}

std::string EncodeHelloReply(HelloStatus status, std::string_view message) {
  std::string out;
  out += static_cast<char>(status);
  message = message.substr(0, 255);
  out += static_cast<char>(message.size());
  out += message;
  return out;
}

StatusOr<size_t> ParseBatchHeader(std::span<const uint8_t> in, uint32_t& batch_id,
                                  uint16_t& count) {
  if (in.empty()) return size_t{0};
  if (in[0] != kBatchType) return InvalidArgument("expected a batch ('B')", "type");
  if (in.size() < kBatchHeaderBytes) return size_t{0};
  batch_id = Get<uint32_t>(in.data() + 1);
  count = Get<uint16_t>(in.data() + 5);
  if (count == 0 || count > kMaxBatch)
    return InvalidArgument("batch count must be 1.." + std::to_string(kMaxBatch), "count");
  return kBatchHeaderBytes;
}

std::string EncodeBatch(uint32_t batch_id, std::span<const PositionFix> fixes) {
  std::string out;
  out.reserve(kBatchHeaderBytes + fixes.size() * kRecordBytes);
  out += static_cast<char>(kBatchType);
  Put<uint32_t>(out, batch_id);
  Put<uint16_t>(out, static_cast<uint16_t>(fixes.size()));
  for (const PositionFix& f : fixes) PutRecord(out, f);
  return out;
}

Status ParseDatagram(std::span<const uint8_t> in, std::string& key, uint32_t& batch_id,
                     std::vector<PositionFix>& fixes) {
  if (in.size() < 6 || std::memcmp(in.data(), kUdpMagic, 4) != 0)
    return InvalidArgument("not an ncc tracker datagram (expected \"NAVU\")", "magic");
  if (in[4] != kVersion)
    return InvalidArgument("unsupported version " + std::to_string(in[4]), "version");
  size_t n = in[5];
  if (n == 0 || n > kMaxKeyBytes) return InvalidArgument("key length must be 1..200", "key");
  size_t at = 6 + n;
  if (in.size() < at + 6) return InvalidArgument("truncated header", "count");
  key.assign(reinterpret_cast<const char*>(in.data()) + 6, n);
  batch_id = Get<uint32_t>(in.data() + at);
  uint16_t count = Get<uint16_t>(in.data() + at + 4);
  at += 6;
  if (count == 0) return InvalidArgument("empty batch", "count");
  if (in.size() != at + size_t{count} * kRecordBytes)
    return InvalidArgument("length does not match count " + std::to_string(count), "count");
  fixes.clear();
  fixes.reserve(count);
  for (size_t i = 0; i < count; ++i) fixes.push_back(GetRecord(in.data() + at + i * kRecordBytes));
  return Status::Ok();
}

std::string EncodeDatagram(std::string_view key, uint32_t batch_id,
                           std::span<const PositionFix> fixes) {
  std::string out(kUdpMagic, 4);
  out += static_cast<char>(kVersion);
  out += static_cast<char>(key.size());
  out += key;
  Put<uint32_t>(out, batch_id);
  Put<uint16_t>(out, static_cast<uint16_t>(fixes.size()));
  for (const PositionFix& f : fixes) PutRecord(out, f);
  return out;
}

std::string EncodeAck(const Ack& ack) {
  std::string out;
  out += static_cast<char>(kAckType);
  Put<uint32_t>(out, ack.batch_id);
  Put<uint16_t>(out, ack.accepted);
  Put<uint16_t>(out, static_cast<uint16_t>(ack.rejected.size()));
  for (auto [index, reason] : ack.rejected) {
    Put<uint16_t>(out, index);
    out += static_cast<char>(reason);
  }
  return out;
}

StatusOr<size_t> ParseAck(std::span<const uint8_t> in, Ack& ack) {
  if (in.empty()) return size_t{0};
  if (in[0] != kAckType) return InvalidArgument("expected an ack ('A')", "type");
  if (in.size() < 9) return size_t{0};
  ack.batch_id = Get<uint32_t>(in.data() + 1);
  ack.accepted = Get<uint16_t>(in.data() + 5);
  size_t n = Get<uint16_t>(in.data() + 7);
  if (n > kMaxBatch) return InvalidArgument("too many rejections", "rejected");
  if (in.size() < 9 + n * 3) return size_t{0};
  ack.rejected.clear();
  for (size_t i = 0; i < n; ++i)
    ack.rejected.push_back({Get<uint16_t>(in.data() + 9 + i * 3), in[9 + i * 3 + 2]});
  return 9 + n * 3;
}

}  // namespace ncc::monitor::wire
