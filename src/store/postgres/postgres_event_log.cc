#include "store/postgres/postgres_event_log.h"

#include <poll.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace ncc {
namespace {

constexpr int kColumns = 10;  // as kCopy lists them

// The lease table and the schema version are shared by every shard; events get a table each.
constexpr const char* kCommonSchema = R"sql(
CREATE TABLE IF NOT EXISTS ncc_meta (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE IF NOT EXISTS ncc_lease (
  shard text PRIMARY KEY,
  holder text NOT NULL,
  epoch bigint NOT NULL CHECK (epoch > 0),
  expires_at timestamptz NOT NULL
);
CREATE TABLE IF NOT EXISTS ncc_nodes (
  shard text NOT NULL,
  node text NOT NULL,
  url text NOT NULL,
  role text NOT NULL,
  epoch bigint NOT NULL,
  last_seq bigint NOT NULL,
  seen_at timestamptz NOT NULL,
  PRIMARY KEY (shard, node)
);
)sql";

// The same columns (and bytes) as the SQLite log's `events`, plus the writer's epoch.
std::string EventsSchema(const std::string& table) {
  return "CREATE TABLE IF NOT EXISTS " + table +
         " (seq bigint PRIMARY KEY CHECK (seq > 0), time bigint NOT NULL, actor bytea NOT NULL,"
         " agency bytea NOT NULL, classification smallint NOT NULL, type integer NOT NULL,"
         " payload bytea NOT NULL, prev_hash bytea NOT NULL, hash bytea NOT NULL,"
         " epoch bigint NOT NULL)";
}

std::string CopySql(const std::string& table) {
  return "COPY " + table +
         " (seq,time,actor,agency,classification,type,payload,prev_hash,hash,epoch)"
         " FROM STDIN (FORMAT binary)";
}

// The whole batch in COPY's binary format: header, one tuple per event, trailer.
std::string CopyData(const std::vector<StoredEvent>& batch, uint64_t epoch) {
  std::string out("PGCOPY\n\377\r\n\0", 11);
  pg::PutInt32(out, 0);  // flags
  pg::PutInt32(out, 0);  // header extension length
  auto bytes = [&out](const void* p, size_t n) {
    pg::PutInt32(out, static_cast<int32_t>(n));
    out.append(static_cast<const char*>(p), n);
  };
  for (const StoredEvent& e : batch) {
    pg::PutInt16(out, kColumns);
    pg::PutInt32(out, 8);
    pg::PutInt64(out, static_cast<int64_t>(e.seq.value));
    pg::PutInt32(out, 8);
    pg::PutInt64(out, e.time.ms);
    bytes(e.actor.data(), e.actor.size());
    bytes(e.agency.data(), e.agency.size());
    pg::PutInt32(out, 2);
    pg::PutInt16(out, static_cast<int16_t>(e.classification));
    pg::PutInt32(out, 4);
    pg::PutInt32(out, static_cast<int32_t>(e.type));
    bytes(e.payload.data(), e.payload.size());
    bytes(e.prev_hash.data(), e.prev_hash.size());
    bytes(e.hash.data(), e.hash.size());
    pg::PutInt32(out, 8);
    pg::PutInt64(out, static_cast<int64_t>(epoch));
  }
  pg::PutInt16(out, -1);
  return out;
}

void CopyHash(const PGresult* r, int row, int col, Hash& out) {
  out.fill(0);
  if (PQgetlength(r, row, col) == static_cast<int>(out.size()))
    std::memcpy(out.data(), PQgetvalue(r, row, col), out.size());
}

bool Matches(const std::string& s, size_t max, bool (*ok)(char, size_t)) {
  if (s.empty() || s.size() > max) return false;
  for (size_t i = 0; i < s.size(); ++i)
    if (!ok(s[i], i)) return false;
  return true;
}

std::string Ms(std::chrono::milliseconds d) {
  return std::to_string(d.count());
}

}  // namespace

Status CheckShardName(const std::string& shard) {
  bool ok = Matches(shard, 40, [](char c, size_t i) {
    return (c >= 'a' && c <= 'z') || (i > 0 && ((c >= '0' && c <= '9') || c == '_'));
  });
  if (!ok)
    return InvalidArgument(
        "shard must be 1-40 of a-z, 0-9 and _, starting with a letter: '" + shard + "'", "shard");
  return Status::Ok();
}

