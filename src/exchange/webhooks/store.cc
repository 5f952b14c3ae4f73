#include "exchange/webhooks/store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "auth/auth_db.h"

namespace ncc::webhooks {
namespace {

constexpr const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS subscriptions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  url TEXT NOT NULL,
  events TEXT NOT NULL,        -- JSON array of event names
  agency_filter TEXT NOT NULL,
  user TEXT NOT NULL,          -- the principal, fixed at creation
  home_agency TEXT NOT NULL,
  roles TEXT NOT NULL,         -- auth::FormatRoles
  clearance TEXT NOT NULL,
  secret TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  cursor INTEGER NOT NULL
);)";

}  // namespace

StatusOr<std::unique_ptr<Store>> Store::Open(const std::string& path) {
  // Create the file 0600 ourselves (SQLite honours the umask); refuse one others can read.
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Unavailable("cannot open " + path);
  struct stat st {};
  bool loose = ::fstat(fd, &st) == 0 && (st.st_mode & 077) != 0;
  if (loose) ::fchmod(fd, 0600);
  ::close(fd);
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, nullptr) !=
      SQLITE_OK) {
    Status s = Unavailable("cannot open " + path + ": " + (db ? sqlite3_errmsg(db) : "no memory"));
    sqlite3_close(db);
    return s;
  }
  std::unique_ptr<Store> out(new Store(db));
  sqlite3_busy_timeout(db, 5000);
  NCC_RETURN_IF_ERROR(out->Exec("PRAGMA synchronous=FULL; PRAGMA secure_delete=ON;"));
  NCC_RETURN_IF_ERROR(out->Exec(kSchema));
  return out;
}

Store::~Store() {
  sqlite3_close(db_);
}

Status Store::Exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    Status s = Unavailable("webhooks.db: " + std::string(err ? err : "exec failed"));
    sqlite3_free(err);
    return s;
  }
  return Status::Ok();
}

StatusOr<uint64_t> Store::Insert(const Subscription& s) {
  std::lock_guard lock(mu_);
  auth::Stmt st(db_,
                "INSERT INTO subscriptions (url, events, agency_filter, user, home_agency, roles, "
                "clearance, secret, created_ms, cursor) VALUES (?,?,?,?,?,?,?,?,?,?)");
  st.Bind(1, s.url)
      .Bind(2, nlohmann::json(s.events).dump())
      .Bind(3, s.agency)
      .Bind(4, s.principal.user)
      .Bind(5, s.principal.agency)
      .Bind(6, auth::FormatRoles(s.principal.roles))
      .Bind(7, std::string(Name(s.principal.clearance)))
      .Bind(8, s.secret)
      .Bind(9, s.created.ms)
      .Bind(10, static_cast<int64_t>(s.cursor.value));
  NCC_RETURN_IF_ERROR(st.Run());
  return static_cast<uint64_t>(sqlite3_last_insert_rowid(db_));
}

Status Store::Delete(uint64_t id) {
  std::lock_guard lock(mu_);
  auth::Stmt st(db_, "DELETE FROM subscriptions WHERE id = ?");
  st.Bind(1, static_cast<int64_t>(id));
  NCC_RETURN_IF_ERROR(st.Run());
  if (sqlite3_changes(db_) == 0) return NotFound("no webhook " + std::to_string(id), "id");
  return Status::Ok();
}

Status Store::SaveCursor(uint64_t id, Seq cursor) {
  std::lock_guard lock(mu_);
  auth::Stmt st(db_, "UPDATE subscriptions SET cursor = ? WHERE id = ? AND cursor < ?");
  st.Bind(1, static_cast<int64_t>(cursor.value))
      .Bind(2, static_cast<int64_t>(id))
      .Bind(3, static_cast<int64_t>(cursor.value));
  return st.Run();
}

StatusOr<std::vector<Subscription>> Store::All() {
  std::lock_guard lock(mu_);
  auth::Stmt st(db_,
                "SELECT id, url, events, agency_filter, user, home_agency, roles, clearance, "
                "secret, created_ms, cursor FROM subscriptions ORDER BY id");
  std::vector<Subscription> out;
  while (st.Step()) {
    Subscription s;
    s.id = static_cast<uint64_t>(st.Int(0));
    s.url = st.Text(1);
    auto events = nlohmann::json::parse(st.Text(2), nullptr, false);
    if (events.is_array())
      for (const auto& e : events)
        if (e.is_string()) s.events.push_back(e.get<std::string>());
    s.agency = st.Text(3);
    s.principal.kind = auth::Principal::Kind::kUser;
    s.principal.user = st.Text(4);
    s.principal.agency = st.Text(5);
    auto roles = auth::ParseRoles(st.Text(6), s.principal.agency);
    if (!roles.ok())
      return DataLoss("webhooks.db: webhook " + std::to_string(s.id) + ": " +
                      roles.status().message());
    s.principal.roles = std::move(*roles);
    auto clearance = ParseClassification(st.Text(7));
    if (!clearance)
      return DataLoss("webhooks.db: webhook " + std::to_string(s.id) + ": bad clearance");
    s.principal.clearance = *clearance;
    s.secret = st.Text(8);
    s.created = Time{st.Int(9)};
    s.cursor = Seq(static_cast<uint64_t>(st.Int(10)));
    out.push_back(std::move(s));
  }
  NCC_RETURN_IF_ERROR(st.status());
  return out;
}

}  // namespace ncc::webhooks
