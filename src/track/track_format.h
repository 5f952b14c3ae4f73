// The on-disk encoding of track files (see docs/formats/tracks.md, version 1): varints, zigzag,
// CRC-32, and the block codec. Pure functions over bytes, so the fuzzer and the store share them.
// Thread: stateless; any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/geo_point.h"
#include "core/ids.h"
#include "core/status.h"

namespace ncc::track {

inline constexpr char kFileMagic[8] = {'N', 'C', 'C', 'T', 'R', 'A', 'C', 'K'};
inline constexpr uint32_t kFormatVersion = 1;
inline constexpr size_t kFileHeaderSize = 16;  // magic, u32 version, u32 flags (0)
inline constexpr uint8_t kBlockMagic = 0xB1;
inline constexpr size_t kMaxBlockHeader = 1 + 6 * 10 + 4;
inline constexpr uint32_t kMaxFixesPerBlock = 1u << 16;
inline constexpr uint32_t kMaxPayload = kMaxFixesPerBlock * 5 * 10;

// A fix as the track keeps it: 1e-7 degree resolution (about 1 cm), speed in cm/s, heading in
// tenths of a degree.
struct TrackFix {
  Time time;
  LatLon position;
  float speed_mps = 0;
  float heading_deg = 0;
  bool operator==(const TrackFix&) const = default;
};

uint32_t Crc32(const void* data, size_t n, uint32_t crc = 0);

void PutVarint(std::string& out, uint64_t v);
// Reads a varint at `pos`, advancing it; false if truncated or longer than 10 bytes.
bool GetVarint(std::string_view in, size_t& pos, uint64_t& v);
inline uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
inline int64_t UnZigZag(uint64_t v) {
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}
int32_t ToFixed(double degrees);  // 1e-7 degrees, rounded
inline double FromFixed(int64_t fixed) {
  return static_cast<double>(fixed) * 1e-7;
}

struct BlockHeader {
  UnitId unit;
  uint32_t count = 0;
  uint64_t back = 0;  // bytes from this block's start back to the unit's previous block; 0: first
  int64_t t_first = 0, t_last = 0;
  uint32_t payload_len = 0;
  uint32_t header_len = 0;  // encoded size, including the CRC
};

// Appends one block holding `fixes` (one unit, at least one, in time order) to `out`.
void EncodeBlock(UnitId unit, uint64_t back, const TrackFix* fixes, size_t n, std::string& out);

// Parses a block header from the start of `in`. NeedMore (returned as kUnavailable) when `in` is
// too short to tell; DataLoss when the bytes cannot be a header.
Status DecodeBlockHeader(std::string_view in, BlockHeader& h);
// Checks the CRC of a whole block (header + payload) and decodes its fixes into `out`.
Status DecodeBlock(std::string_view block, const BlockHeader& h, std::vector<TrackFix>& out);
// CRC check only.
Status VerifyBlock(std::string_view block, const BlockHeader& h);

// Result of scanning a file image: the valid prefix and what ended it.
struct ScanResult {
  uint64_t valid_bytes = 0;
  uint64_t blocks = 0;
  uint64_t fixes = 0;
  Status problem;  // ok when the whole input was valid
};
// Reads bytes [offset, offset+n) into `dst`; returns how many it could read.
using ReadAt = std::function<size_t(uint64_t offset, size_t n, char* dst)>;
// Walks every block after the file header, calling `on_block(offset, header)` for each valid one.
ScanResult ScanTrack(const ReadAt& read, uint64_t size,
                     const std::function<Status(uint64_t, const BlockHeader&)>& on_block);

}  // namespace ncc::track
