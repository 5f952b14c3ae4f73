// The security library's own SQLite file (auth.db in the data dir, WAL): users, tokens and API
// keys. A thin wrapper: a connection, prepared statements with RAII, and a mutex that every
// caller holds while it uses the connection (see Lock()). Any thread may call, under Lock().
//
// It also keeps the *sign-in generation*, the number that the principal cache (TokenService)
// trusts its entries by: every change to who a credential names bumps it — Invalidate() after a
// write by this process (logout, revocation, disable, role change), and NoticeOtherWriters()
// when another connection (the `ncc user` / `ncc apikey` CLI, another process) has committed.
#pragma once

#include <sqlite3.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace ncc::auth {

class AuthDb;

// One prepared statement; bind with 1-based indexes, then Step() until it returns false.
class Stmt {
 public:
  Stmt(sqlite3* db, std::string_view sql);
  ~Stmt();
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Stmt& Bind(int i, std::string_view text);
  Stmt& BindBlob(int i, std::string_view bytes);
  Stmt& Bind(int i, int64_t v);
  // True while a row is available; false when done. Errors show in status().
  bool Step();
  std::string Text(int col) const;
  std::string Blob(int col) const;
  int64_t Int(int col) const;
  const Status& status() const { return status_; }
  // Runs to completion; the first error, if any.
  Status Run();

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  Status status_;
};

// What Open does when <dir>/auth.db is not there.
enum class IfMissing {
  kCreate,  // a new data folder, `ncc user add`: create it empty
  kRefuse,  // the server on a folder in use (its event log is not empty): every account would be
            // gone without a word, so kDataLoss naming the file instead
};

class AuthDb {
 public:
  // Opens or creates <dir>/auth.db (file mode 0600), WAL, and the schema.
  static StatusOr<std::unique_ptr<AuthDb>> Open(const std::string& dir,
                                                IfMissing if_missing = IfMissing::kCreate);
  ~AuthDb();
  AuthDb(const AuthDb&) = delete;
  AuthDb& operator=(const AuthDb&) = delete;

  std::unique_lock<std::mutex> Lock() { return std::unique_lock<std::mutex>(mu_); }
  // Requires Lock().
  sqlite3* handle() { return db_; }
  Status Exec(std::string_view sql);
  int Changes() const { return sqlite3_changes(db_); }
  const std::string& path() const { return path_; }

  // The sign-in generation (starts at 1, only grows).
  uint64_t generation() const { return generation_.load(); }
  // After a write that may change who a credential names; call it once the write is committed
  // (or failed): a lookup that read the old state before it is then never cached.
  void Invalidate() { generation_.fetch_add(1); }
  // Bumps the generation if another connection committed to auth.db since the last call
  // (SQLite's PRAGMA data_version on this connection: our own commits do not count, they call
  // Invalidate() themselves). Takes Lock() itself; do not hold it.
  //
  // Cheap enough for every request: the pragma (a read transaction: two fcntl locks, ~2.5 us,
  // under the connection's mutex) runs only when the WAL-index header in auth.db-shm changed
  // since the last check — every commit by any connection rewrites it (iChange, mxFrame; see
  // sqlite.org/walformat.html, fixed across versions because processes share it) — and at
  // least once a second regardless. The header is read from a read-only mapping of the file,
  // without a lock or a system call. Without a usable mapping the pragma runs every time.
  Status NoticeOtherWriters();
  // Times the pragma actually ran, and whether the header is watched (for tests).
  uint64_t data_version_checks() const { return data_version_checks_.load(); }
  bool watches_wal_index() const { return wal_index_ != nullptr; }

 private:
  AuthDb(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  sqlite3* db_;
  std::string path_;
  std::mutex mu_;
  std::atomic<uint64_t> generation_{1};
  uint64_t WalIndexHint() const;  // iChange and mxFrame of the WAL-index header

  sqlite3_stmt* data_version_stmt_ = nullptr;  // prepared once; under mu_
  int64_t data_version_ = -1;                  // last value read; under mu_
  const void* wal_index_ = nullptr;            // read-only mapping of auth.db-shm's first page
  std::atomic<uint64_t> seen_hint_{0};         // WalIndexHint() read before the last pragma
  std::atomic<int64_t> last_check_ms_{0};      // steady clock
  std::atomic<uint64_t> data_version_checks_{0};
};

// Calls db.Invalidate() when it goes out of scope: declared before a write that may change who a
// credential names (before Lock(), so it runs after the unlock), it drops the principal cache
// once the write is done, whether it committed or failed.
class InvalidateOnExit {
 public:
  explicit InvalidateOnExit(AuthDb& db) : db_(db) {}
  ~InvalidateOnExit() { db_.Invalidate(); }
  InvalidateOnExit(const InvalidateOnExit&) = delete;
  InvalidateOnExit& operator=(const InvalidateOnExit&) = delete;

 private:
  AuthDb& db_;
};

}  // namespace ncc::auth