Status CheckNodeName(const std::string& node) {
  bool ok = Matches(node, 64, [](char c, size_t) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
  if (!ok) return InvalidArgument("node must be 1-64 of A-Z, a-z, 0-9, '.', '_', '-'", "node");
  return Status::Ok();
}

PostgresEventLog::PostgresEventLog(const PostgresLogOptions& options)
    : options_(options),
      table_("ncc_events_" + options.shard),
      channel_("ncc_events_" + options.shard) {}

std::string PostgresEventLog::AppName(const char* role) const {
  return "ncc " + std::string(role) + " " + options_.node + " " + options_.shard;
}

StatusOr<std::unique_ptr<PostgresEventLog>> PostgresEventLog::Open(
    const PostgresLogOptions& options) {
  NCC_RETURN_IF_ERROR(CheckShardName(options.shard));
  NCC_RETURN_IF_ERROR(CheckNodeName(options.node));
  std::unique_ptr<PostgresEventLog> log(new PostgresEventLog(options));
  NCC_RETURN_IF_ERROR(log->Init());
  return log;
}

Status PostgresEventLog::Init() {
  MutexLock w(write_mu_);
  MutexLock r(read_mu_);
  MutexLock l(lease_mu_);
  for (auto [conn, role] : {std::pair{&writer_, "writer"}, std::pair{&reader_, "reader"},
                            std::pair{&lease_conn_, "lease"}}) {
    auto c = pg::PgConn::Connect(options_.url, AppName(role));
    if (!c.ok()) return c.status();
    *conn = std::move(*c);
  }
  where_ = writer_->where();
  auto fsync = writer_->Exec("SHOW fsync", "read fsync");
  if (!fsync.ok()) return fsync.status();
  if (std::string(PQgetvalue(fsync->get(), 0, 0)) != "on")
    return FailedPrecondition("PostgreSQL at " + where_ +
                              " runs with fsync=off: a crash of the server could lose "
                              "acknowledged commands; refusing to use it as the event log");
  // The durability point of every acknowledgement, whatever the server's default is.
  for (auto* conn : {&writer_, &reader_, &lease_conn_})
    if (auto s = (*conn)->Exec("SET synchronous_commit = on", "set synchronous_commit"); !s.ok())
      return s.status();
  NCC_RETURN_IF_ERROR(CreateSchema(*writer_));
  auto last = QueryLastSeq(*reader_);
  if (!last.ok()) return last.status();
  last_seq_ = last->value;
  return Status::Ok();
}

Status PostgresEventLog::CreateSchema(pg::PgConn& conn) {
  // CREATE ... IF NOT EXISTS is not safe against itself in parallel (two sessions may both
  // find the name free): the DDL takes a transaction-scoped lock. This lock orders schema
  // changes only; fencing of writers is the lease's.
  std::string sql = "BEGIN; SELECT pg_advisory_xact_lock(hashtext('ncc-schema'));" +
                    std::string(kCommonSchema) + EventsSchema(table_) +
                    "; INSERT INTO ncc_meta VALUES ('schema', '" + std::to_string(kSchemaVersion) +
                    "') ON CONFLICT (key) DO NOTHING; SELECT value FROM ncc_meta WHERE key = "
                    "'schema'";
  auto r = conn.Exec(sql, "create the event log schema");
  if (!r.ok()) {
    (void)conn.Exec("ROLLBACK", "roll back");
    return r.status();
  }
  int version = std::atoi(PQgetvalue(r->get(), 0, 0));
  auto commit = conn.Exec("COMMIT", "commit the event log schema");
  if (!commit.ok()) return commit.status();
  if (version > kSchemaVersion)
    return FailedPrecondition("the event log schema at " + where_ + " is version " +
                              std::to_string(version) + ", newer than this ncc knows (" +
                              std::to_string(kSchemaVersion) + "): upgrade ncc");
  return Status::Ok();
}

StatusOr<Seq> PostgresEventLog::QueryLastSeq(pg::PgConn& conn) const {
  auto r = conn.Exec("SELECT COALESCE(MAX(seq), 0) FROM " + table_, "read the last seq");
  if (!r.ok()) return r.status();
  return Seq(std::strtoull(PQgetvalue(r->get(), 0, 0), nullptr, 10));
}

PostgresEventLog::~PostgresEventLog() {
  // A log that is closed writes no more: the next node need not wait for the lease to run out.
  (void)Release();
}

void PostgresEventLog::StopKeeper() {
  {
    std::lock_guard lock(keeper_mu_);
    stopping_ = true;
  }
  keeper_cv_.notify_all();
  if (keeper_.joinable() && keeper_.get_id() != std::this_thread::get_id()) keeper_.join();
}

// --- appending -------------------------------------------------------------------------------

Status PostgresEventLog::Deposed(pg::PgConn& conn, const std::string& lead) const {
  auto r = conn.ExecParams("SELECT holder, epoch FROM ncc_lease WHERE shard = $1",
                           pg::Params().Text(options_.shard), "read the lease");
  if (!r.ok()) return r.status();
  std::string mine = std::to_string(epoch_.load());
  if (PQntuples(r->get()) == 0)
    return FailedPrecondition(lead + ": this node holds epoch " + mine + ", the lease of shard " +
                              options_.shard + " is gone");
  return FailedPrecondition(lead + ": this node holds epoch " + mine + ", the lease is at epoch " +
                            PQgetvalue(r->get(), 0, 1) + " (node " + PQgetvalue(r->get(), 0, 0) +
                            ")");
}

Status PostgresEventLog::CheckEpoch() {
  // FOR SHARE: an Acquire elsewhere (an UPDATE of this row) waits until this transaction ends.
  auto r = writer_->Exec("BEGIN; SELECT epoch FROM ncc_lease WHERE shard = " +
                             pg::Literal(options_.shard) + " FOR SHARE",
                         "check the lease");
  if (!r.ok()) return r.status();
  if (PQntuples(r->get()) == 1 &&
      std::strtoull(PQgetvalue(r->get(), 0, 0), nullptr, 10) == epoch_.load())
    return Status::Ok();
  (void)writer_->Exec("ROLLBACK", "roll back");
  return Deposed(*writer_, "deposed");
}

Status PostgresEventLog::AfterFailedAppend(Status error) {
  if (error.code() == StatusCode::kUnavailable) return error;  // nothing more can be known
  Status rolled_back;
  if (writer_->in_transaction())
    rolled_back = writer_->Exec("ROLLBACK", "roll back the append").status();
  if (error.code() != StatusCode::kInsufficientStorage) return error;
  // The transaction rolled back; make sure nothing of the batch is there before saying so.
  auto last = QueryLastSeq(*writer_);
  if (!rolled_back.ok() || !last.ok() || last->value != last_seq_.load())
    return Internal(error.message() + " (and the log's state after it is unknown)");
  return error;
}

Status PostgresEventLog::Append(const std::vector<StoredEvent>& batch) {
  if (batch.empty()) return Status::Ok();
  if (epoch_.load() == 0)
    return FailedPrecondition("node " + options_.node + " has not taken the lease of shard " +
                              options_.shard + ": it may not append");
  NCC_RETURN_IF_ERROR(CheckContinues(LastSeq(), batch));
  MutexLock lock(write_mu_);
  if (Status s = CheckEpoch(); !s.ok()) return AfterFailedAppend(s);
  std::string what = "append seq " + std::to_string(batch.front().seq.value) + ".." +
                     std::to_string(batch.back().seq.value) + " to " + table_;
  if (Status s = writer_->CopyIn(CopySql(table_), CopyData(batch, epoch_.load()), what); !s.ok())
    return AfterFailedAppend(s);
  // NOTIFY is delivered at commit, and only if it commits: a follower never hears of a batch
  // that is not there. COMMIT returns once the WAL is flushed (synchronous_commit=on).
  auto commit = writer_->Exec(
      "NOTIFY " + channel_ + ", '" + std::to_string(batch.back().seq.value) + "'; COMMIT",
      "commit " + what);
  if (!commit.ok()) return AfterFailedAppend(commit.status());
  if (std::string(PQcmdStatus(commit->get())) != "COMMIT")
    return Internal("commit " + what + ": the server answered " + PQcmdStatus(commit->get()));
  ++syncs_;
  last_seq_ = batch.back().seq.value;
  return Status::Ok();
}

// --- reading ---------------------------------------------------------------------------------

StatusOr<std::vector<StoredEvent>> PostgresEventLog::ReadAfter(Seq after, size_t limit) const {
  MutexLock lock(read_mu_);
  auto out = ReadOnce(after, limit);
  if (out.ok() || out.status().code() != StatusCode::kUnavailable) return out;
  // A server restarted under us: one new connection, one more try.
  NCC_RETURN_IF_ERROR(reader_->Reset());
  if (auto s = reader_->Exec("SET synchronous_commit = on", "set synchronous_commit"); !s.ok())
    return s.status();
  return ReadOnce(after, limit);
}

StatusOr<std::vector<StoredEvent>> PostgresEventLog::ReadOnce(Seq after, size_t limit) const {
  auto r = reader_->ExecParams(
      "SELECT seq,time,actor,agency,classification,type,payload,prev_hash,hash FROM " + table_ +
          " WHERE seq > $1 ORDER BY seq LIMIT $2",
      pg::Params()
          .Int8(static_cast<int64_t>(after.value))
          .Int8(static_cast<int64_t>(std::min<size_t>(limit, INT64_MAX))),
      "read " + table_ + " after seq " + std::to_string(after.value), /*binary_result=*/true);
  if (!r.ok()) return r.status();
  const PGresult* res = r->get();
  std::vector<StoredEvent> out(static_cast<size_t>(PQntuples(res)));
  for (int i = 0; i < PQntuples(res); ++i) {
    StoredEvent& e = out[static_cast<size_t>(i)];
    e.seq = Seq(static_cast<uint64_t>(pg::ReadInt8(res, i, 0)));
    e.time.ms = pg::ReadInt8(res, i, 1);
    e.actor = pg::ReadBytes(res, i, 2);
    e.agency = pg::ReadBytes(res, i, 3);
    int cls = pg::ReadInt2(res, i, 4);
    if (cls < 0 || cls >= kClassificationCount)
      return DataLoss("event " + std::to_string(e.seq.value) + " in " + table_ + " at " + where_ +
                      ": classification out of range");
    e.classification = static_cast<Classification>(cls);
    e.type = static_cast<EventType>(pg::ReadInt4(res, i, 5));
    e.payload = pg::ReadBytes(res, i, 6);
    CopyHash(res, i, 7, e.prev_hash);
    CopyHash(res, i, 8, e.hash);
  }
  // A follower's idea of the end of the log moves with what it reads.
  if (!out.empty()) {
    uint64_t seen = out.back().seq.value;
    uint64_t known = last_seq_.load();
    while (seen > known && !last_seq_.compare_exchange_weak(known, seen)) {
    }
  }
  return out;
}

// --- following -------------------------------------------------------------------------------

Status PostgresEventLog::Listen() const {
  if (listener_ && listener_->ok()) return Status::Ok();
  if (listener_) {
    NCC_RETURN_IF_ERROR(listener_->Reset());
  } else {
    auto c = pg::PgConn::Connect(options_.url, AppName("follower"));
    if (!c.ok()) return c.status();
    listener_ = std::move(*c);
  }
  return listener_->Exec("LISTEN " + channel_, "listen on " + channel_).status();
}

Seq PostgresEventLog::DrainNotifications() const {
  uint64_t newest = 0;
  PQconsumeInput(listener_->raw());
  while (PGnotify* n = PQnotifies(listener_->raw())) {
    newest = std::max<uint64_t>(newest, std::strtoull(n->extra, nullptr, 10));
    PQfreemem(n);
  }
  return Seq(newest);
}

StatusOr<Seq> PostgresEventLog::WaitForAppend(Seq after, std::chrono::milliseconds timeout) const {
  MutexLock lock(listen_mu_);
  NCC_RETURN_IF_ERROR(Listen());
  auto deadline = std::chrono::steady_clock::now() + timeout;
  // Listening first, then looking: an append that commits in between is seen either way.
  Seq newest = DrainNotifications();
  if (newest <= after) {
    auto last = QueryLastSeq(*listener_);
    if (!last.ok()) return last.status();
    newest = std::max(newest, *last);
  }
  while (newest <= after) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd fd{PQsocket(listener_->raw()), POLLIN, 0};
    if (::poll(&fd, 1, static_cast<int>(std::min<int64_t>(left.count(), 1000))) < 0) break;
    newest = std::max(newest, DrainNotifications());
    if (!listener_->ok())
      return Unavailable("the follower's connection to PostgreSQL at " + where_ + " is lost");
  }
  uint64_t known = last_seq_.load();
  while (newest.value > known && !last_seq_.compare_exchange_weak(known, newest.value)) {
  }
  return newest;
}

