// The audit trail on an in-memory log: a whole log verifies, a consistent rewrite of the whole
// log is caught by the signed anchors, and a record's trail lists its changes and audited reads.
#include "audit/audit_trail.h"

#include <gtest/gtest.h>

#include "auth/chain_anchor.h"
#include "core/clock.h"
#include "core/commands.h"
#include "core/stored_event.h"
#include "core/temp_dir_for_tests.h"
#include "store/snapshot_store.h"

namespace ncc::audit {
namespace {

// Runs commands through Decide/Apply and appends their events, chained, to `log`.
class LogBuilder {
 public:
  explicit LogBuilder(EventLog& log) : log_(log) {}
  void Run(Command c, const std::string& actor = "dana") {
    std::vector<Event> events;
    auto d = Execute(c, world_, {actor, "police", Time{1'790'000'000'000}}, events);
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    std::vector<StoredEvent> stored;
    for (const Event& e : events) {
      stored.push_back(Encode(e, head_));
      head_ = stored.back().hash;
    }
    ASSERT_TRUE(log_.Append(stored).ok());
  }
  const Hash& head() const { return head_; }

 private:
  EventLog& log_;
  World world_;
  Hash head_{};
};

void Populate(LogBuilder& b, const std::string& summary) {
  b.Run(RegisterAgency{{"police", "Police", "police"}}, "admin");
  CreateIncident secret;
  secret.type = "police.robbery";
  secret.summary = summary;
  secret.classification = Classification::kSecret;
  b.Run(secret);
  b.Run(AddIncidentNote{IncidentId(1), "suspect seen"}, "sam");
  b.Run(RecordAccess{{IncidentId(1)}, "GET /api/v1/incidents/{id}"}, "lee");
}

// Damage cases "events.db-wal truncate_pct 50" and "delete": the WAL gone after a kill -9 leaves
// a whole but shorter chain, older than the newest anchor can tell. Start-up refuses it because
// a snapshot covers the lost seqs; verify makes the same check (CheckLogAgainstSnapshots), so it
// no longer says ok on a folder the server will not start on.
TEST(AuditVerify, ALogShorterThanItsNewestSnapshotFailsAsAtStartUp) {
  ncc::testing::TempDir dir;
  MemoryEventLog full;
  LogBuilder b(full);
  Populate(b, "bank on 5th");
  auto stored = full.ReadAfter(Seq(), 100);
  ASSERT_TRUE(stored.ok());
  ASSERT_TRUE(SnapshotStore(dir.File("snapshots")).Write({full.LastSeq(), b.head(), "world"}).ok());
  ASSERT_TRUE(Verify(full, dir.path()).ok());

  MemoryEventLog shorter;
  ASSERT_TRUE(shorter.Append({stored->begin(), stored->begin() + 2}).ok());
  auto report = Verify(shorter, dir.path());
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(report.status().message(), "event log ends at seq 2 but a snapshot covers seq " +
                                           std::to_string(full.LastSeq().value) +
                                           ": the log was truncated");
}

TEST(AuditVerify, WholeLogWithAnchorsIsOk) {
  ncc::testing::TempDir dir;
  ManualClock clock;
  MemoryEventLog log;
  LogBuilder b(log);
  Populate(b, "bank on 5th");
  auto anchor = auth::ChainAnchor::Open(dir.path(), clock);
  ASSERT_TRUE(anchor.ok());
  ASSERT_TRUE((*anchor)->Record(log.LastSeq(), b.head()).ok());
  auto report = Verify(log, dir.path());
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->anchors, 1);
  EXPECT_EQ(report->last_anchored, log.LastSeq());
  EXPECT_TRUE(report->warning.empty()) << report->warning;
}

TEST(AuditVerify, ConsistentRewriteOfTheWholeLogIsCaughtByTheAnchor) {
  ncc::testing::TempDir dir;
  ManualClock clock;
  MemoryEventLog original;
  LogBuilder b(original);
  Populate(b, "bank on 5th");
  auto anchor = auth::ChainAnchor::Open(dir.path(), clock);
  ASSERT_TRUE(anchor.ok());
  ASSERT_TRUE((*anchor)->Record(original.LastSeq(), b.head()).ok());

  // Same events, one word changed, every hash recomputed: the chain alone looks whole.
  MemoryEventLog forged;
  LogBuilder f(forged);
  Populate(f, "bank on 6th");
  ASSERT_TRUE(VerifyChain(forged).ok());
  auto report = Verify(forged, dir.path());
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(report.status().message().find("seq 4"), std::string::npos)
      << report.status().message();
}

TEST(AuditVerify, AnchorWithAnotherKeyIsRefused) {
  ncc::testing::TempDir dir, other;
  ManualClock clock;
  MemoryEventLog log;
  LogBuilder b(log);
  Populate(b, "x");
  auto anchor = auth::ChainAnchor::Open(dir.path(), clock);
  auto stranger = auth::ChainAnchor::Open(other.path(), clock);
  ASSERT_TRUE(anchor.ok() && stranger.ok());
  ASSERT_TRUE((*anchor)->Record(log.LastSeq(), b.head()).ok());
  auto report = Verify(log, dir.path(), (*stranger)->PublicKeyHex());
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.status().message().find("signature"), std::string::npos)
      << report.status().message();
}

