#include "track/track_format.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>

namespace ncc::track {
namespace {

constexpr std::array<uint32_t, 256> MakeCrcTable() {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    t[i] = c;
  }
  return t;
}
constexpr std::array<uint32_t, 256> kCrcTable = MakeCrcTable();

void PutFixed32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
uint32_t GetFixed32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  return v;
}

Status NeedMore() {
  return Unavailable("truncated");
}

}  // namespace

uint32_t Crc32(const void* data, size_t n, uint32_t crc) {
  const auto* p = static_cast<const uint8_t*>(data);
  crc = ~crc;
  for (size_t i = 0; i < n; ++i) crc = kCrcTable[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

void PutVarint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

bool GetVarint(std::string_view in, size_t& pos, uint64_t& v) {
  v = 0;
  for (int shift = 0; shift < 64 && pos < in.size(); shift += 7) {
    auto b = static_cast<uint8_t>(in[pos++]);
    v |= static_cast<uint64_t>(b & 0x7F) << shift;
    if (!(b & 0x80)) return true;
  }
  return false;
}

int32_t ToFixed(double degrees) {
  return static_cast<int32_t>(std::lround(std::clamp(degrees, -180.0, 180.0) * 1e7));
}

void EncodeBlock(UnitId unit, uint64_t back, const TrackFix* fixes, size_t n, std::string& out) {
  std::string payload;
  payload.reserve(n * 10);
  int64_t prev_t = fixes[0].time.ms, prev_lat = 0, prev_lon = 0;
  for (size_t i = 0; i < n; ++i) {
    const TrackFix& f = fixes[i];
    int64_t lat = ToFixed(f.position.lat), lon = ToFixed(f.position.lon);
    PutVarint(payload, ZigZag(static_cast<int64_t>(static_cast<uint64_t>(f.time.ms) -
                                                   static_cast<uint64_t>(prev_t))));
    PutVarint(payload, ZigZag(lat - prev_lat));
    PutVarint(payload, ZigZag(lon - prev_lon));
    float speed = std::isfinite(f.speed_mps) ? std::clamp(f.speed_mps, 0.0f, 1e6f) : 0.0f;
    float heading = std::isfinite(f.heading_deg) ? std::clamp(f.heading_deg, 0.0f, 360.0f) : 0.0f;
    PutVarint(payload, static_cast<uint64_t>(std::lround(speed * 100)));
    PutVarint(payload, static_cast<uint64_t>(std::lround(heading * 10)));
    prev_t = f.time.ms;
    prev_lat = lat;
    prev_lon = lon;
  }
  size_t start = out.size();
  out.push_back(static_cast<char>(kBlockMagic));
  PutVarint(out, payload.size());
  PutVarint(out, unit.value);
  PutVarint(out, n);
  PutVarint(out, back);
  PutVarint(out, ZigZag(fixes[0].time.ms));
  PutVarint(out, ZigZag(static_cast<int64_t>(static_cast<uint64_t>(fixes[n - 1].time.ms) -
                                             static_cast<uint64_t>(fixes[0].time.ms))));
  uint32_t crc = Crc32(out.data() + start, out.size() - start);
  crc = Crc32(payload.data(), payload.size(), crc);
  PutFixed32(out, crc);
  out += payload;
}

Status DecodeBlockHeader(std::string_view in, BlockHeader& h) {
  if (in.empty()) return NeedMore();
  if (static_cast<uint8_t>(in[0]) != kBlockMagic) return DataLoss("bad block magic");
  size_t pos = 1;
  uint64_t v[6];
  for (uint64_t& x : v) {
    if (!GetVarint(in, pos, x)) {
      return pos >= in.size() && in.size() < kMaxBlockHeader ? NeedMore()
                                                             : DataLoss("bad block header varint");
    }
  }
  if (pos + 4 > in.size()) return NeedMore();
  if (v[0] > kMaxPayload) return DataLoss("block payload too large");
  if (v[2] == 0 || v[2] > kMaxFixesPerBlock) return DataLoss("bad block fix count");
  if (v[1] == 0) return DataLoss("block for unit 0");
  h.payload_len = static_cast<uint32_t>(v[0]);
  h.unit = UnitId{v[1]};
  h.count = static_cast<uint32_t>(v[2]);
  h.back = v[3];
  h.t_first = UnZigZag(v[4]);
  h.t_last = static_cast<int64_t>(static_cast<uint64_t>(h.t_first) +
                                  static_cast<uint64_t>(UnZigZag(v[5])));
  h.header_len = static_cast<uint32_t>(pos + 4);
  return Status::Ok();
}

Status VerifyBlock(std::string_view block, const BlockHeader& h) {
  if (block.size() < static_cast<size_t>(h.header_len) + h.payload_len) return NeedMore();
  uint32_t crc = Crc32(block.data(), h.header_len - 4);
  crc = Crc32(block.data() + h.header_len, h.payload_len, crc);
  if (crc != GetFixed32(block.data() + h.header_len - 4))
    return DataLoss("block checksum mismatch");
  return Status::Ok();
}

Status DecodeBlock(std::string_view block, const BlockHeader& h, std::vector<TrackFix>& out) {
  NCC_RETURN_IF_ERROR(VerifyBlock(block, h));
  std::string_view payload = block.substr(h.header_len, h.payload_len);
  size_t pos = 0;
  int64_t t = h.t_first, lat = 0, lon = 0;
  for (uint32_t i = 0; i < h.count; ++i) {
    uint64_t v[5];
    for (uint64_t& x : v)
      if (!GetVarint(payload, pos, x)) return DataLoss("block payload ends early");
    // Unsigned arithmetic: a hostile (but correctly checksummed) delta may not overflow into UB.
    t = static_cast<int64_t>(static_cast<uint64_t>(t) + static_cast<uint64_t>(UnZigZag(v[0])));
    lat = static_cast<int64_t>(static_cast<uint64_t>(lat) + static_cast<uint64_t>(UnZigZag(v[1])));
    lon = static_cast<int64_t>(static_cast<uint64_t>(lon) + static_cast<uint64_t>(UnZigZag(v[2])));
    if (lat < -900'000'000 || lat > 900'000'000 || lon < -1'800'000'000 || lon > 1'800'000'000)
      return DataLoss("block position out of range");
    out.push_back(TrackFix{Time{t}, LatLon{FromFixed(lat), FromFixed(lon)},
                           static_cast<float>(static_cast<double>(v[3] % (1ull << 40)) / 100.0),
                           static_cast<float>(static_cast<double>(v[4] % (1ull << 40)) / 10.0)});
  }
  if (pos != payload.size()) return DataLoss("block payload has trailing bytes");
  if (t != h.t_last) return DataLoss("block last time disagrees with header");
  return Status::Ok();
}

ScanResult ScanTrack(const ReadAt& read, uint64_t size,
                     const std::function<Status(uint64_t, const BlockHeader&)>& on_block) {
  ScanResult r;
  char head[kFileHeaderSize];
  if (size < kFileHeaderSize || read(0, kFileHeaderSize, head) != kFileHeaderSize) {
    r.problem = DataLoss("file shorter than its header");
    return r;
  }
  if (std::memcmp(head, kFileMagic, sizeof kFileMagic) != 0) {
    r.problem = DataLoss("not a track file (bad magic)");
    return r;
  }
  if (GetFixed32(head + 8) != kFormatVersion) {
    r.problem = FailedPrecondition("unsupported track format version " +
                                   std::to_string(GetFixed32(head + 8)));
    return r;
  }
  uint64_t off = kFileHeaderSize;
  r.valid_bytes = off;
  std::string buf;
  while (off < size) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(kMaxBlockHeader, size - off));
    buf.resize(want);
    buf.resize(read(off, want, buf.data()));
    BlockHeader h;
    Status s = DecodeBlockHeader(buf, h);
    if (s.ok()) {
      uint64_t total = uint64_t{h.header_len} + h.payload_len;
      if (total > size - off) {
        s = DataLoss("block truncated");
      } else {
        buf.resize(total);
        if (read(off, total, buf.data()) != total) s = DataLoss("short read");
        if (s.ok()) s = VerifyBlock(buf, h);
        if (s.ok() && h.back > off - kFileHeaderSize)
          s = DataLoss("block back pointer out of range");
        if (s.ok()) s = on_block(off, h);
        if (s.ok()) {
          off += total;
          r.valid_bytes = off;
          ++r.blocks;
          r.fixes += h.count;
          continue;
        }
      }
    } else if (s.code() == StatusCode::kUnavailable) {
      s = DataLoss("block header truncated");
    }
    r.problem = Status(s.code(), s.message() + " at offset " + std::to_string(off));
    return r;
  }
  return r;
}

}  // namespace ncc::track
