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

namespace {

// The fixes of one block, delta-encoded (the same in both versions).
std::string EncodePayload(const TrackFix* fixes, size_t n) {
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
  return payload;
}

uint64_t TimeSpan(const TrackFix* fixes, size_t n) {
  return ZigZag(static_cast<int64_t>(static_cast<uint64_t>(fixes[n - 1].time.ms) -
                                     static_cast<uint64_t>(fixes[0].time.ms)));
}

}  // namespace

void EncodeBlock(UnitId unit, uint64_t back, uint64_t first_fix, const TrackFix* fixes, size_t n,
                 std::string& out) {
  const std::string payload = EncodePayload(fixes, n);
  const size_t start = out.size();
  out.push_back(static_cast<char>(kBlockMagic));
  for (uint64_t v : {uint64_t{payload.size()}, unit.value, uint64_t{n}, first_fix, back,
                     ZigZag(fixes[0].time.ms), TimeSpan(fixes, n)})
    PutVarint(out, v);
  PutFixed32(out, Crc32(payload.data(), payload.size()));
  PutFixed32(out, Crc32(out.data() + start, out.size() - start));
  out += payload;
}

void EncodeBlockV1(UnitId unit, uint64_t back, const TrackFix* fixes, size_t n, std::string& out) {
  const std::string payload = EncodePayload(fixes, n);
  const size_t start = out.size();
  out.push_back(static_cast<char>(kBlockMagicV1));
  for (uint64_t v : {uint64_t{payload.size()}, unit.value, uint64_t{n}, back,
                     ZigZag(fixes[0].time.ms), TimeSpan(fixes, n)})
    PutVarint(out, v);
  uint32_t crc = Crc32(out.data() + start, out.size() - start);
  PutFixed32(out, Crc32(payload.data(), payload.size(), crc));
  out += payload;
}

Status DecodeBlockHeader(std::string_view in, BlockHeader& h, uint32_t version) {
  const bool v1 = version == kFormatVersion1;
  if (in.empty()) return NeedMore();
  if (static_cast<uint8_t>(in[0]) != (v1 ? kBlockMagicV1 : kBlockMagic))
    return DataLoss("bad block magic");
  // v2: payload_len unit count first_fix back t_first t_span; v1 has no first_fix.
  uint64_t v[7] = {};
  const size_t fields = v1 ? 6 : 7;
  size_t pos = 1;
  for (size_t i = 0; i < fields; ++i) {
    uint64_t& x = v[v1 && i >= 3 ? i + 1 : i];
    if (!GetVarint(in, pos, x)) {
      return pos >= in.size() && in.size() < kMaxBlockHeader ? NeedMore()
                                                             : DataLoss("bad block header varint");
    }
  }
  const size_t crcs = v1 ? 4 : 8;
  if (pos + crcs > in.size()) return NeedMore();
  if (!v1) {
    h.payload_crc = GetFixed32(in.data() + pos);
    if (Crc32(in.data(), pos + 4) != GetFixed32(in.data() + pos + 4))
      return DataLoss("block header checksum mismatch");
  }
  // Each fix is five varints of 1..10 bytes: a length outside that cannot be a block.
  if (v[2] == 0 || v[2] > kMaxFixesPerBlock) return DataLoss("bad block fix count");
  if (v[0] > kMaxPayload || v[0] < 5 * v[2] || v[0] > 50 * v[2])
    return DataLoss("block payload length does not fit its fix count");
  if (v[1] == 0) return DataLoss("block for unit 0");
  if (v[3] > UINT64_MAX - v[2]) return DataLoss("block fix number out of range");
  h.version = v1 ? kFormatVersion1 : kFormatVersion;
  h.payload_len = static_cast<uint32_t>(v[0]);
  h.unit = UnitId{v[1]};
  h.count = static_cast<uint32_t>(v[2]);
  h.first_fix = v[3];
  h.back = v[4];
  h.t_first = UnZigZag(v[5]);
  h.t_last = static_cast<int64_t>(static_cast<uint64_t>(h.t_first) +
                                  static_cast<uint64_t>(UnZigZag(v[6])));
  h.header_len = static_cast<uint32_t>(pos + crcs);
  return Status::Ok();
}

