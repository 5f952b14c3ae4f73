// libFuzzer: the track file reader. Scans and decodes the bytes in memory (the resync over
// damaged blocks must never read outside them: the reader below aborts if asked to), then
// opens them as a real file through TrackStore (skipped blocks and their bridges, tail repair,
// version-1 migration) and queries every unit. Seeds: fuzz/corpus/track (a v1 and a v2 file).
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "track/track_format.h"
#include "track/track_store.h"

using namespace ncc::track;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  ScanTrack(
      [&](uint64_t off, size_t n, char* dst) -> size_t {
        if (off > bytes.size() || n > bytes.size() - off) __builtin_trap();  // out of bounds
        if (off >= bytes.size()) return 0;
        size_t take = std::min<size_t>(n, bytes.size() - off);
        std::memcpy(dst, bytes.data() + off, take);
        return take;
      },
      bytes.size(),
      [&](uint64_t off, const BlockHeader& h) {
        std::vector<TrackFix> fixes;
        return DecodeBlock(bytes.substr(off), h, fixes);
      });

  static const std::string dir = [] {
    auto d = std::filesystem::exists("/dev/shm") ? std::filesystem::path("/dev/shm")
                                                 : std::filesystem::temp_directory_path();
    return (d / ("ncc-fuzz-track-" + std::to_string(::getpid()))).string();
  }();
  std::filesystem::create_directories(dir);
  std::string path = dir + "/t.ncct";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  { std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(size)); }
  auto store = TrackStore::Open(path);
  if (store.ok())
    for (ncc::UnitId u : (*store)->Units())
      (void)(*store)->Query(u, ncc::Time{INT64_MIN}, ncc::Time{INT64_MAX});
  return 0;
}
