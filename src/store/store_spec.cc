#include "store/store_spec.h"

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
  NCC_RETURN_IF_ERROR((*log)->Acquire(options.lease_ttl));
  if (options.on_lease_lost) (*log)->KeepLease(options.lease_ttl, options.on_lease_lost);
  OpenedLog out;
  out.postgres = log->get();
  out.where = "PostgreSQL " + (*log)->where() + " shard " + options.shard;
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
  } else {
    return InvalidArgument("--store must be sqlite:DIR or postgres:URL, not '" + text + "'",
                           "store");
  }
  if (rest.empty())
    return InvalidArgument("--store " + kind + ": needs " +
                               (spec.kind == StoreSpec::Kind::kSqlite ? "a folder" : "a URL") +
                               " after the colon",
                           "store");
  return spec;
}

StatusOr<OpenedLog> OpenEventLog(const StoreSpec& spec, const StoreOptions& options) {
  switch (spec.kind) {
    case StoreSpec::Kind::kSqlite:
      return OpenSqlite(spec, options);
    case StoreSpec::Kind::kPostgres:
      return OpenPostgres(spec, options);
  }
  return Internal("unknown store kind");
}

}  // namespace ncc
