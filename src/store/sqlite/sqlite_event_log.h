// The embedded default EventLog: one SQLite file (WAL, synchronous=FULL), so a committed
// transaction is on stable storage before Append returns. A batch is one transaction, which is
// what makes group commit pay: one fsync for every command in the batch.
//
// Threads: Append from the engine's writer thread only; ReadAfter/LastSeq from any thread
// (they use a separate read connection behind a mutex; WAL lets it read while Append writes).
// A third connection checkpoints the WAL in the background every half second.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "store/disk_reserve.h"
#include "store/event_log.h"

struct sqlite3;
struct sqlite3_stmt;

namespace ncc {

class SqliteEventLog final : public EventLog {
 public:
  // Opens or creates `path`. kDataLoss if the file is not a database or fails its quick check.
  // Appends are refused (kInsufficientStorage, nothing stored) while the filesystem has less
  // than `reserve_bytes` free, and when SQLite finds the disk full mid-append.
  static StatusOr<std::unique_ptr<SqliteEventLog>> Open(const std::string& path,
                                                        uint64_t reserve_bytes = 0);
  ~SqliteEventLog() override;

  Status Append(const std::vector<StoredEvent>& batch) override;
  StatusOr<std::vector<StoredEvent>> ReadAfter(Seq after, size_t limit) const override;
  Seq LastSeq() const override { return Seq(last_seq_.load()); }
  uint64_t Syncs() const override { return syncs_.load(); }
  Status CheckSpace() const override { return reserve_.Check(); }

 private:
  SqliteEventLog(const std::string& path, uint64_t reserve_bytes)
      : path_(path), reserve_(path, reserve_bytes) {}
  Status Init(const std::string& path);
  // After a failed append: rolls back what is left of the transaction and tells whether the
  // log is as it was (a full disk: kInsufficientStorage) or not known (the error as it is).
  Status AfterFailedAppend(Status error);
  void CheckpointLoop();

  const std::string path_;
  DiskReserve reserve_;
  sqlite3* writer_ = nullptr;
  sqlite3_stmt* insert_ = nullptr;
  mutable std::mutex read_mu_;
  sqlite3* reader_ = nullptr;
  sqlite3_stmt* select_ = nullptr;
  std::atomic<uint64_t> last_seq_{0};
  std::atomic<uint64_t> syncs_{0};

  sqlite3* checkpointer_db_ = nullptr;
  std::thread checkpointer_;
  std::mutex checkpoint_mu_;
  std::condition_variable checkpoint_cv_;
  bool stopping_ = false;
};

}  // namespace ncc