// --- the lease -------------------------------------------------------------------------------

Status PostgresEventLog::Acquire(std::chrono::milliseconds ttl) {
  MutexLock lock(lease_mu_);
  // One statement: take the row if it is free, expired or ours, with the next epoch.
  auto r = lease_conn_->ExecParams(
      "INSERT INTO ncc_lease AS l (shard, holder, epoch, expires_at)"
      " VALUES ($1, $2, 1, clock_timestamp() + $3::bigint * interval '1 millisecond')"
      " ON CONFLICT (shard) DO UPDATE SET holder = EXCLUDED.holder, epoch = l.epoch + 1,"
      " expires_at = EXCLUDED.expires_at"
      " WHERE l.expires_at < clock_timestamp() OR l.holder = EXCLUDED.holder"
      " RETURNING epoch",
      pg::Params().Text(options_.shard).Text(options_.node).Text(Ms(ttl)),
      "take the lease of shard " + options_.shard);
  if (!r.ok()) {
    ResetLeaseConnection(r.status());
    return r.status();
  }
  if (PQntuples(r->get()) == 0) {
    auto held = lease_conn_->ExecParams(
        "SELECT holder, epoch,"
        " (extract(epoch FROM expires_at - clock_timestamp()) * 1000)::bigint"
        " FROM ncc_lease WHERE shard = $1",
        pg::Params().Text(options_.shard), "read the lease");
    if (!held.ok()) return held.status();
    return FailedPrecondition("shard " + options_.shard + " at " + where_ + " is held by node " +
                              PQgetvalue(held->get(), 0, 0) + " at epoch " +
                              PQgetvalue(held->get(), 0, 1) + " (its lease runs " +
                              PQgetvalue(held->get(), 0, 2) +
                              " ms more): another live node is the writer");
  }
  epoch_ = std::strtoull(PQgetvalue(r->get(), 0, 0), nullptr, 10);
  // From here no older writer can commit: the end of the log is final until this node appends.
  auto last = QueryLastSeq(*lease_conn_);
  if (!last.ok()) return last.status();
  last_seq_ = last->value;
  return Status::Ok();
}

