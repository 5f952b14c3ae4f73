#include "store/sqlite/wal_check.h"

#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

namespace ncc {
namespace {

constexpr size_t kWalHeader = 32, kFrameHeader = 24;

uint32_t Big32(const unsigned char* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

// SQLite's WAL checksum (https://sqlite.org/fileformat.html#checksum_algorithm): 32-bit words
// in the byte order the magic says, summed in pairs, cumulative over header and frames.
void Checksum(bool big_endian, const unsigned char* data, size_t n, uint32_t& s0, uint32_t& s1) {
  for (size_t i = 0; i + 8 <= n; i += 8) {
    uint32_t x0, x1;
    if (big_endian) {
      x0 = Big32(data + i);
      x1 = Big32(data + i + 4);
    } else {
      std::memcpy(&x0, data + i, 4);
      std::memcpy(&x1, data + i + 4, 4);
    }
    s0 += x0 + s1;
    s1 += x1 + s0;
  }
}

}  // namespace

Status CheckWal(const std::string& wal_path) {
  std::ifstream in(wal_path, std::ios::binary);
  if (!in) return Status::Ok();
  std::vector<unsigned char> wal((std::istreambuf_iterator<char>(in)),
                                 std::istreambuf_iterator<char>());
  if (wal.size() < kWalHeader) return Status::Ok();
  const uint32_t magic = Big32(wal.data());
  if (magic != 0x377f0682 && magic != 0x377f0683) return Status::Ok();  // SQLite will say
  const bool big_endian = magic == 0x377f0683;
  const uint32_t page_size = Big32(wal.data() + 8);
  if (page_size < 512 || page_size > 65536) return Status::Ok();
  uint32_t s0 = 0, s1 = 0;
  Checksum(big_endian, wal.data(), 24, s0, s1);
  if (s0 != Big32(wal.data() + 24) || s1 != Big32(wal.data() + 28))
    return Status::Ok();  // a header SQLite ignores: it starts a new WAL, keeping nothing
  const unsigned char* salts = wal.data() + 16;
  const size_t frame_size = kFrameHeader + page_size;
  size_t frame = 0, bad = 0;
  bool broken = false;
  for (size_t at = kWalHeader; at + frame_size <= wal.size(); at += frame_size, ++frame) {
    const unsigned char* h = wal.data() + at;
    const bool same_generation = std::memcmp(h + 8, salts, 8) == 0;
    const bool commit = Big32(h + 4) != 0;
    if (!broken) {
      Checksum(big_endian, h, 8, s0, s1);
      Checksum(big_endian, h + kFrameHeader, page_size, s0, s1);
      if (same_generation && s0 == Big32(h + 16) && s1 == Big32(h + 20)) continue;
      if (!same_generation) return Status::Ok();  // frames of an older generation: the end
      broken = true;
      bad = frame;
    } else if (same_generation && commit) {
      return DataLoss(wal_path + ": frame " + std::to_string(bad + 1) +
                      " fails its checksum but committed frames follow it (frame " +
                      std::to_string(frame + 1) +
                      "): SQLite would drop acknowledged events; refusing to open the log "
                      "(restore it from a copy, or see docs/reliability.md)");
    }
  }
  return Status::Ok();
}

}  // namespace ncc
