#include "projections/postgis_projections.h"

#include <cstdlib>
#include <string_view>
#include <variant>

#include "store/postgres/postgres_event_log.h"

namespace ncc::projections {
namespace {

constexpr size_t kPage = 5000;

std::string Tables(const std::string& s) {
  return "CREATE SCHEMA IF NOT EXISTS " + s + ";" + "CREATE TABLE IF NOT EXISTS " + s +
         ".state (one boolean PRIMARY KEY DEFAULT true CHECK (one), seq bigint NOT NULL);"
         "INSERT INTO " +
         s + ".state VALUES (true, 0) ON CONFLICT DO NOTHING;" + "CREATE TABLE IF NOT EXISTS " + s +
         ".incidents (id bigint PRIMARY KEY, type text NOT NULL, priority integer NOT NULL,"
         " status text NOT NULL, agency text NOT NULL, classification text NOT NULL,"
         " address text NOT NULL, summary text NOT NULL, created_at timestamptz NOT NULL,"
         " updated_at timestamptz NOT NULL, closed_at timestamptz,"
         " geom geometry(Point, 4326) NOT NULL, seq bigint NOT NULL);"
         "CREATE INDEX IF NOT EXISTS incidents_geom ON " +
         s + ".incidents USING gist (geom);" + "CREATE TABLE IF NOT EXISTS " + s +
         ".units (id bigint PRIMARY KEY, callsign text NOT NULL, kind text NOT NULL,"
         " agency text NOT NULL, classification text NOT NULL, station text NOT NULL,"
         " status text NOT NULL, incident bigint, updated_at timestamptz NOT NULL,"
         " geom geometry(Point, 4326), seq bigint NOT NULL);"
         "CREATE INDEX IF NOT EXISTS units_geom ON " +
         s + ".units USING gist (geom);" + "CREATE TABLE IF NOT EXISTS " + s +
         ".assignments (incident bigint NOT NULL, unit bigint NOT NULL,"
         " assigned_at timestamptz NOT NULL, seq bigint NOT NULL,"
         " PRIMARY KEY (incident, unit, seq));"
         "CREATE TABLE IF NOT EXISTS " +
         s +
         ".tracks (unit bigint NOT NULL, time timestamptz NOT NULL, speed double precision,"
         " heading double precision, geom geometry(Point, 4326) NOT NULL, seq bigint NOT NULL);"
         "CREATE INDEX IF NOT EXISTS tracks_geom ON " +
         s + ".tracks USING gist (geom);" + "CREATE INDEX IF NOT EXISTS tracks_unit_time ON " + s +
         ".tracks (unit, time);";
}

std::string Num(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

constexpr const char* kTime = "to_timestamp($T::bigint / 1000.0)";

// The SQL and parameters one event becomes (none for the events the tables do not show).
struct Statement {
  std::string sql;
  pg::Params params;
};

class Projector {
 public:
  Projector(const std::string& schema, const Event& e) : s_(schema), e_(e) {}

  std::vector<Statement> operator()(const IncidentCreated& b) const {
    return {{"INSERT INTO " + s_ +
                 ".incidents VALUES ($1, $2, $3::integer, 'new', $4, $5, $6, $7, " + At(8) + ", " +
                 At(8) +
                 ", NULL, ST_SetSRID(ST_MakePoint($9::float8, $10::float8), 4326), $11)"
                 " ON CONFLICT (id) DO NOTHING",
             pg::Params()
                 .Text(std::to_string(b.id.value))
                 .Text(b.type)
                 .Text(std::to_string(b.priority))
                 .Text(e_.meta.agency)
                 .Text(std::string(Name(e_.meta.classification)))
                 .Text(b.address)
                 .Text(b.summary)
                 .Text(std::to_string(e_.meta.time.ms))
                 .Text(Num(b.location.lon))
                 .Text(Num(b.location.lat))
                 .Text(std::to_string(e_.meta.seq.value))}};
  }
  std::vector<Statement> operator()(const IncidentStatusChanged& b) const {
    bool closed = b.to == IncidentStatus::kClosed || b.to == IncidentStatus::kCancelled;
    return {{"UPDATE " + s_ + ".incidents SET status = $2, updated_at = " + At(3) +
                 ", closed_at = CASE WHEN $4::boolean THEN " + At(3) +
                 " ELSE closed_at END, seq = $5 WHERE id = $1",
             pg::Params()
                 .Text(std::to_string(b.id.value))
                 .Text(std::string(Name(b.to)))
                 .Text(std::to_string(e_.meta.time.ms))
                 .Text(closed ? "true" : "false")
                 .Text(std::to_string(e_.meta.seq.value))}};
  }
  std::vector<Statement> operator()(const IncidentPriorityChanged& b) const {
    return {{"UPDATE " + s_ + ".incidents SET priority = $2::integer, updated_at = " + At(3) +
                 ", seq = $4 WHERE id = $1",
             pg::Params()
                 .Text(std::to_string(b.id.value))
                 .Text(std::to_string(b.to))
                 .Text(std::to_string(e_.meta.time.ms))
                 .Text(std::to_string(e_.meta.seq.value))}};
  }
  std::vector<Statement> operator()(const UnitRegistered& b) const {
    return {{"INSERT INTO " + s_ + ".units VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, " + At(8) +
                 ", CASE WHEN $9::boolean THEN ST_SetSRID(ST_MakePoint($10::float8, "
                 "$11::float8), 4326) END, $12) ON CONFLICT (id) DO NOTHING",
             pg::Params()
                 .Text(std::to_string(b.id.value))
                 .Text(b.callsign)
                 .Text(b.kind)
                 .Text(e_.meta.agency)
                 .Text(std::string(Name(e_.meta.classification)))
                 .Text(b.station)
                 .Text(std::string(Name(UnitStatus::kAvailable)))
                 .Text(std::to_string(e_.meta.time.ms))
                 .Text(b.position ? "true" : "false")
                 .Text(Num(b.position ? b.position->lon : 0))
                 .Text(Num(b.position ? b.position->lat : 0))
                 .Text(std::to_string(e_.meta.seq.value))}};
  }
  std::vector<Statement> operator()(const UnitStatusChanged& b) const {
    return {{"UPDATE " + s_ +
                 ".units SET status = $2, incident = NULLIF($3::bigint, 0),"
                 " updated_at = " +
                 At(4) + ", seq = $5 WHERE id = $1",
             pg::Params()
                 .Text(std::to_string(b.id.value))
                 .Text(std::string(Name(b.to)))
                 .Text(std::to_string(b.incident.value))
                 .Text(std::to_string(e_.meta.time.ms))
                 .Text(std::to_string(e_.meta.seq.value))}};
  }
  std::vector<Statement> operator()(const UnitAssigned& b) const {
    return {{"INSERT INTO " + s_ + ".assignments VALUES ($1, $2, " + At(3) +
                 ", $4) ON CONFLICT DO NOTHING",
             pg::Params()
                 .Text(std::to_string(b.incident.value))
                 .Text(std::to_string(b.unit.value))
                 .Text(std::to_string(e_.meta.time.ms))
                 .Text(std::to_string(e_.meta.seq.value))}};
  }
  std::vector<Statement> operator()(const PositionsReported& b) const {
    std::vector<Statement> out;
    for (const PositionFix& f : b.fixes) {
      auto point = [&] {
        return pg::Params()
            .Text(std::to_string(f.unit.value))
            .Text(std::to_string(f.time.ms))
            .Text(Num(f.position.lon))
            .Text(Num(f.position.lat))
            .Text(std::to_string(e_.meta.seq.value));
      };
      out.push_back({"INSERT INTO " + s_ + ".tracks VALUES ($1, " + At(2) +
                         ", $6::float8, $7::float8, ST_SetSRID(ST_MakePoint($3::float8,"
                         " $4::float8), 4326), $5)",
                     point().Text(Num(f.speed)).Text(Num(f.heading))});
      // The unit's position is its newest fix (fixes may arrive late).
      out.push_back({"UPDATE " + s_ +
                         ".units SET geom = ST_SetSRID(ST_MakePoint($3::float8, "
                         "$4::float8), 4326), updated_at = " +
                         At(2) + ", seq = $5 WHERE id = $1 AND updated_at <= " + At(2),
                     point()});
    }
    return out;
  }
  template <typename T>
  std::vector<Statement> operator()(const T&) const {
    return {};
  }

 private:
  static std::string At(int param) {
    std::string t = kTime;
    return t.replace(t.find("$T"), 2, "$" + std::to_string(param));
  }
  const std::string& s_;
  const Event& e_;
};

}  // namespace

StatusOr<std::unique_ptr<Projections>> Projections::Open(const std::string& url,
                                                         const std::string& shard) {
  NCC_RETURN_IF_ERROR(CheckShardName(shard));
  auto conn = pg::PgConn::Connect(url, "ncc projections " + shard);
  if (!conn.ok()) return conn.status();
  std::unique_ptr<Projections> p(new Projections(std::move(*conn), "ncc_" + shard));
  NCC_RETURN_IF_ERROR(p->CreateTables());
  return p;
}

Status Projections::CreateTables() {
  // Under the schema's DDL lock: two CREATE EXTENSION IF NOT EXISTS at once race to the
  // catalog's unique index, and the loser fails rather than finding it there.
  auto ext = conn_->Exec(
      "BEGIN; SELECT pg_advisory_xact_lock(hashtext('ncc-schema'));"
      "CREATE EXTENSION IF NOT EXISTS postgis; COMMIT",
      "create extension postgis");
  if (!ext.ok())
    return FailedPrecondition(ext.status().message() +
                              " (install postgresql-15-postgis-3 on the server, or have a "
                              "superuser run CREATE EXTENSION postgis)");
  // The same DDL lock as the event log's schema: two projections starting together.
  return conn_
      ->Exec("BEGIN; SELECT pg_advisory_xact_lock(hashtext('ncc-schema'));" + Tables(schema_) +
                 "COMMIT",
             "create the projection tables in " + schema_)
      .status();
}

StatusOr<Seq> Projections::seq() {
  auto r = conn_->Exec("SELECT seq FROM " + schema_ + ".state", "read " + schema_ + ".state");
  if (!r.ok()) return r.status();
  return Seq(std::strtoull(PQgetvalue(r->get(), 0, 0), nullptr, 10));
}

Status Projections::ApplyPage(const std::vector<StoredEvent>& page) {
  NCC_RETURN_IF_ERROR(conn_->Exec("BEGIN", "begin a projection page").status());
  auto fail = [this](Status s) {
    (void)conn_->Exec("ROLLBACK", "roll back a projection page");
    return s;
  };
  for (const StoredEvent& stored : page) {
    auto event = Decode(stored);
    if (!event.ok()) return fail(event.status());
    for (const Statement& st : std::visit(Projector(schema_, *event), event->body)) {
      auto r =
          conn_->ExecParams(st.sql, st.params, "project event " + std::to_string(stored.seq.value));
      if (!r.ok()) return fail(r.status());
    }
  }
  auto moved = conn_->ExecParams("UPDATE " + schema_ + ".state SET seq = $1",
                                 pg::Params().Text(std::to_string(page.back().seq.value)),
                                 "move " + schema_ + ".state");
  if (!moved.ok()) return fail(moved.status());
  return conn_->Exec("COMMIT", "commit a projection page").status();
}

StatusOr<Seq> Projections::CatchUp(const EventLog& log) {
  auto at = seq();
  if (!at.ok()) return at.status();
  for (;;) {
    auto page = log.ReadAfter(*at, kPage);
    if (!page.ok()) return page.status();
    if (page->empty()) return *at;
    NCC_RETURN_IF_ERROR(ApplyPage(*page));
    at = page->back().seq;
  }
}

Status Projections::Rebuild(const EventLog& log) {
  NCC_RETURN_IF_ERROR(conn_
                          ->Exec("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE",
                                 "drop the projections in " + schema_)
                          .status());
  NCC_RETURN_IF_ERROR(CreateTables());
  return CatchUp(log).status();
}

Status Projections::Follow(const PostgresEventLog& log, const std::atomic<bool>& stop) {
  while (!stop.load()) {
    auto at = CatchUp(log);
    if (!at.ok()) return at.status();
    auto newest = log.WaitForAppend(*at, std::chrono::milliseconds(1000));
    if (!newest.ok()) return newest.status();
  }
  return Status::Ok();
}

}  // namespace ncc::projections
