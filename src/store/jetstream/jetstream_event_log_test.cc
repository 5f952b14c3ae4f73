// The JetStream event log against a real nats-server (the ctest fixture's, see test_server.h):
// batches in parts, an unfinished batch at the tail, followers, fencing of a deposed writer.
#include "store/jetstream/jetstream_event_log.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "store/jetstream/batch_codec.h"
#include "store/jetstream/lease.h"
#include "store/jetstream/test_server.h"
#include "store/test_workload.h"

namespace ncc::jetstream {
namespace {

using ::ncc::jetstream::testing::FixtureUrl;
using ::ncc::jetstream::testing::UniqueShard;

std::vector<StoredEvent> Slice(const std::vector<StoredEvent>& v, size_t from, size_t to) {
  return {v.begin() + static_cast<std::ptrdiff_t>(from),
          v.begin() + static_cast<std::ptrdiff_t>(std::min(to, v.size()))};
}

std::unique_ptr<JetStreamEventLog> OpenOk(const std::string& shard, const std::string& node,
                                          JetStreamOptions options = {}) {
  auto log = JetStreamEventLog::Open(FixtureUrl(), shard, node, options);
  EXPECT_TRUE(log.ok()) << log.status().ToString();
  return log.ok() ? std::move(*log) : nullptr;
}

// Every event once, in order, and exactly the bytes appended.
void ExpectExactly(const EventLog& log, const std::vector<StoredEvent>& want) {
  auto all = log.ReadAfter(Seq(), 1'000'000);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ((*all)[i].seq, want[i].seq);
    EXPECT_EQ((*all)[i].hash, want[i].hash);
    EXPECT_EQ((*all)[i].payload, want[i].payload);
  }
  EXPECT_EQ(log.LastSeq(), want.empty() ? Seq() : want.back().seq);
  Status verified = VerifyChain(log);
  EXPECT_TRUE(verified.ok()) << verified.ToString();
}

TEST(BatchCodec, RoundTripsEveryField) {
  auto w = ncc::testing::Workload::Make(3, 10);
  std::string body = EncodeBatch(w.stored);
  size_t sized = 4;
  for (const auto& e : w.stored) sized += EncodedSize(e);
  EXPECT_LE(body.size(), sized + 8);
  auto back = DecodeBatch(body);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->size(), w.stored.size());
  for (size_t i = 0; i < back->size(); ++i) {
    const auto& a = (*back)[i];
    const auto& b = w.stored[i];
    EXPECT_EQ(a.seq, b.seq);
    EXPECT_EQ(a.time, b.time);
    EXPECT_EQ(a.actor, b.actor);
    EXPECT_EQ(a.agency, b.agency);
    EXPECT_EQ(a.classification, b.classification);
    EXPECT_EQ(a.type, b.type);
    EXPECT_EQ(a.payload, b.payload);
    EXPECT_EQ(a.prev_hash, b.prev_hash);
    EXPECT_EQ(a.hash, b.hash);
    EXPECT_EQ(ChainHash(a), b.hash);
  }
}

TEST(BatchCodec, RefusesDamageNamingIt) {
  auto w = ncc::testing::Workload::Make(1, 2);
  std::string body = EncodeBatch(w.stored);
  EXPECT_EQ(DecodeBatch("XXXX").status().message(), "event batch: does not start with NCB1");
  EXPECT_EQ(DecodeBatch(body + "x").status().message(), "event batch: bytes after the last event");
  auto cut = DecodeBatch(body.substr(0, body.size() - 3));
  EXPECT_EQ(cut.status().code(), StatusCode::kDataLoss);
  std::string huge = "NCB1";
  huge += '\xff';
  huge += '\xff';
  huge += '\x7f';
  EXPECT_NE(DecodeBatch(huge).status().message().find("past the end"), std::string::npos);
}

TEST(Lease, ParsesWhatItFormatsAndRefusesTheRest) {
  auto v = ParseLease(FormatLease({"ncc-a", 42, false}));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->node, "ncc-a");
  EXPECT_EQ(v->epoch, 42u);
  EXPECT_FALSE(v->released);
  auto r = ParseLease(FormatLease({"b", 7, true}));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->released);
  EXPECT_EQ(ParseLease("node=a;epoch=x").status().message(), "lease: epoch is not a number");
  EXPECT_EQ(ParseLease("epoch=1").status().message(), "lease: does not start with node=");
  EXPECT_EQ(ParseLease("node=;epoch=1").status().message(), "lease: empty node");
}