TEST(AuditVerify, NoAnchorsIsAWarningNotASuccessInSilence) {
  ncc::testing::TempDir dir;
  MemoryEventLog log;
  LogBuilder b(log);
  Populate(b, "x");
  auto report = Verify(log, dir.path());
  ASSERT_TRUE(report.ok());
  EXPECT_NE(report->warning.find("no anchors"), std::string::npos);
}

TEST(AuditTrail, ListsChangesAndAuditedReadsOfOneRecord) {
  MemoryEventLog log;
  LogBuilder b(log);
  Populate(b, "x");
  auto trail = Trail(log, "incident:1");
  ASSERT_TRUE(trail.ok());
  ASSERT_EQ(trail->size(), 3u);
  EXPECT_EQ((*trail)[0].action, "incident_created");
  EXPECT_EQ((*trail)[0].actor, "dana");
  EXPECT_EQ((*trail)[1].actor, "sam");
  EXPECT_EQ((*trail)[2].action, "records_read");
  EXPECT_EQ((*trail)[2].actor, "lee");
  EXPECT_EQ((*trail)[2].detail, "GET /api/v1/incidents/{id}");
  EXPECT_TRUE(Trail(log, "incident:2")->empty());
  EXPECT_EQ(Trail(log, "incident").status().code(), StatusCode::kInvalidArgument);
}

TEST(AuditTrail, ReadsAreGroupedPerOwningAgencyAtTheHighestLabel) {
  World world;
  std::vector<Event> events;
  CommandContext ctx{"dana", "police", Time{1}};
  ASSERT_TRUE(Execute(RegisterAgency{{"police", "Police", "police"}}, world, ctx, events).ok());
  ASSERT_TRUE(Execute(RegisterAgency{{"ems", "EMS", "ambulance"}}, world, ctx, events).ok());
  CreateIncident a;
  a.type = "medical.cardiac";
  a.classification = Classification::kConfidential;
  ASSERT_TRUE(Execute(a, world, ctx, events).ok());
  a.classification = Classification::kSecret;
  ASSERT_TRUE(Execute(a, world, ctx, events).ok());
  a.agency = "ems";
  ASSERT_TRUE(Execute(a, world, {"eve", "ems", Time{1}}, events).ok());
  events.clear();
  ASSERT_TRUE(Execute(RecordAccess{{IncidentId(1), IncidentId(2), IncidentId(3)}, "stream"}, world,
                      {"lee", "police", Time{2}}, events)
                  .ok());
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].meta.agency, "police");
  EXPECT_EQ(events[0].meta.classification, Classification::kSecret);
  EXPECT_EQ(std::get<RecordsRead>(events[0].body).records.size(), 2u);
  EXPECT_EQ(events[1].meta.agency, "ems");
  EXPECT_EQ(Execute(RecordAccess{{IncidentId(9)}, "x"}, world, ctx, events).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(Execute(RecordAccess{{}, "x"}, world, ctx, events).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace ncc::audit
