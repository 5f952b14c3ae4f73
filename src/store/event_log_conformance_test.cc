// One conformance suite, run against every EventLog backend.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <functional>

#include "store/sqlite/sqlite_event_log.h"
#include "store/test_workload.h"

namespace ncc {
namespace {

std::string TempDir() {
  auto dir = std::filesystem::temp_directory_path() /
             ("ncc-store-" + std::to_string(::getpid()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

struct Backend {
  std::string name;
  std::function<std::unique_ptr<EventLog>(const std::string& dir)> open;
};

class Conformance : public ::testing::TestWithParam<Backend> {
 protected:
  std::string dir = TempDir();
  std::unique_ptr<EventLog> log = GetParam().open(dir);
};

TEST_P(Conformance, AppendsAndReadsBackExactly) {
  auto w = testing::Workload::Make(5, 50);
  EXPECT_EQ(log->LastSeq(), Seq());
  ASSERT_TRUE(log->Append({w.stored.begin(), w.stored.begin() + 10}).ok());
  ASSERT_TRUE(log->Append({w.stored.begin() + 10, w.stored.end()}).ok());
  EXPECT_EQ(log->LastSeq(), w.stored.back().seq);
  auto all = log->ReadAfter(Seq(), 1'000'000);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), w.stored.size());
  for (size_t i = 0; i < all->size(); ++i) {
    EXPECT_EQ((*all)[i].hash, w.stored[i].hash);
    EXPECT_EQ((*all)[i].payload, w.stored[i].payload);
    EXPECT_EQ((*all)[i].actor, w.stored[i].actor);
  }
  auto page = log->ReadAfter(Seq(20), 5);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->size(), 5u);
  EXPECT_EQ(page->front().seq, Seq(21));
  EXPECT_TRUE(VerifyChain(*log).ok());
}

TEST_P(Conformance, RefusesGapsAndRepeats) {
  auto w = testing::Workload::Make(2, 3);
  ASSERT_TRUE(log->Append({w.stored[0], w.stored[1]}).ok());
  EXPECT_FALSE(log->Append({w.stored[1]}).ok());  // repeat
  EXPECT_FALSE(log->Append({w.stored[3]}).ok());  // gap
  EXPECT_EQ(log->LastSeq(), Seq(2));
}

INSTANTIATE_TEST_SUITE_P(
    Backends, Conformance,
    ::testing::Values(Backend{"memory",
                              [](const std::string&) -> std::unique_ptr<EventLog> {
                                return std::make_unique<MemoryEventLog>();
                              }},
                      Backend{"sqlite",
                              [](const std::string& dir) -> std::unique_ptr<EventLog> {
                                return std::move(*SqliteEventLog::Open(dir + "/events.db"));
                              }}),
    [](const auto& p) { return p.param.name; });

// Tampering with the SQLite file behind the log's back: each kind is caught and named.
class Tamper : public ::testing::Test {
 protected:
  std::string dir = TempDir();
  std::string path = dir + "/events.db";
  void SetUp() override {
    auto log = SqliteEventLog::Open(path);
    ASSERT_TRUE(log.ok());
    auto w = testing::Workload::Make(3, 30);
    ASSERT_TRUE((*log)->Append(w.stored).ok());
  }
  void Sql(const std::string& sql) {
    sqlite3* db;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  std::string Verify() {
    auto log = SqliteEventLog::Open(path);
    EXPECT_TRUE(log.ok());
    Status s = VerifyChain(**log);
    return s.ok() ? "ok" : s.message();
  }
};

TEST_F(Tamper, EditedPayload) {
  Sql("UPDATE events SET payload = payload || x'00' WHERE seq = 17");
  EXPECT_EQ(Verify(), "event 17: content does not match its hash");
}

TEST_F(Tamper, EditedActorWithRecomputedHashBreaksTheNextLink) {
  Sql("UPDATE events SET actor = 'mallory', hash = randomblob(32) WHERE seq = 40");
  EXPECT_EQ(Verify(), "event 40: content does not match its hash");
}

TEST_F(Tamper, DeletedEvent) {
  Sql("DELETE FROM events WHERE seq = 12");
  EXPECT_EQ(Verify(), "event 12: missing (next stored is 13)");
}

TEST_F(Tamper, UntouchedLogVerifies) {
  EXPECT_EQ(Verify(), "ok");
}

TEST(SqliteEventLog, NotADatabaseIsAClearError) {
  std::string dir = TempDir();
  std::string path = dir + "/events.db";
  FILE* f = std::fopen(path.c_str(), "wb");
  std::fputs("this is not a database, it is a text file of some length......................", f);
  std::fclose(f);
  auto log = SqliteEventLog::Open(path);
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.status().code(), StatusCode::kDataLoss);
}

}  // namespace
}  // namespace ncc