TEST(JetStreamEventLog, RefusesBadNamesNamingTheField) {
  auto bad = JetStreamEventLog::Open(FixtureUrl(), "a.b", "n");
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().field(), "shard");
  auto node = JetStreamEventLog::Open(FixtureUrl(), "ok", "a;b");
  EXPECT_EQ(node.status().field(), "node");
  auto none = JetStreamEventLog::Open("nats://127.0.0.1:1", "ok", "n",
                                      JetStreamOptions{.request_timeout_ms = 500});
  EXPECT_EQ(none.status().code(), StatusCode::kUnavailable) << none.status().ToString();
}

// A batch over the message limit goes in parts; pages that end inside a batch continue there.
TEST(JetStreamEventLog, LargeBatchesInPartsReadBackExactly) {
  auto w = ncc::testing::Workload::Make(5, 300);  // ~1200 events
  JetStreamOptions options;
  options.max_message_bytes = 4000;
  auto log = OpenOk(UniqueShard("parts"), "a", options);
  ASSERT_TRUE(log);
  ASSERT_TRUE(log->Append(Slice(w.stored, 0, 7)).ok());
  Status s = log->Append(Slice(w.stored, 7, w.stored.size()));
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_GT(log->Syncs(), 10u);  // the fence, the small batch and many parts
  ExpectExactly(*log, w.stored);
  Seq at;
  size_t pages = 0;
  std::vector<StoredEvent> paged;
  while (true) {
    auto page = log->ReadAfter(at, 37);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    if (page->empty()) break;
    paged.insert(paged.end(), page->begin(), page->end());
    at = page->back().seq;
    ++pages;
  }
  EXPECT_EQ(paged.size(), w.stored.size());
  EXPECT_EQ(pages, (w.stored.size() + 36) / 37);
  // A follower (its own connection, no lease) sees the same log.
  auto follower = OpenOk(log->stream().substr(4), "f", JetStreamOptions{.writer = false});
  ASSERT_TRUE(follower);
  ExpectExactly(*follower, w.stored);
  auto one = follower->ReadAfter(Seq(500), 3);
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one->size(), 3u);
  EXPECT_EQ(one->front().seq, Seq(501));
  EXPECT_EQ(follower->Append(Slice(w.stored, 0, 1)).code(), StatusCode::kFailedPrecondition);
}

// A writer that dies after some parts of a batch: the log is as before the batch, for readers
// and for the next writer, which appends the batch again; every event is there exactly once.
TEST(JetStreamEventLog, AnUnfinishedBatchIsNotInTheLog) {
  auto w = ncc::testing::Workload::Make(5, 100);
  const std::string shard = UniqueShard("unfinished");
  JetStreamOptions options;
  options.max_message_bytes = 3000;
  options.stop_after_parts_for_test = 2;
  {
    auto log = OpenOk(shard, "a", options);
    ASSERT_TRUE(log);
    ASSERT_TRUE(log->Append(Slice(w.stored, 0, 5)).ok());
    Status s = log->Append(Slice(w.stored, 5, w.stored.size()));
    EXPECT_EQ(s.code(), StatusCode::kUnavailable);
    EXPECT_EQ(log->Append(Slice(w.stored, 5, 6)).code(), StatusCode::kFailedPrecondition);
    auto follower = OpenOk(shard, "f", JetStreamOptions{.writer = false});
    ASSERT_TRUE(follower);
    ExpectExactly(*follower, Slice(w.stored, 0, 5));
  }
  options.stop_after_parts_for_test = 0;
  auto next = OpenOk(shard, "b", options);  // the lease was released on close
  ASSERT_TRUE(next);
  EXPECT_EQ(next->LastSeq(), Seq(5));
  Status s = next->Append(Slice(w.stored, 5, w.stored.size()));
  ASSERT_TRUE(s.ok()) << s.ToString();
  ExpectExactly(*next, w.stored);
}

TEST(JetStreamEventLog, OneEventOverTheLimitIsRefusedStoringNothing) {
  auto w = ncc::testing::Workload::Make(2, 3);
  auto log = OpenOk(UniqueShard("huge"), "a", JetStreamOptions{.max_message_bytes = 200});
  ASSERT_TRUE(log);
  std::vector<StoredEvent> big = Slice(w.stored, 0, 1);
  big[0].payload.assign(500, 'x');
  Status s = log->Append(big);
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted) << s.ToString();
  EXPECT_NE(s.message().find("event 1 is "), std::string::npos) << s.message();
  EXPECT_EQ(log->LastSeq(), Seq());
  ASSERT_TRUE(log->Append(Slice(w.stored, 0, 2)).ok());
}

