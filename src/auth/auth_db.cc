#include "auth/auth_db.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

namespace ncc::auth {

namespace {

// Schema version 2. Secrets are never stored: passwords as Argon2id encodings, tokens and API
// keys as SHA-256 of the token (they carry 256 random bits, so a fast hash suffices).
constexpr std::string_view kSchema = R"sql(
CREATE TABLE IF NOT EXISTS users (
  username TEXT PRIMARY KEY,
  agency TEXT NOT NULL,
  roles TEXT NOT NULL,
  clearance TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  disabled INTEGER NOT NULL DEFAULT 0,
  failed_attempts INTEGER NOT NULL DEFAULT 0,
  locked_until_ms INTEGER NOT NULL DEFAULT 0,
  created_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
  token_hash BLOB PRIMARY KEY,
  kind TEXT NOT NULL,
  username TEXT NOT NULL,
  family TEXT NOT NULL,
  expires_ms INTEGER NOT NULL,
  used INTEGER NOT NULL DEFAULT 0,
  revoked INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS tokens_family ON tokens(family);
CREATE INDEX IF NOT EXISTS tokens_user ON tokens(username);
CREATE TABLE IF NOT EXISTS api_keys (
  key_hash BLOB PRIMARY KEY,
  name TEXT UNIQUE NOT NULL,
  agency TEXT NOT NULL,
  lanes TEXT NOT NULL,
  clearance TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  revoked INTEGER NOT NULL DEFAULT 0
);
-- One row per login (a token family): when it began, for the absolute session limit. Added in
-- version 2; families from before it get their row at their first refresh.
CREATE TABLE IF NOT EXISTS sessions (
  family TEXT PRIMARY KEY,
  username TEXT NOT NULL,
  started_ms INTEGER NOT NULL
);
PRAGMA user_version = 2;
)sql";

// A full disk is the client's 507 (retry later), not a server bug; a damaged file is lost data
// to restore, not a bug either.
Status SqlError(sqlite3* db, std::string_view what) {
  std::string message = "auth.db: " + std::string(what) + ": " + sqlite3_errmsg(db);
  const int primary = sqlite3_extended_errcode(db) & 0xff;
  if (primary == SQLITE_FULL)
    return InsufficientStorage(message + ": nothing was stored; retry when space returns");
  if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB)
    return DataLoss(message +
                    ": the file is damaged; restore auth.db from a copy (it holds every "
                    "account, session and API key)");
  return Internal(message);
}

// The WAL-index ("-shm") header as SQLite lays it out (native byte order; the first of its two
// copies is written last on every commit): iVersion, unused, iChange, isInit/bigEndCksum/szPage,
// mxFrame, ... (sqlite.org/walformat.html, "The WAL-Index Header").
constexpr uint32_t kWalIndexVersion = 3007000;
constexpr size_t kWalIndexMap = 4096;

int64_t SteadyMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

uint32_t LoadWord(const void* base, size_t offset) {
  return __atomic_load_n(reinterpret_cast<const uint32_t*>(static_cast<const char*>(base) + offset),
                         __ATOMIC_ACQUIRE);
}

// The first page of <db>-shm, mapped read-only, if it holds an initialised WAL index. Our own
// connection keeps the file open (and so at its size) for as long as the AuthDb lives.
const void* MapWalIndex(const std::string& db_path) {
  int fd = ::open((db_path + "-shm").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return nullptr;
  struct stat st {};
  void* map = MAP_FAILED;
  if (::fstat(fd, &st) == 0 && st.st_size >= static_cast<off_t>(kWalIndexMap))
    map = ::mmap(nullptr, kWalIndexMap, PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) return nullptr;
  const bool initialised =
      LoadWord(map, 0) == kWalIndexVersion && (LoadWord(map, 12) & 0xff) == 1;  // isInit
  if (!initialised) {
    ::munmap(map, kWalIndexMap);
    return nullptr;
  }
  return map;
}

}  // namespace

Stmt::Stmt(sqlite3* db, std::string_view sql) : db_(db) {
  if (sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr) !=
      SQLITE_OK)
    status_ = SqlError(db, "prepare");
}

Stmt::~Stmt() {
  sqlite3_finalize(stmt_);
}

