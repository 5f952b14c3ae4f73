// The PostGIS projections against a real PostgreSQL 15 with PostGIS (the ctest fixture
// postgres.start): rebuilt from a log, kept current, and the example SQL of
// docs/store-postgres.md answering what it says.
#include "projections/postgis_projections.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>

#include "store/postgres/postgres_event_log.h"
#include "store/test_workload.h"

namespace ncc::projections {
namespace {

std::string TestUrl() {
  const char* file = std::getenv("NCC_TEST_POSTGRES");
  std::string url;
  if (file) std::getline(std::ifstream(file), url);
  if (url.empty()) ADD_FAILURE() << "no PostgreSQL: run through ctest (fixture postgres.start)";
  return url;
}

std::string FreshShard() {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  static std::atomic<int> n{0};
  return "p" + std::to_string(::getpid()) + "_" + std::to_string(ms % 1'000'000'000) + "_" +
         std::to_string(n++);
}

// Rows of a query, each as its columns joined by '|', rows joined by ';'.
std::string Rows(pg::PgConn& c, const std::string& sql) {
  auto r = c.Exec(sql, "test query");
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) return "";
  std::string out;
  for (int i = 0; i < PQntuples(r->get()); ++i) {
    if (i) out += ";";
    for (int j = 0; j < PQnfields(r->get()); ++j) {
      if (j) out += "|";
      out += PQgetvalue(r->get(), i, j);
    }
  }
  return out;
}

class ProjectionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Three engines at their station (37.78, -122.41); four incidents near (37.70, -122.40).
    w = testing::Workload::Make(3, 4);
    t = w.stored.back().time.ms + 1000;
    // E0 drives to the first incident (about 70 m from it), E1 halfway back (5.5 km).
    w.Run(ReportPositions{{{UnitId(1), {37.7005, -122.4005}, Time{t}, 12.5, 90},
                           {UnitId(2), {37.75, -122.40}, Time{t}, 0, 0}}},
          Time{t});
    auto opened = PostgresEventLog::Open({TestUrl(), shard, "writer"});
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    log = std::move(*opened);
    ASSERT_TRUE(log->Acquire(std::chrono::milliseconds(60'000)).ok());
    ASSERT_TRUE(log->Append(w.stored).ok());
    auto p = Projections::Open(TestUrl(), shard);
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    tables = std::move(*p);
    auto c = pg::PgConn::Connect(TestUrl(), "ncc test");
    ASSERT_TRUE(c.ok());
    sql = std::move(*c);
  }

  std::string shard = FreshShard();
  testing::Workload w;
  int64_t t = 0;
  std::unique_ptr<PostgresEventLog> log;
  std::unique_ptr<Projections> tables;
  std::unique_ptr<pg::PgConn> sql;
};

TEST_F(ProjectionsTest, RebuildProjectsEveryIncidentUnitAssignmentAndFix) {
  ASSERT_TRUE(tables->Rebuild(*log).ok());
  const std::string s = tables->schema();
  EXPECT_EQ(Rows(*sql, "SELECT count(*) FROM " + s + ".incidents"), "4");
  EXPECT_EQ(Rows(*sql, "SELECT count(*) FROM " + s + ".units"), "3");
  EXPECT_EQ(Rows(*sql, "SELECT count(*) FROM " + s + ".assignments"), "4");
  EXPECT_EQ(Rows(*sql, "SELECT count(*) FROM " + s + ".tracks"), "2");
  // As the World has it after the same events (assigned, then its unit en route).
  EXPECT_EQ(
      Rows(*sql, "SELECT id, type, priority, status, agency FROM " + s + ".incidents WHERE id = 1"),
      "1|fire.alarm|1|" + std::string(Name(w.world.FindIncident(IncidentId(1))->status)) + "|fire");
  EXPECT_EQ(Rows(*sql, "SELECT callsign, status FROM " + s + ".units ORDER BY id"),
            "E0|" + std::string(Name(w.world.FindUnit(UnitId(1))->status)) + ";E1|" +
                std::string(Name(w.world.FindUnit(UnitId(2))->status)) + ";E2|" +
                std::string(Name(w.world.FindUnit(UnitId(3))->status)));
  EXPECT_EQ(Rows(*sql, "SELECT round(ST_Y(geom)::numeric, 4), round(ST_X(geom)::numeric, 4) FROM " +
                           s + ".units WHERE id = 1"),
            "37.7005|-122.4005");
  auto at = tables->seq();
  ASSERT_TRUE(at.ok());
  EXPECT_EQ(*at, w.stored.back().seq);
  // Rebuilt again: the same rows, not twice as many.
  ASSERT_TRUE(tables->Rebuild(*log).ok());
  EXPECT_EQ(Rows(*sql, "SELECT count(*) FROM " + s + ".assignments"), "4");
}

// The example queries of docs/store-postgres.md, on the projected tables.
TEST_F(ProjectionsTest, ExampleQueriesAnswer) {
  ASSERT_TRUE(tables->Rebuild(*log).ok());
  const std::string s = tables->schema();
  // Units within 2 km of incident 1, nearest first.
  EXPECT_EQ(Rows(*sql,
                 "SELECT u.callsign, round(ST_Distance(u.geom::geography, "
                 "i.geom::geography)) AS metres FROM " +
                     s + ".units u JOIN " + s +
                     ".incidents i ON ST_DWithin(u.geom::geography, i.geom::geography, "
                     "2000) WHERE i.id = 1 ORDER BY metres"),
            "E0|71");
  // Incidents per zone per hour, with the zones an analyst loaded (here two boxes).
  ASSERT_TRUE(sql->Exec("CREATE TABLE " + s +
                            ".zones (name text PRIMARY KEY, geom geometry(Polygon, 4326));"
                            "INSERT INTO " +
                            s +
                            ".zones VALUES ('south', ST_MakeEnvelope(-122.5, 37.69, -122.3, "
                            "37.71, 4326)), ('north', ST_MakeEnvelope(-122.5, 37.77, -122.3, "
                            "37.79, 4326))",
                        "zones")
                  .ok());
  EXPECT_EQ(Rows(*sql,
                 "SELECT z.name, to_char(date_trunc('hour', i.created_at) AT TIME ZONE "
                 "'UTC', 'YYYY-MM-DD HH24:MI'), count(*) FROM " +
                     s + ".incidents i JOIN " + s +
                     ".zones z ON ST_Contains(z.geom, i.geom) GROUP BY 1, 2 ORDER BY 1, 2"),
            "south|2020-04-07 09:00|4");
}

TEST_F(ProjectionsTest, CatchUpFollowsTheLogExactlyOnce) {
  auto first = tables->CatchUp(*log);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  size_t before = w.stored.size();
  w.Run(CreateIncident{"fire.structure", 1, {37.7002, -122.4001}, "addr", "", "later"},
        Time{t + 60'000});
  ASSERT_TRUE(
      log->Append({w.stored.begin() + static_cast<std::ptrdiff_t>(before), w.stored.end()}).ok());
  auto newest = log->WaitForAppend(*first, std::chrono::milliseconds(5000));
  ASSERT_TRUE(newest.ok());
  auto second = tables->CatchUp(*log);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*second, w.stored.back().seq);
  auto third = tables->CatchUp(*log);  // nothing new: nothing applied twice
  ASSERT_TRUE(third.ok());
  const std::string s = tables->schema();
  EXPECT_EQ(Rows(*sql, "SELECT count(*), max(summary) FROM " + s + ".incidents"), "5|s");
  EXPECT_EQ(Rows(*sql, "SELECT summary FROM " + s + ".incidents WHERE id = 5"), "later");
}

}  // namespace
}  // namespace ncc::projections