// Two writers on one shard (the bucket's TTL, 5 s, is every test's). The first stalls: its
// lease runs out, the second takes the shard
// (a higher epoch) and appends; the first's next append is refused ("deposed"), storing
// nothing. No event twice, and the chain verifies.
TEST(JetStreamEventLog, ADeposedWriterIsRefused) {
  auto w = ncc::testing::Workload::Make(3, 20);
  const std::string shard = UniqueShard("deposed");
  JetStreamOptions options;
  auto a = OpenOk(shard, "node-a", options);
  ASSERT_TRUE(a);
  ASSERT_TRUE(a->Append(Slice(w.stored, 0, 10)).ok());
  // While a renews its lease, b cannot take the shard.
  auto early = JetStreamEventLog::Open(FixtureUrl(), shard, "node-b",
                                       JetStreamOptions{.lease_wait_ms = 300});
  EXPECT_EQ(early.status().code(), StatusCode::kUnavailable) << early.status().ToString();
  EXPECT_NE(early.status().message().find("node node-a"), std::string::npos)
      << early.status().message();

  a->StopRenewingLeaseForTest();
  options.lease_wait_ms = 10'000;
  auto b = OpenOk(shard, "node-b", options);
  ASSERT_TRUE(b);
  EXPECT_GT(b->epoch(), a->epoch());
  EXPECT_EQ(b->LastSeq(), Seq(10));
  ASSERT_TRUE(b->Append(Slice(w.stored, 10, 20)).ok());

  Status refused = a->Append(Slice(w.stored, 10, 20));
  EXPECT_EQ(refused.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(refused.message().rfind("deposed: ", 0), 0u) << refused.message();
  ASSERT_TRUE(b->Append(Slice(w.stored, 20, w.stored.size())).ok());
  ExpectExactly(*b, w.stored);
}

// A writer whose renewals did not get through (the bucket's stream electing a leader after a
// node died) and whose lease nobody else took: its next append takes the lease again, with a
// higher epoch, and a fence expecting its own last message; it goes on without a gap.
TEST(JetStreamEventLog, ALapsedLeaseNobodyTookIsTakenAgain) {
  auto w = ncc::testing::Workload::Make(3, 10);
  auto a = OpenOk(UniqueShard("lapsed"), "node-a");
  ASSERT_TRUE(a);
  ASSERT_TRUE(a->Append(Slice(w.stored, 0, 5)).ok());
  const uint64_t first_epoch = a->epoch();
  a->StopRenewingLeaseForTest();
  std::this_thread::sleep_for(std::chrono::milliseconds(5500));  // past the bucket's TTL
  Status s = a->Append(Slice(w.stored, 5, w.stored.size()));
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_GT(a->epoch(), first_epoch);
  ExpectExactly(*a, w.stored);
}

// The log fences by itself: a writer that still believes in its lease (a long pause, a clock
// that runs slow) appends after another writer took over and fenced; the stream refuses it
// (expected-last-sequence), nothing of it is stored.
TEST(JetStreamEventLog, TheStreamRefusesAStaleWriterThatTrustsItsLease) {
  auto w = ncc::testing::Workload::Make(3, 10);
  const std::string shard = UniqueShard("fence");
  JetStreamOptions options;
  auto a = OpenOk(shard, "node-a", options);
  ASSERT_TRUE(a);
  ASSERT_TRUE(a->Append(Slice(w.stored, 0, 5)).ok());
  a->StopRenewingLeaseForTest();
  a->IgnoreLeaseForTest();
  options.lease_wait_ms = 10'000;
  auto b = OpenOk(shard, "node-b", options);  // takes the lease and fences the stream
  ASSERT_TRUE(b);
  Status refused = a->Append(Slice(w.stored, 5, 10));
  EXPECT_EQ(refused.code(), StatusCode::kFailedPrecondition) << refused.ToString();
  EXPECT_NE(refused.message().find("moved past seq"), std::string::npos) << refused.message();
  EXPECT_NE(refused.message().find("node-b"), std::string::npos) << refused.message();
  EXPECT_EQ(b->LastSeq(), Seq(5));
  ASSERT_TRUE(b->Append(Slice(w.stored, 5, w.stored.size())).ok());
  ExpectExactly(*b, w.stored);
}

}  // namespace
}  // namespace ncc::jetstream
