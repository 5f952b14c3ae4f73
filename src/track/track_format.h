// The on-disk encoding of track files (see docs/formats/tracks.md, version 2; version 1 is still
// read, to migrate it): varints, zigzag, CRC-32, the block codec and the scan that finds every
// valid block of a file image, skipping damaged ones. Pure functions over bytes, so the fuzzer
// and the store share them.
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
inline constexpr uint32_t kFormatVersion = 2;   // what writers write
inline constexpr uint32_t kFormatVersion1 = 1;  // read only, to migrate (no resync guarantees)
inline constexpr size_t kFileHeaderSize = 16;   // magic, u32 version, u32 flags (0)
inline constexpr uint8_t kBlockMagic = 0xB2;    // version 2 blocks
inline constexpr uint8_t kBlockMagicV1 = 0xB1;  // version 1 blocks
// magic, seven varints, two CRCs (v2); v1 has six varints and one CRC, so this bounds both.
inline constexpr size_t kMaxBlockHeader = 1 + 7 * 10 + 4 + 4;
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
  uint32_t version = kFormatVersion;
  UnitId unit;
  uint32_t count = 0;
  // The file's running fix count before this block (v2): a gap between two valid blocks is the
  // exact number of fixes lost in the damaged bytes between them. For v1 blocks the scan fills
  // in its own running count.
  uint64_t first_fix = 0;
  uint64_t back = 0;  // bytes from this block's start back to the unit's previous block; 0: first
  int64_t t_first = 0, t_last = 0;
  uint32_t payload_len = 0;
  uint32_t payload_crc = 0;  // v2
  uint32_t header_len = 0;   // encoded size, including the CRCs
  uint64_t size() const { return uint64_t{header_len} + payload_len; }
};

// Appends one version-2 block holding `fixes` (one unit, at least one, in time order) to `out`.
void EncodeBlock(UnitId unit, uint64_t back, uint64_t first_fix, const TrackFix* fixes, size_t n,
                 std::string& out);
// The same as a version-1 block: only for tests and seed corpora of the migration path.
void EncodeBlockV1(UnitId unit, uint64_t back, const TrackFix* fixes, size_t n, std::string& out);

// Parses and checks a block header (of `version`) at the start of `in`. A v2 header is trusted
// once this returns ok: its own CRC covers every field, so its lengths can be used before the
// payload is read. Unavailable ("truncated") when `in` is too short to tell; DataLoss when the
// bytes cannot be a header.
Status DecodeBlockHeader(std::string_view in, BlockHeader& h, uint32_t version = kFormatVersion);
// Checks the payload CRC of a whole block (header + payload; for v1 the one CRC of both).
Status VerifyBlock(std::string_view block, const BlockHeader& h);
// VerifyBlock, then decodes its fixes into `out`.
Status DecodeBlock(std::string_view block, const BlockHeader& h, std::vector<TrackFix>& out);

// Result of scanning a file image. Bytes [kFileHeaderSize, end) are kept: valid blocks and the
// damaged ones between them. Bytes [end, size) are a torn or corrupt tail with no valid block
// after it (`tail` says which), to be cut off.
struct ScanResult {
  uint32_t version = 0;
  uint64_t end = 0;
  uint64_t blocks = 0;    // valid blocks
  uint64_t fixes = 0;     // fixes in them
  uint64_t next_fix = 0;  // first_fix of the next block to write: every fix ever counted
  // Damaged bytes in the middle of the file, skipped: regions (one per bad block, or per run of
  // bytes where no block could be read), their bytes, and the fixes they held (exact for v2
  // when a valid block follows; for v1 unknown, so 0).
  uint64_t lost_blocks = 0, lost_bytes = 0, lost_fixes = 0;
  Status first_loss;  // what the first damaged region was, with its offset
  Status tail;        // ok when nothing is to be cut
  Status problem;     // not a track file or an unknown version: nothing scanned
};
// Reads bytes [offset, offset+n) into `dst`; returns how many it could read.
using ReadAt = std::function<size_t(uint64_t offset, size_t n, char* dst)>;
// Called for each valid block in file order; a non-ok status makes the scan treat that block as
// damaged (skipped, counted lost) and carry on after it.
using OnBlock = std::function<Status(uint64_t offset, const BlockHeader&)>;
// Walks every block after the file header. After a damaged block it resynchronises: it looks for
// the next offset where a block magic starts a header and payload whose CRCs check (from the end
// of the bad block when its header could be trusted, else from the next byte). Never reads
// outside [0, size).
ScanResult ScanTrack(const ReadAt& read, uint64_t size, const OnBlock& on_block);

}  // namespace ncc::track