Status PostgresEventLog::Renew(std::chrono::milliseconds ttl) {
  MutexLock lock(lease_mu_);
  auto r = lease_conn_->ExecParams(
      "UPDATE ncc_lease SET expires_at = clock_timestamp() + $3::bigint * interval '1 millisecond'"
      " WHERE shard = $1 AND epoch = $2::bigint RETURNING epoch",
      pg::Params().Text(options_.shard).Text(std::to_string(epoch_.load())).Text(Ms(ttl)),
      "renew the lease of shard " + options_.shard);
  if (!r.ok()) {
    ResetLeaseConnection(r.status());
    return r.status();
  }
  if (PQntuples(r->get()) == 0) return Deposed(*lease_conn_, "deposed");
  return Status::Ok();
}

Status PostgresEventLog::Release() {
  StopKeeper();  // a renewal after this would take the lease back
  MutexLock lock(lease_mu_);
  if (epoch_.load() == 0) return Status::Ok();
  return lease_conn_
      ->ExecParams(
          "UPDATE ncc_lease SET expires_at = clock_timestamp() - interval '1 millisecond'"
          " WHERE shard = $1 AND epoch = $2::bigint",
          pg::Params().Text(options_.shard).Text(std::to_string(epoch_.load())),
          "release the lease of shard " + options_.shard)
      .status();
}

