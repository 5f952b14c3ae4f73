// The EventLog on PostgreSQL 15 (docs/store-postgres.md): the same stored bytes and hash chain
// as the SQLite log, one table per shard, and one writer per shard fenced by a lease epoch.
//
// Durability point: Append is one transaction (the lease check, one COPY of the whole batch,
// a NOTIFY for followers, COMMIT) on a session with synchronous_commit=on; the COMMIT returning
// is the acknowledgement, so the batch's WAL is flushed on the server before Append returns.
// Open refuses a server running with fsync=off.
//
// Fencing: the table ncc_lease holds, per shard, the node that may write, its epoch (only ever
// incremented, by Acquire) and when its lease runs out. Every Append transaction re-reads the
// shard's lease row FOR SHARE and goes on only if the epoch is still this log's; each stored
// row carries that epoch. An Acquire by another node (an UPDATE of that row) waits for such a
// transaction to end, so an append either commits before the epoch moves or is refused after:
// a deposed writer stores nothing. (Advisory locks are not used for this: they die with a
// session that may still have a transaction in flight on another path.)
//
// Threads: Append from one writer thread. ReadAfter, LastSeq, WaitForAppend and the lease calls
// from any thread: each kind of work has its own connection behind its own mutex.
//
// Errors: Append answers kFailedPrecondition without the lease or when deposed ("deposed: this
// node holds epoch 3, the lease is at epoch 4 (node b)"), kInsufficientStorage when the server's
// disk is full and nothing was stored, kUnavailable when the connection is lost (then whether
// the batch committed is unknown: the engine stops), kInternal otherwise.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/thread_annotations.h"
#include "store/event_log.h"
#include "store/postgres/pg_conn.h"

namespace ncc {

struct PostgresLogOptions {
  std::string url;             // libpq URI, e.g. postgresql://ncc@127.0.0.1:5432/ncc
  std::string shard = "main";  // [a-z][a-z0-9_]{0,39}: table ncc_events_<shard>
  std::string node = "ncc";    // this node's name in the lease ([A-Za-z0-9._-]{1,64})
};

// Who holds a shard's lease now.
struct LeaseState {
  std::string holder;
  uint64_t epoch = 0;
  int64_t remaining_ms = 0;  // negative: expired
  std::string holder_url;    // the URL the holder advertised in its node row ("" if none)
};

// One node of a shard as it last reported itself (table ncc_nodes, a row per node, written by
// Heartbeat): what `ncc cluster status` shows and where standbys send writers' clients.
struct NodeReport {
  std::string node;
  std::string url;        // where its clients reach it (--advertise)
  std::string role;       // "writer" or "standby"
  uint64_t epoch = 0;     // the lease epoch it writes under (0: none)
  uint64_t last_seq = 0;  // the newest event its World has applied
  int64_t age_ms = 0;     // since that report (the database's clock)
};

class PostgresEventLog final : public EventLog {
 public:
  // The schema version this build writes (ncc_meta 'schema'); a newer one is refused.
  static constexpr int kSchemaVersion = 1;

  // Connects, creates the schema if missing (idempotent, safe from several nodes at once) and
  // reads the last seq. The log can read at once; it appends only after Acquire.
  // kInvalidArgument naming "shard" or "node", kUnavailable if the server cannot be reached,
  // kFailedPrecondition for fsync=off or a newer schema.
  static StatusOr<std::unique_ptr<PostgresEventLog>> Open(const PostgresLogOptions& options);
  ~PostgresEventLog() override;

  Status Append(const std::vector<StoredEvent>& batch) override EXCLUDES(write_mu_);
  StatusOr<std::vector<StoredEvent>> ReadAfter(Seq after, size_t limit) const override
      EXCLUDES(read_mu_);
  StatusOr<Seq> WaitForAppend(Seq after, std::chrono::milliseconds timeout) const override
      EXCLUDES(listen_mu_);
  Seq LastSeq() const override { return Seq(last_seq_.load()); }
  uint64_t Syncs() const override { return syncs_.load(); }
  bool Fenced() const override { return true; }

