// PostgresEventLog against a real PostgreSQL 15 (the ctest fixture postgres.start, or any
// server: NCC_TEST_POSTGRES names a file holding its URL). Each test writes shards of its own.
#include "store/postgres/postgres_event_log.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <set>
#include <thread>

#include "store/event_log_conformance.h"

namespace ncc {
namespace {

using std::chrono::milliseconds;

std::string TestUrl() {
  const char* file = std::getenv("NCC_TEST_POSTGRES");
  std::string url;
  if (file) std::getline(std::ifstream(file), url);
  if (url.empty())
    ADD_FAILURE() << "no PostgreSQL for the tests: run them through ctest (fixture postgres.start)"
                  << " or set NCC_TEST_POSTGRES to a file holding a URL (scripts/postgres start)";
  return url;
}

// A shard no other test (nor an earlier run on the same server) uses.
std::string FreshShard() {
  static std::atomic<int> n{0};
  auto ms =
      std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  return "t" + std::to_string(::getpid()) + "_" + std::to_string(ms % 1'000'000'000) + "_" +
         std::to_string(n++);
}

std::unique_ptr<PostgresEventLog> OpenLog(const std::string& shard, const std::string& node) {
  auto log = PostgresEventLog::Open({TestUrl(), shard, node});
  EXPECT_TRUE(log.ok()) << log.status().ToString();
  return log.ok() ? std::move(*log) : nullptr;
}

std::unique_ptr<PostgresEventLog> OpenWriter(const std::string& shard, const std::string& node,
                                             milliseconds ttl = milliseconds(60'000)) {
  auto log = OpenLog(shard, node);
  if (!log) return nullptr;
  Status s = log->Acquire(ttl);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return log;
}

// A connection of the test's own, to look at (or break) what the log did.
std::unique_ptr<pg::PgConn> Sql() {
  auto c = pg::PgConn::Connect(TestUrl(), "ncc test");
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.ok() ? std::move(*c) : nullptr;
}

std::string Scalar(pg::PgConn& c, const std::string& sql) {
  auto r = c.Exec(sql, "test query");
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok() || PQntuples(r->get()) == 0) return "";
  return PQgetvalue(r->get(), 0, 0);
}

std::vector<StoredEvent> Slice(const std::vector<StoredEvent>& all, size_t from, size_t to) {
  return {all.begin() + static_cast<std::ptrdiff_t>(from),
          all.begin() + static_cast<std::ptrdiff_t>(std::min(to, all.size()))};
}

INSTANTIATE_TEST_SUITE_P(Postgres, Conformance,
                         ::testing::Values(Backend{
                             "postgres",
                             [](const std::string&) -> std::unique_ptr<EventLog> {
                               return OpenWriter(FreshShard(), "conformance");
                             }}),
                         [](const auto& p) { return p.param.name; });

TEST(PostgresEventLog, AReopenedLogHoldsTheSameBytesAndItsChainVerifies) {
  std::string shard = FreshShard();
  auto w = testing::Workload::Make(4, 40);
  {
    auto log = OpenWriter(shard, "a");
    ASSERT_TRUE(log);
    ASSERT_TRUE(log->Append(Slice(w.stored, 0, 7)).ok());
    ASSERT_TRUE(log->Append(Slice(w.stored, 7, w.stored.size())).ok());
    EXPECT_EQ(log->Syncs(), 2u);
  }
  auto log = OpenLog(shard, "reader");
  ASSERT_TRUE(log);
  EXPECT_EQ(log->LastSeq(), w.stored.back().seq);
  auto all = log->ReadAfter(Seq(), 1'000'000);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), w.stored.size());
  for (size_t i = 0; i < all->size(); ++i) {
    const StoredEvent& got = (*all)[i];
    const StoredEvent& want = w.stored[i];
    EXPECT_EQ(got.seq, want.seq);
    EXPECT_EQ(got.time, want.time);
    EXPECT_EQ(got.actor, want.actor);
    EXPECT_EQ(got.agency, want.agency);
    EXPECT_EQ(got.classification, want.classification);
    EXPECT_EQ(got.type, want.type);
    EXPECT_EQ(got.payload, want.payload);
    EXPECT_EQ(got.prev_hash, want.prev_hash);
    EXPECT_EQ(got.hash, want.hash);
  }
  EXPECT_TRUE(VerifyChain(*log).ok());
}

TEST(PostgresEventLog, AnEditedRowBreaksTheChainAtItsSeq) {
  std::string shard = FreshShard();
  auto w = testing::Workload::Make(3, 30);
  auto log = OpenWriter(shard, "a");
  ASSERT_TRUE(log);
  ASSERT_TRUE(log->Append(w.stored).ok());
  auto sql = Sql();
  ASSERT_TRUE(sql);
  ASSERT_TRUE(sql->Exec("UPDATE " + log->table() +
                            " SET payload = payload || '\\x00'::bytea WHERE seq = 17",
                        "tamper")
                  .ok());
  Status s = VerifyChain(*log);
  EXPECT_EQ(s.message(), "event 17: content does not match its hash");
}

TEST(PostgresEventLog, AppendsOnlyWithTheLease) {
  auto log = OpenLog(FreshShard(), "a");
  ASSERT_TRUE(log);
  auto w = testing::Workload::Make(1, 1);
  Status s = log->Append(Slice(w.stored, 0, 1));
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("has not taken the lease"), std::string::npos) << s.message();
  EXPECT_EQ(log->LastSeq(), Seq());
}