StatusOr<LeaseState> PostgresEventLog::Lease() const {
  MutexLock lock(lease_mu_);
  auto r = lease_conn_->ExecParams(
      "SELECT l.holder, l.epoch,"
      " (extract(epoch FROM l.expires_at - clock_timestamp()) * 1000)::bigint,"
      " COALESCE(n.url, '')"
      " FROM ncc_lease l LEFT JOIN ncc_nodes n ON n.shard = l.shard AND n.node = l.holder"
      " WHERE l.shard = $1",
      pg::Params().Text(options_.shard), "read the lease");
  if (!r.ok()) {
    ResetLeaseConnection(r.status());
    return r.status();
  }
  if (PQntuples(r->get()) == 0) return NotFound("shard " + options_.shard + " has no lease yet");
  return LeaseState{
      PQgetvalue(r->get(), 0, 0), std::strtoull(PQgetvalue(r->get(), 0, 1), nullptr, 10),
      std::strtoll(PQgetvalue(r->get(), 0, 2), nullptr, 10), PQgetvalue(r->get(), 0, 3)};
}

void PostgresEventLog::ResetLeaseConnection(const Status& failed) const {
  if (failed.code() != StatusCode::kUnavailable) return;
  if (lease_conn_->Reset().ok())
    (void)lease_conn_->Exec("SET synchronous_commit = on", "set synchronous_commit");
}

