#include "store/store_spec.h"

#include <algorithm>

#include "store/jetstream/jetstream_event_log.h"
#include "store/postgres/postgres_event_log.h"
#include "store/sqlite/sqlite_event_log.h"

namespace ncc {
namespace {

StatusOr<OpenedLog> OpenSqlite(const StoreSpec& spec, const StoreOptions& options) {
  if (options.shard != "main")
    return InvalidArgument(
        "--shard " + options.shard +
            " needs a shared store (postgres:URL): a SQLite folder holds one log",
        "shard");
  std::string path = spec.location + "/events.db";
  auto log = SqliteEventLog::Open(path, options.reserve_bytes);
  if (!log.ok()) return log.status();
  OpenedLog out;
  out.sqlite = log->get();
  out.log = std::move(*log);
  out.where = path;
  return out;
}

StatusOr<OpenedLog> OpenPostgres(const StoreSpec& spec, const StoreOptions& options) {
  auto log = PostgresEventLog::Open({spec.location, options.shard, options.node});
  if (!log.ok()) return log.status();
  if (!options.standby) NCC_RETURN_IF_ERROR((*log)->Acquire(options.lease_ttl));
  if (!options.standby && options.on_lease_lost)
    (*log)->KeepLease(options.lease_ttl, options.on_lease_lost);
  OpenedLog out;
  out.postgres = log->get();
  out.where = "PostgreSQL " + (*log)->where() + " shard " + options.shard;
  out.log = std::move(*log);
  return out;
}

// The lease is the log's own (a KV bucket with a TTL): a writer that stops renewing loses it,
// and its next Append is refused ("deposed"), which stops the engine.
StatusOr<OpenedLog> OpenJetStream(const StoreSpec& spec, const StoreOptions& options) {
  jetstream::JetStreamOptions o;
  o.replicas = options.replicas;
  o.lease_ttl_ms = options.lease_ttl.count();
  // A node restarted after a crash finds its own lease still live, a standby the writer's: both
  // wait for it to lapse (the TTL, twice over for an election of the lease bucket) rather than
  // fail at once; a writer still renewing it keeps it, and the start is refused.
  o.lease_wait_ms = 2 * options.lease_ttl.count() + 1000;
  auto log = jetstream::JetStreamEventLog::Open(spec.location, options.shard, options.node, o);
  if (!log.ok()) return log.status();
  OpenedLog out;
  out.jetstream = log->get();
  out.where = "JetStream " + spec.location + " shard " + options.shard;
  out.log = std::move(*log);
  return out;
}

}  // namespace

StatusOr<StoreSpec> ParseStoreSpec(const std::string& text, const std::string& default_dir) {
  if (text.empty()) return StoreSpec{StoreSpec::Kind::kSqlite, default_dir};
  size_t colon = text.find(':');
  std::string kind = text.substr(0, colon);
  std::string rest = colon == std::string::npos ? "" : text.substr(colon + 1);
  StoreSpec spec;
  if (kind == "sqlite") {
    spec = {StoreSpec::Kind::kSqlite, rest};
  } else if (kind == "postgres" || kind == "postgresql") {
    // "postgres://..." is itself a libpq URI: keep the scheme.
    spec = {StoreSpec::Kind::kPostgres, rest.rfind("//", 0) == 0 ? text : rest};
  } else if (kind == "jetstream") {
    spec = {StoreSpec::Kind::kJetStream, rest};
    for (size_t at = 0; !rest.empty() && at <= rest.size();) {
      size_t comma = std::min(rest.find(',', at), rest.size());
      std::string server = rest.substr(at, comma - at);
      if (server.rfind("nats://", 0) != 0 && server.rfind("tls://", 0) != 0)
        return InvalidArgument(
            "--store jetstream: each server must be nats://HOST:PORT or "
            "tls://HOST:PORT, not '" +
                server + "'",
            "store");
      at = comma + 1;
    }
  } else {
    return InvalidArgument(
        "--store must be sqlite:DIR, postgres:URL or jetstream:URL, not '" + text + "'", "store");
  }
  if (rest.empty())
    return InvalidArgument("--store " + kind + ": needs " +
                               (spec.kind == StoreSpec::Kind::kSqlite ? "a folder" : "a URL") +
                               " after the colon",
                           "store");
  return spec;
}

StatusOr<OpenedLog> OpenEventLog(const StoreSpec& spec, const StoreOptions& options) {
  if (options.standby && spec.kind != StoreSpec::Kind::kPostgres)
    return InvalidArgument(
        "--standby needs --store postgres:URL (hot standbys on JetStream are not built yet; a "
        "SQLite folder has one node)",
        "standby");
  switch (spec.kind) {
    case StoreSpec::Kind::kSqlite:
      return OpenSqlite(spec, options);
    case StoreSpec::Kind::kPostgres:
      return OpenPostgres(spec, options);
    case StoreSpec::Kind::kJetStream:
      return OpenJetStream(spec, options);
  }
  return Internal("unknown store kind");
}

}  // namespace ncc
