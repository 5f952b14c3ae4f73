// TrackStore: every accepted AVL fix, kept in one compact append-only file so routes can be
// replayed. Format: docs/formats/tracks.md (version 2; a version-1 file is migrated on open).
//
// Each Append() writes one delta-encoded block per unit present in the batch, each block pointing
// back to the unit's previous block; Sync() makes everything appended so far durable (one
// fdatasync for any number of batches: group commit). Opening rebuilds a small in-memory index
// (per unit: newest block, plus a checkpoint every 64 blocks) by scanning the file. A damaged
// block in the middle costs that block only: the scan skips it, counts what it held
// (open_report()) and links each unit's history across it. A torn or corrupt tail (no valid
// block after it) is saved aside to "<path>.corrupt-<offset>" and cut off.
//
// Acknowledged fixes are told from torn writes by the synced length: after every Sync() that
// made new bytes durable the store records the file's length and running fix count in a small
// mark file beside it (SyncedMarkPath: "tracks.synced" for "tracks.ncctrk"), one pwrite without
// its own sync. The mark is written only after the fdatasync it describes, so it never claims
// more than is durable (after a power cut it may lag, and under-report). At open, a file whose
// valid blocks end before the mark (cut, or deleted and created afresh) lost acknowledged
// fixes: the mark's fix count minus the file's says exactly how many (OpenReport::
// synced_lost_fixes). A torn tail after the mark was never acknowledged: it is only cut off.
//
// Fail-stop: the first write, sync or cut-back that fails stops the store. Everything appended
// since the last good Sync() (never acknowledged) is cut off the file and out of the index, and
// every later Append/Sync returns that first error: after a failed fdatasync the kernel may have
// dropped the pages, and a later "successful" sync would not bring them back (so carrying on
// could acknowledge fixes that are not on disk). Reads of what is durable keep working; a
// restart reopens the file and rescans it.
//
// Thread: any thread; calls are serialised by an internal mutex.
#pragma once

#include <sys/types.h>
#include <unistd.h>

#include <functional>
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

// The calls the store makes to change its file once open, replaceable so that unit tests can
// make a write, a sync or a cut-back fail (tests/fault/failshim.c does it to a real server).
struct FileOps {
  std::function<ssize_t(int fd, const void* data, size_t n, off_t offset)> pwrite = ::pwrite;
  std::function<int(int fd)> fdatasync = ::fdatasync;
  std::function<int(int fd, off_t length)> ftruncate = ::ftruncate;
};

struct TrackStoreOptions {
  // Skip damaged blocks, cut a torn or corrupt tail off (after saving it aside) and migrate a
  // version-1 file. When false, Open() fails with DataLoss on any damage (FailedPrecondition for
  // a version-1 file) and changes nothing.
  bool repair = true;
  FileOps file;
};

// What Open() found. Logged by the lane and shown on /metrics (ncc_avl_track_*).
struct OpenReport {
  uint64_t blocks = 0;
  uint64_t fixes = 0;
  uint64_t valid_bytes = 0;  // bytes kept: valid blocks and the damaged ones skipped between them
  // Damaged bytes in the middle, skipped and left in place: regions (one per bad block, or per
  // run of bytes where no block could be read), their bytes, and the fixes they held (exact: the
  // next valid block's fix number says how many are missing).
  uint64_t lost_blocks = 0;
  uint64_t lost_bytes = 0;
  uint64_t lost_fixes = 0;
  // Of lost_fixes: acknowledged fixes whose synced bytes are gone from the end of the file (it
  // was cut, or deleted and created afresh, after the sync that the mark file recorded).
  uint64_t synced_lost_fixes = 0;
  uint64_t dropped_bytes = 0;  // torn or corrupt tail removed on open
  std::string problem;         // empty when the file was whole; else what and where
  std::string saved_tail;      // where the dropped bytes were saved, if any
  std::string migrated_from;   // a version-1 file was rewritten as version 2; the original
};

struct AppendStats {
  uint64_t written = 0;
  uint64_t out_of_order = 0;  // older than the unit's newest stored fix: skipped
};

