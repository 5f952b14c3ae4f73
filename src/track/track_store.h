// TrackStore: every accepted AVL fix, kept in one compact append-only file so routes can be
// replayed. Format: docs/formats/tracks.md (version 1).
//
// Each Append() writes one delta-encoded block per unit present in the batch, each block pointing
// back to the unit's previous block; Sync() makes everything appended so far durable (one
// fdatasync for any number of batches: group commit). Opening rebuilds a small in-memory index
// (per unit: newest block, plus a checkpoint every 64 blocks) by scanning the file; a corrupt or
// truncated tail is reported, saved aside to "<path>.corrupt-<offset>" and cut off, keeping the
// valid prefix.
//
// Thread: any thread; calls are serialised by an internal mutex.
#pragma once

#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/events.h"
#include "core/status.h"
#include "track/track_format.h"

namespace ncc::track {

struct TrackStoreOptions {
  // Cut a corrupt tail off (after saving it aside) so new blocks follow valid data. When false,
  // Open() fails with DataLoss instead.
  bool repair_tail = true;
};

struct OpenReport {
  uint64_t blocks = 0;
  uint64_t fixes = 0;
  uint64_t valid_bytes = 0;
  uint64_t dropped_bytes = 0;  // corrupt or truncated tail removed on open
  std::string problem;         // empty when the file was whole
  std::string saved_tail;      // where the dropped bytes were saved, if any
};

struct AppendStats {
  uint64_t written = 0;
  uint64_t out_of_order = 0;  // older than the unit's newest stored fix: skipped
};

class TrackStore {
 public:
  // Opens or creates the file. DataLoss if the file is not a track file; FailedPrecondition for
  // an unknown format version.
  static StatusOr<std::unique_ptr<TrackStore>> Open(const std::string& path,
                                                    TrackStoreOptions options = {});
  ~TrackStore();
  TrackStore(const TrackStore&) = delete;
  TrackStore& operator=(const TrackStore&) = delete;

  const OpenReport& open_report() const { return report_; }

  // Writes the fixes (any units, any order) to the file, not yet durable. Per unit, fixes older
  // than its newest stored fix are skipped and counted (feed it what LiveIndex accepted). On a
  // write error the file is cut back to where it was and the error returned.
  StatusOr<AppendStats> Append(std::span<const PositionFix> fixes);
  // Makes every appended fix durable (fdatasync).
  Status Sync();

  // The unit's fixes with from <= time <= to, oldest first. DataLoss if a block fails its check.
  StatusOr<std::vector<TrackFix>> Query(UnitId unit, Time from, Time to) const;
  // The unit's newest stored fix (to rebuild the live index after a restart); NotFound if none.
  StatusOr<TrackFix> Last(UnitId unit) const;
  std::vector<UnitId> Units() const;
  uint64_t size_bytes() const;

 private:
  struct UnitTrack {
    uint64_t last_offset = 0;
    int64_t last_time = INT64_MIN;
    uint32_t blocks = 0;
    std::vector<std::pair<int64_t, uint64_t>> checkpoints;  // (t_first, offset) every 64 blocks
  };
  TrackStore(int fd, std::string path);
  Status Load(TrackStoreOptions options);
  void Index(uint64_t offset, const BlockHeader& h);
  size_t ReadAt(uint64_t offset, size_t n, char* dst) const;

  mutable std::mutex mu_;
  int fd_;
  std::string path_;
  uint64_t end_ = 0;
  OpenReport report_;
  std::unordered_map<uint64_t, UnitTrack> units_;
};

}  // namespace ncc::track
