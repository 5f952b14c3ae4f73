// The embedded default EventLog: one SQLite file (WAL, synchronous=FULL), so a committed
// transaction is on stable storage before Append returns. A batch is one transaction, which is
// what makes group commit pay: one fsync for every command in the batch.
//
// Threads: Append from the engine's writer thread only; ReadAfter/LastSeq/Wal from any thread
// (reads use a separate read connection behind a mutex; WAL lets it read while Append writes).
//
// The WAL is kept bounded while the server runs. A third connection checkpoints it in the
// background every half second (the copying stays off the commit path), but a checkpoint that
// races a writer never finishes, and SQLite restarts the WAL from its beginning only after one
// has: under steady load it grew without end (issue 17, finding 9: 74.5 MB of WAL for 6.4 MB of
// data). So the writer thread itself, between two group commits and only once the WAL holds
// kCheckpointFrames pages, finishes the checkpoint (PASSIVE: it never waits for a reader or
// blocks one), and the next commit starts the WAL again from the front; journal_size_limit
// trims the file back. A reader that holds one snapshot for long can still hold the WAL up: the
// wal_* counters of Wal() show it.
//
// OpenReadOnly is for the commands that only look (`ncc log verify`, `ncc audit ...`): it opens
// nothing for writing, never checkpoints, and changes no file in the data folder, so it can
// look at the WAL a killed server left behind exactly as it is.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/thread_annotations.h"
#include "store/disk_reserve.h"
#include "store/event_log.h"

struct sqlite3;
struct sqlite3_stmt;

namespace ncc {

class SqliteEventLog final : public EventLog {
 public:
  // The writer finishes a checkpoint once the WAL holds this many pages (SQLite's own default
  // for its automatic checkpoint, about 4 MB at 4 KiB pages).
  static constexpr int kCheckpointFrames = 1000;
  // A restarted WAL file is cut back to this size (PRAGMA journal_size_limit).
  static constexpr int64_t kWalSizeLimitBytes = int64_t{4} << 20;

  // How the WAL is kept in check, for metrics.
  struct WalStats {
    uint64_t bytes = 0;                // size of the -wal file now
    uint64_t frames = 0;               // pages in the WAL after the newest commit
    uint64_t checkpoints = 0;          // writer's checkpoints that copied the whole WAL
    uint64_t checkpoints_held_up = 0;  // writer's checkpoints cut short (a reader, or busy)
  };

  // Opens or creates `path` for the server. kDataLoss if the file is not a database or fails its
  // quick check. Appends are refused (kInsufficientStorage, nothing stored) while the filesystem
  // has less than `reserve_bytes` free, and when SQLite finds the disk full mid-append.
  static StatusOr<std::unique_ptr<SqliteEventLog>> Open(const std::string& path,
                                                        uint64_t reserve_bytes = 0);
  // For a reproducible run that can be made again from its inputs (`ncc sim`): commits are not
  // synced one by one (PRAGMA synchronous=OFF), the same file format otherwise. A crash may lose
  // the tail of such a log; never use it for live work.
  static StatusOr<std::unique_ptr<SqliteEventLog>> OpenUnsynced(const std::string& path);
  // Opens an existing `path` read-only and without changing any file (see above). kNotFound if
  // there is no such file, kFailedPrecondition if a WAL is there without its "-shm" index (it
  // could not be read without writing one), kDataLoss if the file is not a database.
  static StatusOr<std::unique_ptr<SqliteEventLog>> OpenReadOnly(const std::string& path);
  ~SqliteEventLog() override;

  // kFailedPrecondition on a log opened read-only.
  Status Append(const std::vector<StoredEvent>& batch) override;
  StatusOr<std::vector<StoredEvent>> ReadAfter(Seq after, size_t limit) const override
      EXCLUDES(read_mu_);
  Seq LastSeq() const override { return Seq(last_seq_.load()); }
  uint64_t Syncs() const override { return syncs_.load(); }
  WalStats Wal() const;
  Status CheckSpace() const override { return reserve_.Check(); }

 private:
  SqliteEventLog(const std::string& path, uint64_t reserve_bytes)
      : path_(path), reserve_(path, reserve_bytes) {}
  Status Init(const std::string& path, bool synced = true);
  Status InitReader(const std::string& uri, int flags) EXCLUDES(read_mu_);
  // After a failed append: rolls back what is left of the transaction and tells whether the
  // log is as it was (a full disk: kInsufficientStorage) or not known (the error as it is).
  Status AfterFailedAppend(Status error);
  void CheckpointLoop();
  void FinishCheckpoint() EXCLUDES(read_mu_);  // writer thread, between commits
  static int OnWalCommit(void* self, sqlite3* db, const char* name, int frames);

  const std::string path_;
  DiskReserve reserve_;
  sqlite3* writer_ = nullptr;  // null when read-only
  sqlite3_stmt* insert_ = nullptr;
  mutable Mutex read_mu_;  // the read connection is used by one thread at a time
  sqlite3* reader_ GUARDED_BY(read_mu_) = nullptr;
  sqlite3_stmt* select_ GUARDED_BY(read_mu_) = nullptr;
  std::atomic<uint64_t> last_seq_{0};
  std::atomic<uint64_t> syncs_{0};

  std::atomic<uint64_t> wal_frames_{0};
  std::atomic<uint64_t> checkpoints_{0};
  std::atomic<uint64_t> checkpoints_held_up_{0};

  sqlite3* checkpointer_db_ = nullptr;  // the checkpointer thread's alone
  std::thread checkpointer_;
  // Plain std::mutex: it pairs with a condition variable, which the analysis cannot follow.
  std::mutex checkpoint_mu_;
  std::condition_variable checkpoint_cv_;
  bool stopping_ = false;
};

}  // namespace ncc