// The mark file of the track file at `path`: its extension replaced by ".synced".
std::string SyncedMarkPath(const std::string& path);

class TrackStore {
 public:
  // Opens or creates the file. DataLoss if the file is not a track file (or, with repair off,
  // is damaged); FailedPrecondition for an unknown format version; Unavailable on a read error.
  static StatusOr<std::unique_ptr<TrackStore>> Open(const std::string& path,
                                                    TrackStoreOptions options = {});
  ~TrackStore();
  TrackStore(const TrackStore&) = delete;
  TrackStore& operator=(const TrackStore&) = delete;

  const OpenReport& open_report() const { return report_; }

  // Writes the fixes (any units, any order) to the file, not yet durable. Per unit, fixes older
  // than its newest stored fix are skipped and counted (feed it what LiveIndex accepted). On a
  // write error the store stops (see above) and returns the error.
  StatusOr<AppendStats> Append(std::span<const PositionFix> fixes);
  // Makes every appended fix durable (fdatasync). On failure the store stops (see above).
  Status Sync();
  // Ok, or the error that stopped the store.
  Status health() const;

  // The unit's fixes with from <= time <= to, oldest first. DataLoss if a block fails its check.
  StatusOr<std::vector<TrackFix>> Query(UnitId unit, Time from, Time to) const;
  // The unit's newest stored fix (to rebuild the live index after a restart); NotFound if none.
  StatusOr<TrackFix> Last(UnitId unit) const;
  // The unit's newest stored fix with time <= `at` (the picture at a past moment); NotFound if
  // it has none that old. Reads one block plus at most 64 block headers (the checkpoints).
  StatusOr<TrackFix> LastAtOrBefore(UnitId unit, Time at) const;
  std::vector<UnitId> Units() const;
  uint64_t size_bytes() const;

 private:
  struct UnitTrack {
    uint64_t last_offset = 0;
    int64_t last_time = INT64_MIN;
    uint32_t blocks = 0;
    std::vector<std::pair<int64_t, uint64_t>> checkpoints;  // (t_first, offset) every 64 blocks
  };
  // A unit's index entry before the first append since the last good sync (checkpoints only
  // grow, so their count is enough).
  struct UnitUndo {
    bool existed = false;
    uint64_t last_offset = 0;
    int64_t last_time = INT64_MIN;
    uint32_t blocks = 0;
    size_t checkpoints = 0;
  };
  TrackStore(int fd, std::string path, FileOps ops);
  Status Load(const TrackStoreOptions& options);
  Status CreateFresh(uint64_t size);
  Status IndexScanned(uint64_t offset, const BlockHeader& h);
  Status CutTail(uint64_t end, uint64_t size);
  // Compares what the scan kept with the mark file's synced length; counts the difference lost.
  void CheckSyncedMark(uint64_t end, uint64_t next_fix);
  // Records synced_end_ and synced_next_fix_ in the mark file (at open and after Sync()).
  void WriteSyncedMark();
  void Index(uint64_t offset, const BlockHeader& h);
  uint64_t Older(uint64_t offset, const BlockHeader& h) const;
  Status Fail(Status cause);  // stops the store; returns the status every later write gets
  size_t ReadAt(uint64_t offset, size_t n, char* dst) const;

  mutable std::mutex mu_;
  int fd_;
  std::string path_;
  FileOps ops_;
  uint64_t end_ = 0;
  uint64_t next_fix_ = 0;  // the file's running fix count: first_fix of the next block
  uint64_t synced_end_ = 0, synced_next_fix_ = 0;
  int mark_fd_ = -1;  // the mark file (SyncedMarkPath); -1: not open (yet, or after an error)
  std::unordered_map<uint64_t, UnitUndo> undo_;  // units appended to since the last good sync
  Status failed_;
  OpenReport report_;
  std::unordered_map<uint64_t, UnitTrack> units_;
  // Block offset -> offset of the unit's previous valid block (0: none), for the blocks whose
  // back pointer leads into damaged bytes (found at open).
  std::unordered_map<uint64_t, uint64_t> bridges_;
};

}  // namespace ncc::track
