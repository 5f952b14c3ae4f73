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
);
CREATE TABLE IF NOT EXISTS deliveries (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  webhook INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  event TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  time_ms INTEGER NOT NULL,
  outcome TEXT NOT NULL,       -- delivered | failed | dead_letter | redelivered
  http_status INTEGER NOT NULL,
  error TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS deliveries_by_webhook ON deliveries (webhook, id);
CREATE TABLE IF NOT EXISTS dead_letters (
  webhook INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  event TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  failed_ms INTEGER NOT NULL,
  error TEXT NOT NULL,
  queued INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (webhook, seq)
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
  for (const char* sql :
       {"DELETE FROM deliveries WHERE webhook = ?", "DELETE FROM dead_letters WHERE webhook = ?"}) {
    auth::Stmt gone(db_, sql);
    gone.Bind(1, static_cast<int64_t>(id));
    NCC_RETURN_IF_ERROR(gone.Run());
  }
  return Status::Ok();
}

Status Store::InsertAttemptLocked(const Attempt& a) {
  auth::Stmt st(db_,
                "INSERT INTO deliveries (webhook, seq, event, attempt, time_ms, outcome, "
                "http_status, error) VALUES (?,?,?,?,?,?,?,?)");
  st.Bind(1, static_cast<int64_t>(a.webhook))
      .Bind(2, static_cast<int64_t>(a.seq.value))
      .Bind(3, a.event)
      .Bind(4, static_cast<int64_t>(a.attempt))
      .Bind(5, a.time.ms)
      .Bind(6, a.outcome)
      .Bind(7, static_cast<int64_t>(a.http_status))
      .Bind(8, a.error);
  NCC_RETURN_IF_ERROR(st.Run());
  // Bounded: the oldest rows beyond kHistoryKept go.
  auth::Stmt prune(db_,
                   "DELETE FROM deliveries WHERE webhook = ? AND id <= (SELECT id FROM deliveries "
                   "WHERE webhook = ? ORDER BY id DESC LIMIT 1 OFFSET ?)");
  prune.Bind(1, static_cast<int64_t>(a.webhook))
      .Bind(2, static_cast<int64_t>(a.webhook))
      .Bind(3, kHistoryKept);
  return prune.Run();
}

Status Store::RecordAttempt(const Attempt& a) {
  std::lock_guard lock(mu_);
  return InsertAttemptLocked(a);
}

StatusOr<std::vector<Attempt>> Store::History(uint64_t webhook, uint64_t after, size_t limit) {
  std::lock_guard lock(mu_);
  auth::Stmt st(db_,
                "SELECT id, seq, event, attempt, time_ms, outcome, http_status, error FROM "
                "deliveries WHERE webhook = ? AND id > ? ORDER BY id LIMIT ?");
  st.Bind(1, static_cast<int64_t>(webhook))
      .Bind(2, static_cast<int64_t>(after))
      .Bind(3, static_cast<int64_t>(limit));
  std::vector<Attempt> out;
  while (st.Step()) {
    Attempt a;
    a.id = static_cast<uint64_t>(st.Int(0));
    a.webhook = webhook;
    a.seq = Seq(static_cast<uint64_t>(st.Int(1)));
    a.event = st.Text(2);
    a.attempt = static_cast<int>(st.Int(3));
    a.time = Time{st.Int(4)};
    a.outcome = st.Text(5);
    a.http_status = static_cast<int>(st.Int(6));
    a.error = st.Text(7);
    out.push_back(std::move(a));
  }
  NCC_RETURN_IF_ERROR(st.status());
  return out;
}

Status Store::GiveUp(const Attempt& last) {
  std::lock_guard lock(mu_);
  NCC_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
  auto body = [&]() -> Status {
    auth::Stmt letter(db_,
                      "INSERT OR REPLACE INTO dead_letters (webhook, seq, event, attempts, "
                      "failed_ms, error, queued) VALUES (?,?,?,?,?,?,0)");
    letter.Bind(1, static_cast<int64_t>(last.webhook))
        .Bind(2, static_cast<int64_t>(last.seq.value))
        .Bind(3, last.event)
        .Bind(4, static_cast<int64_t>(last.attempt))
        .Bind(5, last.time.ms)
        .Bind(6, last.error);
    NCC_RETURN_IF_ERROR(letter.Run());
    auth::Stmt cursor(db_, "UPDATE subscriptions SET cursor = ? WHERE id = ? AND cursor < ?");
    cursor.Bind(1, static_cast<int64_t>(last.seq.value))
        .Bind(2, static_cast<int64_t>(last.webhook))
        .Bind(3, static_cast<int64_t>(last.seq.value));
    NCC_RETURN_IF_ERROR(cursor.Run());
    return InsertAttemptLocked(last);
  };
  Status s = body();
  if (!s.ok()) {
    (void)Exec("ROLLBACK");
    return s;
  }
  return Exec("COMMIT");
}

StatusOr<std::vector<DeadLetter>> Store::DeadLetters(uint64_t webhook) {
  std::lock_guard lock(mu_);
  auth::Stmt st(db_,
                "SELECT seq, event, attempts, failed_ms, error, queued FROM dead_letters WHERE "
                "webhook = ? ORDER BY seq");
  st.Bind(1, static_cast<int64_t>(webhook));
  std::vector<DeadLetter> out;
  while (st.Step())
    out.push_back({webhook, Seq(static_cast<uint64_t>(st.Int(0))), st.Text(1),
                   static_cast<int>(st.Int(2)), Time{st.Int(3)}, st.Text(4), st.Int(5) != 0});
  NCC_RETURN_IF_ERROR(st.status());
  return out;
}

StatusOr<size_t> Store::QueueRedelivery(uint64_t webhook, std::optional<Seq> seq) {
  std::lock_guard lock(mu_);
  auth::Stmt st(db_, seq ? "UPDATE dead_letters SET queued = 1 WHERE webhook = ? AND seq = ?"
                         : "UPDATE dead_letters SET queued = 1 WHERE webhook = ?");
  st.Bind(1, static_cast<int64_t>(webhook));
  if (seq) st.Bind(2, static_cast<int64_t>(seq->value));
  NCC_RETURN_IF_ERROR(st.Run());
  return static_cast<size_t>(sqlite3_changes(db_));
}

Status Store::Redelivered(const Attempt& a) {
  std::lock_guard lock(mu_);
  auth::Stmt st(db_, "DELETE FROM dead_letters WHERE webhook = ? AND seq = ?");
  st.Bind(1, static_cast<int64_t>(a.webhook)).Bind(2, static_cast<int64_t>(a.seq.value));
  NCC_RETURN_IF_ERROR(st.Run());
  return InsertAttemptLocked(a);
}

Status Store::RedeliveryFailed(const Attempt& a) {
  std::lock_guard lock(mu_);
  auth::Stmt st(db_,
                "UPDATE dead_letters SET queued = 0, error = ?, failed_ms = ? WHERE webhook = ? "
                "AND seq = ?");
  st.Bind(1, a.error)
      .Bind(2, a.time.ms)
      .Bind(3, static_cast<int64_t>(a.webhook))
      .Bind(4, static_cast<int64_t>(a.seq.value));
  NCC_RETURN_IF_ERROR(st.Run());
  return InsertAttemptLocked(a);
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