Status PostgresEventLog::Heartbeat(const NodeReport& report) {
  MutexLock lock(lease_mu_);
  auto r = lease_conn_->ExecParams(
      "INSERT INTO ncc_nodes (shard, node, url, role, epoch, last_seq, seen_at)"
      " VALUES ($1, $2, $3, $4, $5::bigint, $6::bigint, clock_timestamp())"
      " ON CONFLICT (shard, node) DO UPDATE SET url = EXCLUDED.url, role = EXCLUDED.role,"
      " epoch = EXCLUDED.epoch, last_seq = EXCLUDED.last_seq, seen_at = EXCLUDED.seen_at",
      pg::Params()
          .Text(options_.shard)
          .Text(options_.node)
          .Text(report.url)
          .Text(report.role)
          .Text(std::to_string(report.epoch))
          .Text(std::to_string(report.last_seq)),
      "report node " + options_.node + " of shard " + options_.shard);
  if (!r.ok()) ResetLeaseConnection(r.status());
  return r.status();
}

StatusOr<std::vector<NodeReport>> PostgresEventLog::Nodes() const {
  MutexLock lock(lease_mu_);
  auto r = lease_conn_->ExecParams(
      "SELECT node, url, role, epoch, last_seq,"
      " (extract(epoch FROM clock_timestamp() - seen_at) * 1000)::bigint"
      " FROM ncc_nodes WHERE shard = $1 ORDER BY node",
      pg::Params().Text(options_.shard), "read the nodes of shard " + options_.shard);
  if (!r.ok()) {
    ResetLeaseConnection(r.status());
    return r.status();
  }
  std::vector<NodeReport> out;
  for (int i = 0; i < PQntuples(r->get()); ++i)
    out.push_back({PQgetvalue(r->get(), i, 0), PQgetvalue(r->get(), i, 1),
                   PQgetvalue(r->get(), i, 2),
                   std::strtoull(PQgetvalue(r->get(), i, 3), nullptr, 10),
                   std::strtoull(PQgetvalue(r->get(), i, 4), nullptr, 10),
                   std::strtoll(PQgetvalue(r->get(), i, 5), nullptr, 10)});
  return out;
}

void PostgresEventLog::KeepLease(std::chrono::milliseconds ttl,
                                 std::function<void(const Status&)> lost) {
  keeper_ = std::thread([this, ttl, lost = std::move(lost)] { KeepLoop(ttl, lost); });
}

void PostgresEventLog::KeepLoop(std::chrono::milliseconds ttl,
                                std::function<void(const Status&)> lost) {
  auto renewed = std::chrono::steady_clock::now();
  std::unique_lock lock(keeper_mu_);
  while (!keeper_cv_.wait_for(lock, ttl / 3, [this] { return stopping_; })) {
    lock.unlock();
    Status s = Renew(ttl);  // a lost connection is replaced for the next round
    auto now = std::chrono::steady_clock::now();
    if (s.ok()) renewed = now;
    // Deposed, or the lease has run out while the server could not be reached: another node
    // may hold it now, this one must not write any more.
    if (s.code() == StatusCode::kFailedPrecondition || (!s.ok() && now - renewed >= ttl)) {
      lost(s);
      return;
    }
    lock.lock();
  }
}

}  // namespace ncc
