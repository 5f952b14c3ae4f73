#include "store/sqlite/sqlite_event_log.h"

#include "store/sqlite/wal_check.h"

#include <sqlite3.h>

#include <cstring>
#include <filesystem>

namespace ncc {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY,
  time INTEGER NOT NULL,
  actor TEXT NOT NULL,
  agency TEXT NOT NULL,
  classification INTEGER NOT NULL,
  type INTEGER NOT NULL,
  payload BLOB NOT NULL,
  prev_hash BLOB NOT NULL,
  hash BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT OR IGNORE INTO meta(key, value) VALUES ('format', 'ncc-eventlog-1');
)sql";

Status SqlError(sqlite3* db, const std::string& what) {
  return Internal(what + ": " + (db ? sqlite3_errmsg(db) : "out of memory"));
}

Status Exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    return Internal(std::string("sqlite: ") + msg);
  }
  return Status::Ok();
}

Status OpenDb(const std::string& path, int flags, sqlite3** db) {
  if (sqlite3_open_v2(path.c_str(), db, flags | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK)
    return SqlError(*db, "cannot open event log " + path);
  sqlite3_busy_timeout(*db, 5000);
  return Status::Ok();
}

void CopyHash(sqlite3_stmt* st, int col, Hash& out) {
  const void* p = sqlite3_column_blob(st, col);
  int n = sqlite3_column_bytes(st, col);
  out.fill(0);
  if (p && n == static_cast<int>(out.size())) std::memcpy(out.data(), p, out.size());
}

// A file name as a SQLite URI path: the characters a URI gives a meaning are escaped.
std::string UriPath(const std::string& path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = "file:";
  for (unsigned char c : path) {
    if (c == '%' || c == '?' || c == '#') {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string Text(sqlite3_stmt* st, int col) {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_blob(st, col));
  return p ? std::string(p, sqlite3_column_bytes(st, col)) : std::string();
}

}  // namespace

StatusOr<std::unique_ptr<SqliteEventLog>> SqliteEventLog::Open(const std::string& path,
                                                               uint64_t reserve_bytes) {
  std::unique_ptr<SqliteEventLog> log(new SqliteEventLog(path, reserve_bytes));
  Status s = log->Init(path);
  if (!s.ok()) return s;
  return log;
}

StatusOr<std::unique_ptr<SqliteEventLog>> SqliteEventLog::OpenUnsynced(const std::string& path) {
  std::unique_ptr<SqliteEventLog> log(new SqliteEventLog(path, 0));
  Status s = log->Init(path, /*synced=*/false);
  if (!s.ok()) return s;
  return log;
}

StatusOr<std::unique_ptr<SqliteEventLog>> SqliteEventLog::OpenReadOnly(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return NotFound("no event log at " + path, "data");
  // SQLITE_OPEN_READONLY alone is not enough: on a WAL database such a connection still
  // rebuilds (truncates and rewrites) the -shm index when it is the first one there, and
  // creates -wal and -shm when they are missing. readonly_shm=1 reads the WAL through the index
  // that is there without writing to it; with no WAL there is nothing but the file itself, and
  // immutable=1 reads it without creating either.
  std::string wal = path + "-wal";
  std::string query;
  if (fs::exists(wal, ec) && fs::file_size(wal, ec) > 0) {
    if (!fs::exists(path + "-shm", ec))
      return FailedPrecondition(
          wal + " is there without " + path +
          "-shm: it cannot be read without writing a new index; look at a copy of the folder");
    query = "?mode=ro&readonly_shm=1";
  } else {
    query = "?mode=ro&immutable=1";
  }
  // The same check as start-up (finding 1): verify must not pass a WAL the server would refuse,
  // nor let SQLite's recovery read past a damaged frame. CheckWal only reads.
  NCC_RETURN_IF_ERROR(CheckWal(wal));
  std::unique_ptr<SqliteEventLog> log(new SqliteEventLog(path, 0));
  NCC_RETURN_IF_ERROR(
      log->InitReader(UriPath(path) + query, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI));
  return log;
}

Status SqliteEventLog::Init(const std::string& path, bool synced) {
  // Before SQLite's own recovery, which would drop committed frames behind a damaged one.
  NCC_RETURN_IF_ERROR(CheckWal(path + "-wal"));
  NCC_RETURN_IF_ERROR(OpenDb(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &writer_));
  // A file that is not a database fails on the first statement; say so plainly.
  if (Status s = Exec(writer_, "PRAGMA journal_mode=WAL"); !s.ok())
    return DataLoss("event log " + path + " is not a usable SQLite database (" + s.message() + ")");
  NCC_RETURN_IF_ERROR(Exec(writer_, synced ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=OFF"));
  // Checkpoints copy the WAL into the database and fsync it: tens of milliseconds that must not
  // land inside a command's commit. A background connection does them instead, and the writer
  // only finishes one between commits when the WAL has grown (FinishCheckpoint).
  NCC_RETURN_IF_ERROR(Exec(writer_, "PRAGMA wal_autocheckpoint=0"));
  NCC_RETURN_IF_ERROR(
      Exec(writer_, ("PRAGMA journal_size_limit=" + std::to_string(kWalSizeLimitBytes)).c_str()));
  // After wal_autocheckpoint, which installs (or here removes) SQLite's own hook.
  sqlite3_wal_hook(writer_, &SqliteEventLog::OnWalCommit, this);
  NCC_RETURN_IF_ERROR(Exec(writer_, kSchema));
  if (sqlite3_prepare_v2(
          writer_,
          "INSERT INTO events(seq,time,actor,agency,classification,type,payload,prev_hash,hash)"
          " VALUES(?,?,?,?,?,?,?,?,?)",
          -1, &insert_, nullptr) != SQLITE_OK)
    return SqlError(writer_, "prepare insert");

  NCC_RETURN_IF_ERROR(InitReader(path, SQLITE_OPEN_READONLY));
  NCC_RETURN_IF_ERROR(OpenDb(path, SQLITE_OPEN_READWRITE, &checkpointer_db_));
  checkpointer_ = std::thread([this] { CheckpointLoop(); });
  return Status::Ok();
}

Status SqliteEventLog::InitReader(const std::string& uri, int flags) {
  MutexLock lock(read_mu_);  // nobody else has the log yet; the analysis wants it all the same
  NCC_RETURN_IF_ERROR(OpenDb(uri, flags, &reader_));
  // The last connection to close folds the WAL in and deletes it; a reader never should.
  sqlite3_db_config(reader_, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
  if (sqlite3_prepare_v2(reader_,
                         "SELECT seq,time,actor,agency,classification,type,payload,prev_hash,hash"
                         " FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
                         -1, &select_, nullptr) != SQLITE_OK) {
    int rc = sqlite3_errcode(reader_);
    if (rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT)
      return DataLoss("event log " + path_ + " is not a usable SQLite database (" +
                      sqlite3_errmsg(reader_) + ")");
    return SqlError(reader_, "prepare select on " + path_);
  }
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(reader_, "SELECT COALESCE(MAX(seq),0) FROM events", -1, &st, nullptr) !=
      SQLITE_OK)
    return SqlError(reader_, "prepare last seq");
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) last_seq_ = static_cast<uint64_t>(sqlite3_column_int64(st, 0));
  sqlite3_finalize(st);
  if (rc != SQLITE_ROW) return SqlError(reader_, "read last seq of " + path_);
  return Status::Ok();
}

int SqliteEventLog::OnWalCommit(void* self, sqlite3*, const char*, int frames) {
  static_cast<SqliteEventLog*>(self)->wal_frames_ = static_cast<uint64_t>(frames);
  return SQLITE_OK;
}

void SqliteEventLog::FinishCheckpoint() {
  int in_wal = 0;
  int copied = 0;
  // PASSIVE: copies what no reader still needs and returns; SQLITE_BUSY at once if the
  // background checkpoint holds the lock (the next commit tries again). Nothing is committed
  // while it runs (this is the only writer), so when it copies everything the next commit
  // restarts the WAL from its first frame.
  int rc = sqlite3_wal_checkpoint_v2(writer_, nullptr, SQLITE_CHECKPOINT_PASSIVE, &in_wal, &copied);
  if (rc == SQLITE_OK && copied == in_wal) {
    ++checkpoints_;
    return;
  }
  // Held up, most often by a read of our own in progress: a follower paging through the log
  // (the streams, the picture) holds a snapshot no checkpoint may copy past, and one that
  // pages without pause can hold every checkpoint up for as long as it runs, the WAL growing
  // all the while. Our reads go through one connection under read_mu_ and end their read
  // transaction before they let go of it, so holding it for the checkpoint waits one page
  // read at most and leaves only other processes' readers (`ncc log verify`) in the way.
  MutexLock no_read_of_ours(read_mu_);
  rc = sqlite3_wal_checkpoint_v2(writer_, nullptr, SQLITE_CHECKPOINT_PASSIVE, &in_wal, &copied);
  if (rc == SQLITE_OK && copied == in_wal)
    ++checkpoints_;
  else
    ++checkpoints_held_up_;
}

SqliteEventLog::WalStats SqliteEventLog::Wal() const {
  std::error_code ec;
  uintmax_t bytes = std::filesystem::file_size(path_ + "-wal", ec);
  return WalStats{ec ? 0 : static_cast<uint64_t>(bytes), wal_frames_.load(), checkpoints_.load(),
                  checkpoints_held_up_.load()};
}

void SqliteEventLog::CheckpointLoop() {
  std::unique_lock lock(checkpoint_mu_);
  while (!stopping_) {
    checkpoint_cv_.wait_for(lock, std::chrono::milliseconds(500));
    if (stopping_) break;
    lock.unlock();
    // PASSIVE never blocks the writer; it copies what it can and the WAL restarts from the
    // beginning once a checkpoint has caught up.
    sqlite3_wal_checkpoint_v2(checkpointer_db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr,
                              nullptr);
    lock.lock();
  }
}

SqliteEventLog::~SqliteEventLog() {
  {
    std::lock_guard lock(checkpoint_mu_);
    stopping_ = true;
  }
  checkpoint_cv_.notify_all();
  if (checkpointer_.joinable()) checkpointer_.join();
  sqlite3_close(checkpointer_db_);
  sqlite3_finalize(insert_);
  sqlite3_finalize(select_);
  sqlite3_close(reader_);
  sqlite3_close(writer_);
}

Status SqliteEventLog::AfterFailedAppend(Status error) {
  const bool full = (sqlite3_extended_errcode(writer_) & 0xff) == SQLITE_FULL;
  if (!sqlite3_get_autocommit(writer_)) (void)Exec(writer_, "ROLLBACK");
  if (!full) return error;
  // SQLite rolls back a transaction that failed for space; make sure before saying so.
  sqlite3_stmt* st = nullptr;
  uint64_t max_seq = UINT64_MAX;
  if (sqlite3_prepare_v2(writer_, "SELECT COALESCE(MAX(seq),0) FROM events", -1, &st, nullptr) ==
          SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW)
    max_seq = static_cast<uint64_t>(sqlite3_column_int64(st, 0));
  sqlite3_finalize(st);
  if (max_seq != last_seq_.load() || !sqlite3_get_autocommit(writer_)) return error;
  return DiskFull(error.message(), path_);
}

Status SqliteEventLog::Append(const std::vector<StoredEvent>& batch) {
  if (!writer_) return FailedPrecondition("event log " + path_ + " is open read-only");
  if (batch.empty()) return Status::Ok();
  NCC_RETURN_IF_ERROR(CheckContinues(LastSeq(), batch));
  NCC_RETURN_IF_ERROR(reserve_.Check());
  if (Status s = Exec(writer_, "BEGIN IMMEDIATE"); !s.ok()) return AfterFailedAppend(s);
  for (const StoredEvent& e : batch) {
    sqlite3_reset(insert_);
    sqlite3_bind_int64(insert_, 1, static_cast<int64_t>(e.seq.value));
    sqlite3_bind_int64(insert_, 2, e.time.ms);
    sqlite3_bind_text(insert_, 3, e.actor.data(), static_cast<int>(e.actor.size()), SQLITE_STATIC);
    sqlite3_bind_text(insert_, 4, e.agency.data(), static_cast<int>(e.agency.size()),
                      SQLITE_STATIC);
    sqlite3_bind_int(insert_, 5, static_cast<int>(e.classification));
    sqlite3_bind_int(insert_, 6, static_cast<int>(e.type));
    sqlite3_bind_blob(insert_, 7, e.payload.data(), static_cast<int>(e.payload.size()),
                      SQLITE_STATIC);
    sqlite3_bind_blob(insert_, 8, e.prev_hash.data(), static_cast<int>(e.prev_hash.size()),
                      SQLITE_STATIC);
    sqlite3_bind_blob(insert_, 9, e.hash.data(), static_cast<int>(e.hash.size()), SQLITE_STATIC);
    if (sqlite3_step(insert_) != SQLITE_DONE)
      return AfterFailedAppend(SqlError(writer_, "append seq " + std::to_string(e.seq.value)));
  }
  // With WAL and synchronous=FULL the commit fsyncs the WAL before returning.
  if (Status s = Exec(writer_, "COMMIT"); !s.ok()) return AfterFailedAppend(s);
  ++syncs_;
  last_seq_ = batch.back().seq.value;
  if (wal_frames_.load() >= static_cast<uint64_t>(kCheckpointFrames)) FinishCheckpoint();
  return Status::Ok();
}

StatusOr<std::vector<StoredEvent>> SqliteEventLog::ReadAfter(Seq after, size_t limit) const {
  MutexLock lock(read_mu_);
  // Reset on every way out: a statement left part-way holds its read transaction, and with it
  // a WAL snapshot that no checkpoint may copy past, until the next read (or forever).
  struct Reset {
    sqlite3_stmt* st;
    ~Reset() { sqlite3_reset(st); }
  } reset{select_};
  std::vector<StoredEvent> out;
  sqlite3_bind_int64(select_, 1, static_cast<int64_t>(after.value));
  sqlite3_bind_int64(select_, 2, static_cast<int64_t>(limit));
  int rc;
  while ((rc = sqlite3_step(select_)) == SQLITE_ROW) {
    StoredEvent& e = out.emplace_back();
    e.seq = Seq(static_cast<uint64_t>(sqlite3_column_int64(select_, 0)));
    e.time.ms = sqlite3_column_int64(select_, 1);
    e.actor = Text(select_, 2);
    e.agency = Text(select_, 3);
    int cls = sqlite3_column_int(select_, 4);
    if (cls < 0 || cls >= kClassificationCount)
      return DataLoss("event " + std::to_string(e.seq.value) + ": classification out of range");
    e.classification = static_cast<Classification>(cls);
    e.type = static_cast<EventType>(sqlite3_column_int(select_, 5));
    e.payload = Text(select_, 6);
    CopyHash(select_, 7, e.prev_hash);
    CopyHash(select_, 8, e.hash);
  }
  if (rc != SQLITE_DONE) {
    if (rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB)
      return DataLoss("event log " + path_ + " is corrupt after seq " +
                      std::to_string(after.value) + ": " + sqlite3_errmsg(reader_));
    return SqlError(reader_, "read events");
  }
  return out;
}

}  // namespace ncc