Status VerifyBlock(std::string_view block, const BlockHeader& h) {
  if (block.size() < h.size()) return NeedMore();
  const char* payload = block.data() + h.header_len;
  if (h.version == kFormatVersion1) {
    uint32_t crc = Crc32(block.data(), h.header_len - 4);
    if (Crc32(payload, h.payload_len, crc) != GetFixed32(block.data() + h.header_len - 4))
      return DataLoss("block checksum mismatch");
    return Status::Ok();
  }
  if (Crc32(payload, h.payload_len) != h.payload_crc)
    return DataLoss("block payload checksum mismatch");
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

namespace {

// A read-ahead window over ReadAt: the scan makes one read per MiB instead of two per block,
// and every byte it looks at comes through Get, which never reaches outside [0, size).
class Window {
 public:
  static constexpr size_t kChunk = 1 << 20;
  Window(const ReadAt& read, uint64_t size) : read_(read), size_(size) {}
  uint64_t size() const { return size_; }
  bool failed() const { return failed_; }
  // Up to n bytes at `off`: fewer only at the end of the file or after a read error.
  std::string_view Get(uint64_t off, size_t n) {
    if (off >= size_) return {};
    n = static_cast<size_t>(std::min<uint64_t>(n, size_ - off));
    if (off < start_ || off + n > start_ + buf_.size()) Fill(off, std::max(n, kChunk));
    return std::string_view(buf_).substr(static_cast<size_t>(off - start_), n);
  }

 private:
  void Fill(uint64_t off, size_t n) {
    n = static_cast<size_t>(std::min<uint64_t>(n, size_ - off));
    buf_.resize(n);
    size_t got = read_(off, n, buf_.data());
    if (got < n) failed_ = true;  // the file is shorter than it said, or the disk failed
    buf_.resize(std::min(got, n));
    start_ = off;
  }

  const ReadAt& read_;
  const uint64_t size_;
  uint64_t start_ = 0;
  std::string buf_;
  bool failed_ = false;
};

// What is at one offset: a block whose header and payload check (ok), or why not. `trusted`:
// the header checked on its own, so the block's length is known; `past_end`: the bytes end
// before the header or the block does (a torn write).
struct Probe {
  Status status;
  BlockHeader h;
  bool trusted = false;
  bool past_end = false;
};

Probe ProbeBlock(Window& w, uint64_t off, uint32_t version) {
  Probe p;
  p.status = DecodeBlockHeader(w.Get(off, kMaxBlockHeader), p.h, version);
  if (!p.status.ok()) {
    p.past_end = p.status.code() == StatusCode::kUnavailable;
    if (p.past_end) p.status = DataLoss("block header runs past the end of the file");
    return p;
  }
  p.trusted = version != kFormatVersion1;  // a v1 header has no checksum of its own
  if (p.h.size() > w.size() - off) {
    p.past_end = true;
    p.status = DataLoss("block runs past the end of the file");
    return p;
  }
  p.status = VerifyBlock(w.Get(off, static_cast<size_t>(p.h.size())), p.h);
  return p;
}

Status At(const Status& s, uint64_t off) {
  return Status(s.code(), s.message() + " at offset " + std::to_string(off));
}

// The next offset in [from, size) where a valid block starts whose fix number does not go back
// (a block that passes both CRCs by chance inside damaged bytes is astronomically unlikely; one
// that also numbers its fixes consistently, more so); `size` if there is none.
uint64_t Resync(Window& w, uint64_t from, uint32_t version, uint64_t next_fix) {
  const auto magic = static_cast<char>(version == kFormatVersion1 ? kBlockMagicV1 : kBlockMagic);
  for (uint64_t pos = from; pos < w.size() && !w.failed();) {
    std::string_view chunk = w.Get(pos, Window::kChunk);
    if (chunk.empty()) break;
    const void* hit = std::memchr(chunk.data(), magic, chunk.size());
    if (!hit) {
      pos += chunk.size();
      continue;
    }
    uint64_t at = pos + static_cast<uint64_t>(static_cast<const char*>(hit) - chunk.data());
    Probe p = ProbeBlock(w, at, version);
    if (p.status.ok() && (version == kFormatVersion1 || p.h.first_fix >= next_fix)) return at;
    pos = at + 1;
  }
  return w.size();
}

Status ReadFileHeader(Window& w, uint32_t& version) {
  std::string_view head = w.Get(0, kFileHeaderSize);
  if (head.size() < kFileHeaderSize) return DataLoss("file shorter than its header");
  if (std::memcmp(head.data(), kFileMagic, sizeof kFileMagic) != 0)
    return DataLoss("not a track file (bad magic)");
  version = GetFixed32(head.data() + 8);
  if (version != kFormatVersion && version != kFormatVersion1)
    return FailedPrecondition("unsupported track format version " + std::to_string(version));
  return Status::Ok();
}

}  // namespace

ScanResult ScanTrack(const ReadAt& read, uint64_t size, const OnBlock& on_block) {
  ScanResult r;
  Window w(read, size);
  r.problem = ReadFileHeader(w, r.version);
  if (!r.problem.ok()) return r;
  const bool v1 = r.version == kFormatVersion1;
  uint64_t off = kFileHeaderSize;
  r.end = off;
  while (off < size) {
    Probe p = ProbeBlock(w, off, r.version);
    if (p.status.ok()) {
      if (v1) p.h.first_fix = r.next_fix;  // v1 does not number fixes: count them here
      if (p.h.first_fix < r.next_fix) p.status = DataLoss("block numbers its fixes backwards");
      if (p.status.ok()) p.status = on_block(off, p.h);
      if (p.status.ok()) {
        r.lost_fixes += p.h.first_fix - r.next_fix;  // what the damaged bytes before it held
        r.next_fix = p.h.first_fix + p.h.count;
        ++r.blocks;
        r.fixes += p.h.count;
        off += p.h.size();
        r.end = off;
        continue;
      }
    }
    if (w.failed()) break;
    // A damaged block: skip to the next valid one. Its length is known when its header checks
    // on its own; otherwise look from the next byte.
    const bool whole = p.trusted && !p.past_end;
    uint64_t next = Resync(w, whole ? off + p.h.size() : off + 1, r.version, r.next_fix);
    if (w.failed()) break;
    if (next >= size) {  // nothing valid after it: a tail, to be cut
      r.tail = At(Status(StatusCode::kDataLoss,
                         (p.past_end ? "torn tail: " : "corrupt tail: ") + p.status.message()),
                  off);
      return r;
    }
    if (r.first_loss.ok()) r.first_loss = At(p.status, off);
    ++r.lost_blocks;
    r.lost_bytes += next - off;
    off = next;
  }
  if (w.failed()) r.problem = Unavailable("read error near offset " + std::to_string(off));
  return r;
}

}  // namespace ncc::track
