// DiskReserve: the free space a store keeps back on its filesystem. Writes are refused
// (kInsufficientStorage) once the free space drops below the reserve, so that what a clean
// stop must still write (the last anchor, a checkpoint, the track store's last block) always
// finds room, and a full disk is an answer to the client rather than a crash.
//
// Threads: Check from any thread (statvfs only; no state but the counters).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "core/status.h"

namespace ncc {

class DiskReserve {
 public:
  // `path`: a file or folder on the filesystem to watch. `reserve_bytes` 0 checks nothing.
  DiskReserve(std::string path, uint64_t reserve_bytes)
      : path_(std::move(path)), reserve_(reserve_bytes) {}

  // Ok, or kInsufficientStorage naming the folder, the free space and the reserve. A
  // filesystem that cannot be asked (statvfs fails) is not refused here: the write itself will
  // tell.
  Status Check() const;
  uint64_t reserve_bytes() const { return reserve_; }
  // Free bytes (for the unprivileged) at the last Check.
  uint64_t last_free_bytes() const { return last_free_.load(std::memory_order_relaxed); }

 private:
  std::string path_;
  uint64_t reserve_;
  mutable std::atomic<uint64_t> last_free_{0};
};

// The kInsufficientStorage a store answers when a write failed for space (ENOSPC, SQLITE_FULL).
Status DiskFull(const std::string& what, const std::string& path);

}  // namespace ncc