  // Takes the shard's lease for `ttl` if it is free, expired, or already this node's (a
  // restarted node takes its own lease back at once), with the epoch incremented; then
  // re-reads the last seq (no older writer can append any more). kFailedPrecondition naming
  // the holder, its epoch and how long its lease runs while another node holds it.
  Status Acquire(std::chrono::milliseconds ttl) EXCLUDES(lease_mu_);
  // Extends this node's lease; kFailedPrecondition ("deposed: ...") if the epoch moved on.
  Status Renew(std::chrono::milliseconds ttl) EXCLUDES(lease_mu_);
  // Stops KeepLease and lets the lease run out now (the epoch stays), so another node may take
  // it at once. Also done on destruction.
  Status Release() EXCLUDES(lease_mu_);
  StatusOr<LeaseState> Lease() const EXCLUDES(lease_mu_);
  uint64_t epoch() const { return epoch_.load(); }
  // Renews the lease every ttl/3 on a thread of its own until destruction. `lost` is called
  // once, on that thread, when a renewal finds the lease taken by another node (or it could
  // not be renewed before it ran out); renewals stop and the caller should stop writing (an
  // Append after another node took the lease is refused in any case).
  void KeepLease(std::chrono::milliseconds ttl, std::function<void(const Status&)> lost);

  // Writes this node's row of ncc_nodes (node, url, role, epoch, last seq, now). Any thread.
  Status Heartbeat(const NodeReport& report) EXCLUDES(lease_mu_);
  // Every node row of this shard, by name.
  StatusOr<std::vector<NodeReport>> Nodes() const EXCLUDES(lease_mu_);

  // Follower (EventLog::WaitForAppend): LISTEN on the shard's channel, NOTIFYed by every
  // Append transaction. kUnavailable if the server is gone.

  const std::string& shard() const { return options_.shard; }
  const std::string& node() const { return options_.node; }
  const std::string& table() const { return table_; }
  // host:port/dbname of the server (for messages).
  const std::string& where() const { return where_; }

 private:
  explicit PostgresEventLog(const PostgresLogOptions& options);
  Status Init();
  // "ncc ROLE NODE SHARD": each connection's application_name (pg_stat_activity).
  std::string AppName(const char* role) const;
  Status CreateSchema(pg::PgConn& conn);
  StatusOr<Seq> QueryLastSeq(pg::PgConn& conn) const;
  // After a failed step of an append transaction: rolls back and says whether the log is as it
  // was (kInsufficientStorage for a full disk that stored nothing) or the error as it is.
  Status AfterFailedAppend(Status error) REQUIRES(write_mu_);
  Status CheckEpoch() REQUIRES(write_mu_);
  Status Deposed(pg::PgConn& conn, const std::string& lead) const;
  StatusOr<std::vector<StoredEvent>> ReadOnce(Seq after, size_t limit) const REQUIRES(read_mu_);
  Status Listen() const REQUIRES(listen_mu_);
  // After a lease statement failed for a lost connection: a new one for the next try.
  void ResetLeaseConnection(const Status& failed) const REQUIRES(lease_mu_);
  Seq DrainNotifications() const REQUIRES(listen_mu_);
  void StopKeeper();
  void KeepLoop(std::chrono::milliseconds ttl, std::function<void(const Status&)> lost);

  const PostgresLogOptions options_;
  const std::string table_, channel_;
  std::string where_;
  Mutex write_mu_;
  std::unique_ptr<pg::PgConn> writer_ GUARDED_BY(write_mu_);
  mutable Mutex read_mu_;
  std::unique_ptr<pg::PgConn> reader_ GUARDED_BY(read_mu_);
  mutable Mutex lease_mu_;
  std::unique_ptr<pg::PgConn> lease_conn_ GUARDED_BY(lease_mu_);
  mutable Mutex listen_mu_;
  mutable std::unique_ptr<pg::PgConn> listener_ GUARDED_BY(listen_mu_);  // opened on first wait
  std::atomic<uint64_t> epoch_{0};                                       // 0: no lease taken
  mutable std::atomic<uint64_t> last_seq_{0};
  std::atomic<uint64_t> syncs_{0};

  // KeepLease's thread. Plain std::mutex: it pairs with a condition variable.
  std::thread keeper_;
  std::mutex keeper_mu_;
  std::condition_variable keeper_cv_;
  bool stopping_ = false;
};

// Checks a shard name ([a-z][a-z0-9_]{0,39}); kInvalidArgument naming "shard".
Status CheckShardName(const std::string& shard);
// Checks a node name ([A-Za-z0-9._-]{1,64}); kInvalidArgument naming "node".
Status CheckNodeName(const std::string& node);

}  // namespace ncc
