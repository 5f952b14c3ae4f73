// The security library's own SQLite file (auth.db in the data dir, WAL): users, tokens and API
// keys. A thin wrapper: a connection, prepared statements with RAII, and a mutex that every
// caller holds while it uses the connection (see Lock()). Any thread may call, under Lock().
#pragma once

#include <sqlite3.h>

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

class AuthDb {
 public:
  // Opens or creates <dir>/auth.db (file mode 0600), WAL, and the schema.
  static StatusOr<std::unique_ptr<AuthDb>> Open(const std::string& dir);
  ~AuthDb();
  AuthDb(const AuthDb&) = delete;
  AuthDb& operator=(const AuthDb&) = delete;

  std::unique_lock<std::mutex> Lock() { return std::unique_lock<std::mutex>(mu_); }
  // Requires Lock().
  sqlite3* handle() { return db_; }
  Status Exec(std::string_view sql);
  int Changes() const { return sqlite3_changes(db_); }
  const std::string& path() const { return path_; }

 private:
  AuthDb(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  sqlite3* db_;
  std::string path_;
  std::mutex mu_;
};

}  // namespace ncc::auth
