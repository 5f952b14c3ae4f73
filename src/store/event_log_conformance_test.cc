// One conformance suite, run against every EventLog backend.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <thread>

#include "store/event_log_conformance.h"
#include "store/sqlite/sqlite_event_log.h"
#include "store/test_workload.h"
#ifdef NCC_STORE_JETSTREAM
#include "store/jetstream/test_server.h"
#endif

namespace ncc {
namespace {

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

#ifdef NCC_STORE_JETSTREAM
// NATS JetStream, against the server of the ctest fixture (store/jetstream/CMakeLists.txt).
INSTANTIATE_TEST_SUITE_P(JetStream, Conformance,
                         ::testing::Values(Backend{"jetstream",
                                                   jetstream::testing::OpenForConformance}),
                         [](const auto& p) { return p.param.name; });
#endif

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

// Appends stored[from..] in group commits of 100 events and returns the largest size the WAL
// file had after any of them.
uintmax_t AppendWatchingWal(EventLog& log, const std::string& path,
                            const std::vector<StoredEvent>& stored, size_t from) {
  constexpr size_t kBatch = 100;
  uintmax_t largest = 0;
  for (size_t i = from; i < stored.size(); i += kBatch) {
    auto begin = stored.begin() + static_cast<std::ptrdiff_t>(i);
    auto end = stored.begin() + static_cast<std::ptrdiff_t>(std::min(i + kBatch, stored.size()));
    Status s = log.Append({begin, end});
    EXPECT_TRUE(s.ok()) << s.ToString();
    if (!s.ok()) break;
    std::error_code ec;
    largest = std::max(largest, std::filesystem::file_size(path + "-wal", ec));
  }
  return largest;
}

// Finding 9 of issue 17: a running server's WAL grew to 74.5 MB for 6.4 MB of data, because the
// background checkpoint never caught up with a writer that commits while it copies, so the WAL
// never restarted. 50k events in 500 group commits, with a follower paging through the log the
// whole time as the streams do: the WAL file must stay bounded all along, not just at the end.
TEST(SqliteEventLog, WalStaysBoundedWhileWritingWithAReaderOpen) {
  std::string dir = TempDir();
  std::string path = dir + "/events.db";
  auto log = SqliteEventLog::Open(path);
  ASSERT_TRUE(log.ok());
  auto w = testing::Workload::Make(20, 12'500);
  ASSERT_GE(w.stored.size(), 50'000u);

  std::atomic<bool> done{false};
  std::atomic<uint64_t> pages_read{0};
  std::thread follower([&] {
    Seq at;
    while (!done.load()) {
      auto page = (*log)->ReadAfter(at, 256);
      ASSERT_TRUE(page.ok()) << page.status().ToString();
      if (!page->empty()) at = page->back().seq;
      pages_read.fetch_add(1);
    }
  });

  uintmax_t largest_wal = AppendWatchingWal(**log, path, w.stored, 0);
  done = true;
  follower.join();
  EXPECT_GT(pages_read.load(), 0u);
  // The writer folds the WAL back at kCheckpointFrames pages (~4 MB); one batch more, and a
  // checkpoint or two held up by the follower, stay well inside 8 MiB. Before, it reached 20 MB.
  auto wal = (*log)->Wal();
  EXPECT_LT(largest_wal, uintmax_t{8} << 20)
      << "largest WAL " << largest_wal << " bytes; checkpoints " << wal.checkpoints << ", held up "
      << wal.checkpoints_held_up;
  EXPECT_GT(wal.checkpoints, 0u);
  std::printf("largest WAL %ju bytes, %ju checkpoints by the writer, %ju held up\n", largest_wal,
              static_cast<uintmax_t>(wal.checkpoints),
              static_cast<uintmax_t>(wal.checkpoints_held_up));
  EXPECT_EQ((*log)->LastSeq(), w.stored.back().seq);
  EXPECT_TRUE(VerifyChain(**log).ok());
}

// A read that fails part-way (here an event whose classification was altered on disk) must end
// its read transaction: a statement left open keeps its snapshot, no checkpoint may copy past
// it, and the WAL grows from then on for as long as the process runs.
TEST(SqliteEventLog, AFailedReadDoesNotHoldTheWalUp) {
  std::string dir = TempDir();
  std::string path = dir + "/events.db";
  auto log = SqliteEventLog::Open(path);
  ASSERT_TRUE(log.ok());
  auto w = testing::Workload::Make(20, 12'500);
  ASSERT_TRUE((*log)->Append({w.stored.begin(), w.stored.begin() + 1000}).ok());
  sqlite3* db;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE events SET classification = 99 WHERE seq = 500", nullptr,
                         nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto read = (*log)->ReadAfter(Seq(490), 100);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().code(), StatusCode::kDataLoss);

  uintmax_t largest_wal = AppendWatchingWal(**log, path, w.stored, 1000);
  EXPECT_LT(largest_wal, uintmax_t{8} << 20) << "largest WAL " << largest_wal << " bytes";
  EXPECT_EQ((*log)->LastSeq(), w.stored.back().seq);
}

// A damaged b-tree page (what a flipped byte in events.db does): the read that meets it fails
// with kDataLoss naming the file and where the read began, so a refusal says which log it is.
TEST(SqliteEventLog, ACorruptPageIsDataLossNamingTheFileAndSeq) {
  std::string dir = TempDir();
  std::string path = dir + "/events.db";
  auto w = testing::Workload::Make(20, 2'000);
  {
    auto log = SqliteEventLog::Open(path);
    ASSERT_TRUE(log.ok());
    ASSERT_TRUE((*log)->Append(w.stored).ok());
  }  // closed: the WAL is folded into the file
  ASSERT_FALSE(std::filesystem::exists(path + "-wal"));
  const auto size = std::filesystem::file_size(path);
  {
    FILE* f = std::fopen(path.c_str(), "r+b");
    ASSERT_NE(f, nullptr);
    // Page-aligned in the middle of the file: every byte of one leaf page garbage.
    std::fseek(f, static_cast<long>(size / 2 / 4096 * 4096), SEEK_SET);
    for (int i = 0; i < 4096; ++i) std::fputc(0xA5, f);
    std::fclose(f);
  }
  auto log = SqliteEventLog::Open(path);
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  Status s = VerifyChain(**log);
  ASSERT_EQ(s.code(), StatusCode::kDataLoss) << s.ToString();
  EXPECT_NE(s.message().find(path), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("corrupt after seq "), std::string::npos) << s.message();
}

}  // namespace
}  // namespace ncc
