// Which backend holds the event log: `ncc serve --store sqlite:DIR | postgres:URL |
// jetstream:URL` (the other files of the data folder stay in --data whatever the store;
// docs/store-postgres.md, docs/store-jetstream.md).
//
// Who uses it: the command line (serve), benchmarks and tests. Runs on the caller's thread.
// Errors: ParseStoreSpec answers kInvalidArgument naming "store"; OpenEventLog what the
// backend's Open answers, and for PostgreSQL and JetStream the lease refusal (naming the node
// that holds the shard).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "core/status.h"
#include "store/event_log.h"

namespace ncc {

class SqliteEventLog;
class PostgresEventLog;
namespace jetstream {
class JetStreamEventLog;
}

struct StoreSpec {
  enum class Kind { kSqlite, kPostgres, kJetStream };
  Kind kind = Kind::kSqlite;
  // The folder (sqlite, events.db in it), the libpq URL (postgres) or the NATS servers
  // (jetstream: "nats://h:p[,nats://h:p...]").
  std::string location;
};

// "sqlite:DIR", "postgres:URL" (URL a libpq URI or key=value string; "postgres://..." and
// "postgresql://..." are taken as they are), "jetstream:nats://..." (comma-separated servers of
// one cluster). Empty: sqlite in `default_dir`.
StatusOr<StoreSpec> ParseStoreSpec(const std::string& text, const std::string& default_dir);

struct StoreOptions {
  std::string node = "ncc";    // this node's name in the shard's lease (postgres)
  std::string shard = "main";  // which log; SQLite holds one per folder ("main" only)
  uint64_t reserve_bytes = 0;  // SQLite: free space kept on the folder's disk
  std::chrono::milliseconds lease_ttl{10'000};
  int replicas = 1;  // JetStream: the stream's replicas (3 in a cluster)
  // Called (on the lease's thread) if the lease is taken by another node or cannot be renewed
  // in time; empty: the lease is taken but not renewed (tests, benchmarks that run briefly).
  std::function<void(const Status&)> on_lease_lost;
  // A hot standby (PostgreSQL only): the log is opened to follow, without taking the lease;
  // whoever runs the node takes it later (app/failover.h). kInvalidArgument naming "standby"
  // on another backend.
  bool standby = false;
};

struct OpenedLog {
  std::unique_ptr<EventLog> log;
  const SqliteEventLog* sqlite = nullptr;  // the same log when it is SQLite (WAL metrics)
  PostgresEventLog* postgres = nullptr;    // the same log when it is PostgreSQL (the lease)
  jetstream::JetStreamEventLog* jetstream = nullptr;  // the same log when it is JetStream
  std::string where;  // for messages: a file, or host:port/db and shard
};

// Opens the log for a writer: SQLite's file in the folder, or PostgreSQL's shard with its
// lease taken (Acquire) and, with `on_lease_lost`, kept renewed; with `standby`, PostgreSQL's
// shard without the lease.
StatusOr<OpenedLog> OpenEventLog(const StoreSpec& spec, const StoreOptions& options);

}  // namespace ncc