TEST(PostgresEventLog, ASecondNodeIsRefusedWhileTheLeaseIsLiveNamingHolderAndEpoch) {
  std::string shard = FreshShard();
  auto a = OpenWriter(shard, "a");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->epoch(), 1u);
  auto b = OpenLog(shard, "b");
  ASSERT_TRUE(b);
  Status s = b->Acquire(milliseconds(60'000));
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("is held by node a at epoch 1"), std::string::npos) << s.message();
  EXPECT_EQ(b->epoch(), 0u);
  // The same node name takes its own lease back at once (a restart), with a new epoch.
  auto a2 = OpenWriter(shard, "a");
  ASSERT_TRUE(a2);
  EXPECT_EQ(a2->epoch(), 2u);
}

// Issue 14, part 3: the first writer's lease runs out, a second node takes the shard; the
// first one's next append is refused and stores nothing, nothing is stored twice, and the
// chain verifies with every row carrying the epoch of the writer that stored it.
TEST(PostgresEventLog, ADeposedWriterIsFencedByTheEpoch) {
  std::string shard = FreshShard();
  auto w = testing::Workload::Make(4, 30);
  auto a = OpenWriter(shard, "a", milliseconds(200));
  ASSERT_TRUE(a);
  ASSERT_TRUE(a->Append(Slice(w.stored, 0, 40)).ok());

  auto b = OpenLog(shard, "b");
  ASSERT_TRUE(b);
  Status taken = b->Acquire(milliseconds(60'000));
  for (auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
       !taken.ok() && std::chrono::steady_clock::now() < deadline;
       taken = b->Acquire(milliseconds(60'000)))
    std::this_thread::sleep_for(milliseconds(50));
  ASSERT_TRUE(taken.ok()) << taken.ToString();
  EXPECT_EQ(b->epoch(), 2u);
  EXPECT_EQ(b->LastSeq(), Seq(40));

  // a does not know yet: it appends what it would have next.
  Status s = a->Append(Slice(w.stored, 40, 60));
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(), "deposed: this node holds epoch 1, the lease is at epoch 2 (node b)");
  Status renewed = a->Renew(milliseconds(200));
  EXPECT_EQ(renewed.message(), s.message());

  ASSERT_TRUE(b->Append(Slice(w.stored, 40, w.stored.size())).ok());
  auto sql = Sql();
  ASSERT_TRUE(sql);
  EXPECT_EQ(Scalar(*sql, "SELECT count(*) || ' ' || count(DISTINCT seq) FROM " + b->table()),
            std::to_string(w.stored.size()) + " " + std::to_string(w.stored.size()));
  EXPECT_EQ(Scalar(*sql,
                   "SELECT string_agg(epoch || ':' || n, ',' ORDER BY epoch) FROM (SELECT "
                   "epoch, count(*) n FROM " +
                       b->table() + " GROUP BY epoch) e"),
            "1:40,2:" + std::to_string(w.stored.size() - 40));
  auto reader = OpenLog(shard, "reader");
  ASSERT_TRUE(reader);
  EXPECT_TRUE(VerifyChain(*reader).ok());
}

// An Acquire waits for an append transaction that has checked the epoch: the append commits
// first, and the new writer's last seq includes it.
TEST(PostgresEventLog, AnAcquireWaitsForTheAppendInFlight) {
  std::string shard = FreshShard();
  auto a = OpenWriter(shard, "a", milliseconds(1));
  ASSERT_TRUE(a);
  // Hold the lease row the way an append in flight does, from a session of the test's own.
  auto holder = Sql();
  ASSERT_TRUE(holder);
  ASSERT_TRUE(holder
                  ->Exec("BEGIN; SELECT epoch FROM ncc_lease WHERE shard = " + pg::Literal(shard) +
                             " FOR SHARE",
                         "hold")
                  .ok());
  auto b = OpenLog(shard, "b");
  ASSERT_TRUE(b);
  std::atomic<bool> acquired{false};
  std::thread take([&] {
    Status s = b->Acquire(milliseconds(60'000));
    EXPECT_TRUE(s.ok()) << s.ToString();
    acquired = true;
  });
  auto sql = Sql();
  ASSERT_TRUE(sql);
  // b's statement is waiting on the row lock (pg_stat_activity says so), not done.
  std::string waiting;
  for (int i = 0; i < 200 && waiting != "Lock"; ++i) {
    waiting = Scalar(*sql,
                     "SELECT coalesce(max(wait_event_type), '') FROM pg_stat_activity "
                     "WHERE application_name = 'ncc lease b " +
                         shard + "'");
    std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_EQ(waiting, "Lock");
  EXPECT_FALSE(acquired.load());
  ASSERT_TRUE(holder->Exec("COMMIT", "release").ok());
  take.join();
  EXPECT_TRUE(acquired.load());
  EXPECT_EQ(b->epoch(), 2u);
}

TEST(PostgresEventLog, AFullDiskStoresNothingAndALaterAppendSucceeds) {
  std::string shard = FreshShard();
  auto w = testing::Workload::Make(2, 10);
  auto log = OpenWriter(shard, "a");
  ASSERT_TRUE(log);
  ASSERT_TRUE(log->Append(Slice(w.stored, 0, 5)).ok());
  // What PostgreSQL answers when it cannot extend a file: SQLSTATE 53100, raised here by a
  // trigger at the same point (the rows being written) on this shard's table alone.
  auto sql = Sql();
  ASSERT_TRUE(sql);
  std::string fn = log->table() + "_full";
  ASSERT_TRUE(sql->Exec("CREATE FUNCTION " + fn +
                            "() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION "
                            "'could not extend file: No space left on device' USING ERRCODE = "
                            "'disk_full'; END $$; CREATE TRIGGER full_disk BEFORE INSERT ON " +
                            log->table() + " FOR EACH ROW EXECUTE FUNCTION " + fn + "()",
                        "full disk")
                  .ok());
  Status s = log->Append(Slice(w.stored, 5, 20));
  EXPECT_EQ(s.code(), StatusCode::kInsufficientStorage) << s.ToString();
  EXPECT_NE(s.message().find("53100"), std::string::npos) << s.message();
  EXPECT_EQ(log->LastSeq(), Seq(5));
  EXPECT_EQ(Scalar(*sql, "SELECT max(seq) FROM " + log->table()), "5");
  ASSERT_TRUE(sql->Exec("DROP TRIGGER full_disk ON " + log->table(), "space again").ok());
  Status again = log->Append(Slice(w.stored, 5, 20));
  EXPECT_TRUE(again.ok()) << again.ToString();
  EXPECT_EQ(log->LastSeq(), Seq(20));
  EXPECT_TRUE(VerifyChain(*log).ok());
}

TEST(PostgresEventLog, ALostConnectionIsUnavailableAndReadsReconnect) {
  std::string shard = FreshShard();
  auto w = testing::Workload::Make(2, 10);
  auto log = OpenWriter(shard, "a");
  ASSERT_TRUE(log);
  ASSERT_TRUE(log->Append(Slice(w.stored, 0, 5)).ok());
  auto sql = Sql();
  ASSERT_TRUE(sql);
  for (const char* role : {"writer", "reader"})
    EXPECT_EQ(Scalar(*sql,
                     "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE "
                     "application_name = 'ncc " +
                         std::string(role) + " a " + shard + "'"),
              "1");
  Status s = log->Append(Slice(w.stored, 5, 10));
  EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
  EXPECT_NE(s.message().find("connection"), std::string::npos) << s.message();
  auto read = log->ReadAfter(Seq(), 100);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->size(), 5u);
}

TEST(PostgresEventLog, RefusesBadNamesAndAnUnreachableServer) {
  auto bad_shard = PostgresEventLog::Open({TestUrl(), "Main; DROP TABLE x", "a"});
  ASSERT_FALSE(bad_shard.ok());
  EXPECT_EQ(bad_shard.status().field(), "shard");
  auto bad_node = PostgresEventLog::Open({TestUrl(), "main", "a b"});
  ASSERT_FALSE(bad_node.ok());
  EXPECT_EQ(bad_node.status().field(), "node");
  auto gone = PostgresEventLog::Open({"postgresql://ncc@127.0.0.1:1/ncc", "main", "a"});
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(gone.status().message().find("127.0.0.1:1"), std::string::npos)
      << gone.status().message();
}

TEST(PostgresEventLog, OpeningTheSameShardFromManyNodesAtOnceCreatesOneSchema) {
  std::string shard = FreshShard();
  std::vector<std::thread> nodes;
  std::atomic<int> opened{0};
  for (int i = 0; i < 8; ++i)
    nodes.emplace_back([&, i] {
      auto log = PostgresEventLog::Open({TestUrl(), shard, "n" + std::to_string(i)});
      EXPECT_TRUE(log.ok()) << log.status().ToString();
      if (log.ok()) ++opened;
    });
  for (auto& t : nodes) t.join();
  EXPECT_EQ(opened.load(), 8);
}

// Issue 14, part 1: a follower on a connection of its own sees every appended event, in order,
// by LISTEN/NOTIFY and reads by seq, while the writer appends.
TEST(PostgresEventLog, AFollowerSeesEveryAppendedEventInOrder) {
  std::string shard = FreshShard();
  auto w = testing::Workload::Make(10, 500);
  auto writer = OpenWriter(shard, "a");
  auto follower = OpenLog(shard, "standby");
  ASSERT_TRUE(writer && follower);
  std::vector<StoredEvent> seen;
  std::thread tail([&] {
    Seq at;
    while (at < w.stored.back().seq) {
      auto newest = follower->WaitForAppend(at, milliseconds(10'000));
      ASSERT_TRUE(newest.ok()) << newest.status().ToString();
      ASSERT_GT(*newest, at) << "no notification within 10 s";
      auto page = follower->ReadAfter(at, 1000);
      ASSERT_TRUE(page.ok()) << page.status().ToString();
      for (const StoredEvent& e : *page) seen.push_back(e);
      if (!page->empty()) at = page->back().seq;
    }
  });
  for (size_t i = 0; i < w.stored.size(); i += 37)
    ASSERT_TRUE(writer->Append(Slice(w.stored, i, i + 37)).ok());
  tail.join();
  ASSERT_EQ(seen.size(), w.stored.size());
  for (size_t i = 0; i < seen.size(); ++i) {
    EXPECT_EQ(seen[i].seq, w.stored[i].seq);
    EXPECT_EQ(seen[i].hash, w.stored[i].hash);
  }
  EXPECT_EQ(follower->LastSeq(), w.stored.back().seq);
  EXPECT_TRUE(VerifyChain(*follower).ok());
}

TEST(PostgresEventLog, WaitForAppendReturnsTheLastSeqWhenNothingArrives) {
  std::string shard = FreshShard();
  auto w = testing::Workload::Make(1, 2);
  auto writer = OpenWriter(shard, "a");
  ASSERT_TRUE(writer);
  ASSERT_TRUE(writer->Append(w.stored).ok());
  auto follower = OpenLog(shard, "standby");
  ASSERT_TRUE(follower);
  auto past = follower->WaitForAppend(Seq(), milliseconds(0));
  ASSERT_TRUE(past.ok());
  EXPECT_EQ(*past, w.stored.back().seq);  // already there: no wait
  auto none = follower->WaitForAppend(w.stored.back().seq, milliseconds(50));
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, w.stored.back().seq);
}

TEST(PostgresEventLog, KeepLeaseRenewsAndReportsADeposition) {
  std::string shard = FreshShard();
  auto a = OpenWriter(shard, "a", milliseconds(2000));
  ASSERT_TRUE(a);
  std::atomic<bool> lost{false};
  std::string why;
  a->KeepLease(milliseconds(2000), [&](const Status& s) {
    why = s.message();
    lost = true;
  });
  // Renewed: once the first lease would have run out, b still cannot take the shard.
  auto b = OpenLog(shard, "b");
  ASSERT_TRUE(b);
  std::this_thread::sleep_for(milliseconds(2500));
  EXPECT_FALSE(b->Acquire(milliseconds(60'000)).ok());
  EXPECT_FALSE(lost.load());
  // An operator hands the shard over by force: a's next renewal finds itself deposed.
  auto sql = Sql();
  ASSERT_TRUE(sql);
  ASSERT_TRUE(sql->Exec("UPDATE ncc_lease SET expires_at = now() - interval '1 s' WHERE shard = " +
                            pg::Literal(shard),
                        "expire")
                  .ok());
  ASSERT_TRUE(b->Acquire(milliseconds(60'000)).ok());
  for (int i = 0; i < 250 && !lost.load(); ++i) std::this_thread::sleep_for(milliseconds(20));
  ASSERT_TRUE(lost.load());
  EXPECT_EQ(why, "deposed: this node holds epoch 1, the lease is at epoch 2 (node b)");
}

TEST(PostgresEventLog, NodeReportsNameTheWritersUrlBesideItsLease) {
  std::string shard = FreshShard();
  auto writer = OpenWriter(shard, "a");
  auto standby = OpenLog(shard, "b");
  ASSERT_TRUE(writer && standby);
  ASSERT_TRUE(writer->Heartbeat({"", "https://a.example:8443", "writer", writer->epoch(), 7}).ok());
  ASSERT_TRUE(standby->Heartbeat({"", "https://b.example:8443", "standby", 0, 5}).ok());
  // Reported again: the row is replaced, not added.
  ASSERT_TRUE(standby->Heartbeat({"", "https://b.example:8443", "standby", 0, 7}).ok());

  auto lease = standby->Lease();
  ASSERT_TRUE(lease.ok()) << lease.status().ToString();
  EXPECT_EQ(lease->holder, "a");
  EXPECT_EQ(lease->holder_url, "https://a.example:8443");
  EXPECT_GT(lease->remaining_ms, 0);
  auto nodes = standby->Nodes();
  ASSERT_TRUE(nodes.ok()) << nodes.status().ToString();
  ASSERT_EQ(nodes->size(), 2u);
  EXPECT_EQ((*nodes)[0].node, "a");
  EXPECT_EQ((*nodes)[0].role, "writer");
  EXPECT_EQ((*nodes)[0].epoch, writer->epoch());
  EXPECT_EQ((*nodes)[1].node, "b");
  EXPECT_EQ((*nodes)[1].url, "https://b.example:8443");
  EXPECT_EQ((*nodes)[1].last_seq, 7u);
  EXPECT_GE((*nodes)[1].age_ms, 0);
}

}  // namespace
}  // namespace ncc