Stmt& Stmt::Bind(int i, std::string_view text) {
  if (stmt_)
    sqlite3_bind_text(stmt_, i, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  return *this;
}
Stmt& Stmt::BindBlob(int i, std::string_view bytes) {
  if (stmt_)
    sqlite3_bind_blob(stmt_, i, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
  return *this;
}
Stmt& Stmt::Bind(int i, int64_t v) {
  if (stmt_) sqlite3_bind_int64(stmt_, i, v);
  return *this;
}

bool Stmt::Step() {
  if (!stmt_ || !status_.ok()) return false;
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc != SQLITE_DONE) status_ = SqlError(db_, "step");
  return false;
}

std::string Stmt::Text(int col) const {
  const unsigned char* t = sqlite3_column_text(stmt_, col);
  return t ? std::string(reinterpret_cast<const char*>(t),
                         static_cast<size_t>(sqlite3_column_bytes(stmt_, col)))
           : std::string();
}
std::string Stmt::Blob(int col) const {
  const void* b = sqlite3_column_blob(stmt_, col);
  return b ? std::string(static_cast<const char*>(b),
                         static_cast<size_t>(sqlite3_column_bytes(stmt_, col)))
           : std::string();
}
int64_t Stmt::Int(int col) const {
  return sqlite3_column_int64(stmt_, col);
}

Status Stmt::Run() {
  while (Step()) {
  }
  return status_;
}

StatusOr<std::unique_ptr<AuthDb>> AuthDb::Open(const std::string& dir, IfMissing if_missing) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Internal("cannot create data dir " + dir + ": " + ec.message());
  std::string path = (std::filesystem::path(dir) / "auth.db").string();
  if (if_missing == IfMissing::kRefuse && !std::filesystem::exists(path, ec))
    return DataLoss(path +
                    " is missing from a data folder in use: every account, session and API key "
                    "it held would be gone and nobody could sign in. Restore it from a copy of "
                    "the data folder (`ncc user add` creates a new, empty one on purpose)");
  // Create the file 0600 ourselves: SQLite would honour the umask, often 0644.
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Internal("cannot open " + path);
  ::close(fd);
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, nullptr) !=
      SQLITE_OK) {
    Status s = Internal("cannot open " + path + ": " + (db ? sqlite3_errmsg(db) : "no memory"));
    sqlite3_close(db);
    return s;
  }
  std::unique_ptr<AuthDb> out(new AuthDb(db, path));
  sqlite3_busy_timeout(db, 5000);
  NCC_RETURN_IF_ERROR(
      out->Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                "PRAGMA secure_delete=ON;"));
  NCC_RETURN_IF_ERROR(out->Exec(kSchema));
  if (sqlite3_prepare_v3(db, "PRAGMA data_version", -1, SQLITE_PREPARE_PERSISTENT,
                         &out->data_version_stmt_, nullptr) != SQLITE_OK)
    return SqlError(db, "prepare data_version");
  out->wal_index_ = MapWalIndex(path);             // after the schema: the WAL index exists now
  NCC_RETURN_IF_ERROR(out->NoticeOtherWriters());  // the first value: nothing to drop yet
  return out;
}

AuthDb::~AuthDb() {
  if (wal_index_) ::munmap(const_cast<void*>(wal_index_), kWalIndexMap);
  sqlite3_finalize(data_version_stmt_);
  sqlite3_close(db_);
}

uint64_t AuthDb::WalIndexHint() const {
  return (uint64_t{LoadWord(wal_index_, 8)} << 32) | LoadWord(wal_index_, 16);
}

Status AuthDb::NoticeOtherWriters() {
  constexpr int64_t kCheckAtLeastEveryMs = 1000;
  const int64_t now = SteadyMs();
  if (wal_index_ && WalIndexHint() == seen_hint_.load() &&
      now - last_check_ms_.load() < kCheckAtLeastEveryMs)
    return Status::Ok();  // no connection has committed since the last check
  std::lock_guard lock(mu_);
  // Read before the pragma: a commit landing after this read shows in the next request's hint.
  const uint64_t hint = wal_index_ ? WalIndexHint() : 0;
  ++data_version_checks_;
  int rc = sqlite3_step(data_version_stmt_);
  int64_t v = rc == SQLITE_ROW ? sqlite3_column_int64(data_version_stmt_, 0) : -1;
  sqlite3_reset(data_version_stmt_);
  if (rc != SQLITE_ROW) {
    Invalidate();  // cannot tell: trust nothing cached
    return SqlError(db_, "data_version");
  }
  if (v != data_version_) {
    if (data_version_ != -1) Invalidate();
    data_version_ = v;
  }
  seen_hint_.store(hint);
  last_check_ms_.store(now);
  return Status::Ok();
}

Status AuthDb::Exec(std::string_view sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, std::string(sql).c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    sqlite3_free(err);
    return SqlError(db_, sql.substr(0, 40));
  }
  return Status::Ok();
}

}  // namespace ncc::auth
