// PostGIS projections of the event log for analysts (issue 14, part 1; docs/store-postgres.md):
// the tables incidents, units, assignments and tracks in the PostgreSQL schema ncc_<shard>,
// with geometry columns (SRID 4326) and GiST indexes, rebuilt from the log on demand and kept
// current by following it. They are derived data: dropping them loses nothing.
//
// Exactly once: each page of events is applied in one transaction that also moves the schema's
// `state.seq`, so a projection killed mid-way goes on from the last page it committed.
//
// Visibility: the tables hold every record of the shard whatever its classification (each row
// carries it); who may read them is the database's access control (GRANT), not ncc's filter.
//
// Threads: one Projections is used by one thread. Errors: kUnavailable when the server is gone,
// kFailedPrecondition when PostGIS is not installed on the server, kDataLoss for an event whose
// payload does not decode, kInternal otherwise.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "store/event_log.h"
#include "store/postgres/pg_conn.h"

namespace ncc {

class PostgresEventLog;

namespace projections {

class Projections {
 public:
  // Connects and creates the extension, the schema and its tables if missing.
  static StatusOr<std::unique_ptr<Projections>> Open(const std::string& url,
                                                     const std::string& shard);
  // Drops the tables and projects the whole log again.
  Status Rebuild(const EventLog& log);
  // Projects what the log holds after `seq()`. Returns the new seq.
  StatusOr<Seq> CatchUp(const EventLog& log);
  // Catches up, then follows the log (LISTEN/NOTIFY) until `stop` is set.
  Status Follow(const PostgresEventLog& log, const std::atomic<bool>& stop);
  // The last seq projected (state.seq).
  StatusOr<Seq> seq();
  const std::string& schema() const { return schema_; }

 private:
  Projections(std::unique_ptr<pg::PgConn> conn, std::string schema)
      : conn_(std::move(conn)), schema_(std::move(schema)) {}
  Status CreateTables();
  Status ApplyPage(const std::vector<StoredEvent>& page);

  std::unique_ptr<pg::PgConn> conn_;
  const std::string schema_;
};

}  // namespace projections
}  // namespace ncc
