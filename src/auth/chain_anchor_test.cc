#include "auth/chain_anchor.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "core/stored_event.h"
#include "core/temp_dir_for_tests.h"

namespace ncc::auth {
namespace {

// A hash-chained log built with the core's own ChainHash; Rewrite() edits one event and, like a
// careful attacker, recomputes every hash after it so the chain itself stays consistent.
class FakeLog {
 public:
  explicit FakeLog(int n) {
    for (int i = 1; i <= n; ++i) {
      StoredEvent e;
      e.seq = Seq{static_cast<uint64_t>(i)};
      e.time = Time{1000L * i};
      e.actor = "anna";
      e.agency = "police";
      e.payload = "event " + std::to_string(i);
      events_.push_back(e);
    }
    Rechain(0);
  }
  void Rewrite(int seq, const std::string& payload) {
    events_[static_cast<size_t>(seq - 1)].payload = payload;
    Rechain(static_cast<size_t>(seq - 1));
  }
  void Truncate(int n) { events_.resize(static_cast<size_t>(n)); }
  bool ChainIsConsistent() const {
    Hash prev{};
    for (const StoredEvent& e : events_) {
      if (e.prev_hash != prev || ChainHash(e) != e.hash) return false;
      prev = e.hash;
    }
    return true;
  }
  std::function<StatusOr<Hash>(Seq)> HashAt() const {
    return [this](Seq s) -> StatusOr<Hash> {
      if (s.value == 0 || s.value > events_.size()) return NotFound("no event");
      return events_[s.value - 1].hash;
    };
  }
  const Hash& At(int seq) const { return events_[static_cast<size_t>(seq - 1)].hash; }

 private:
  void Rechain(size_t from) {
    Hash prev = from == 0 ? Hash{} : events_[from - 1].hash;
    for (size_t i = from; i < events_.size(); ++i) {
      events_[i].prev_hash = prev;
      events_[i].hash = ChainHash(events_[i]);
      prev = events_[i].hash;
    }
  }
  std::vector<StoredEvent> events_;
};

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
void Spit(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

class AuthChainAnchorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StatusOr<std::unique_ptr<ChainAnchor>> a = ChainAnchor::Open(dir_.path(), clock_, {10, 60'000});
    ASSERT_TRUE(a.ok()) << a.status().message();
    anchor_ = std::move(*a);
    // The writer appends 50 events and calls MaybeRecord after each.
    for (int s = 1; s <= 50; ++s) {
      clock_.AdvanceSeconds(1);
      ASSERT_TRUE(anchor_->MaybeRecord(Seq{static_cast<uint64_t>(s)}, log_.At(s)).ok());
    }
  }
  StatusOr<AnchorReport> Verify() {
    return VerifyAnchors(dir_.File("anchors.log"), anchor_->PublicKeyHex(), log_.HashAt());
  }

  ncc::testing::TempDir dir_;
  ManualClock clock_;
  FakeLog log_{50};
  std::unique_ptr<ChainAnchor> anchor_;
};

TEST_F(AuthChainAnchorTest, IntactLogVerifies) {
  StatusOr<AnchorReport> r = Verify();
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->anchors, 5);  // every 10 events
  EXPECT_EQ(r->last_seq, Seq{50});
  EXPECT_EQ(anchor_->last_seq(), Seq{50});
}

TEST_F(AuthChainAnchorTest, ConsistentlyRewrittenLogIsDetected) {
  log_.Rewrite(23, "the call came in later than it did");
  ASSERT_TRUE(log_.ChainIsConsistent()) << "the hash chain alone cannot tell";
  StatusOr<AnchorReport> r = Verify();
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(r.status().message(), "event log differs from anchor at seq 30");
}

TEST_F(AuthChainAnchorTest, TruncatedLogIsDetected) {
  log_.Truncate(35);
  EXPECT_EQ(Verify().status().message(), "event log ends before anchor at seq 40");
}

TEST_F(AuthChainAnchorTest, ForgedEditedOrRemovedAnchorsAreDetected) {
  const std::string path = dir_.File("anchors.log");
  const std::string original = Slurp(path);
  std::vector<std::string> lines;
  std::istringstream in(original);
  for (std::string l; std::getline(in, l);) lines.push_back(l + "\n");
  ASSERT_EQ(lines.size(), 5u);

  // An attacker rewrites the log and edits the anchor's hash to match, without the key.
  log_.Rewrite(23, "edited");
  std::string edited = original;
  const std::string old_hex = HexOf(FakeLog(50).At(30)), new_hex = HexOf(log_.At(30));
  edited.replace(edited.find(old_hex), old_hex.size(), new_hex);
  Spit(path, edited);
  EXPECT_EQ(Verify().status().message(),
            "anchor line 3: bad signature (forged, edited, reordered or removed)");

  // Removing a middle anchor breaks the link of the next one.
  FakeLog intact(50);
  Spit(path, lines[0] + lines[1] + lines[3] + lines[4]);
  EXPECT_EQ(VerifyAnchors(path, anchor_->PublicKeyHex(), intact.HashAt()).status().message(),
            "anchor line 3: bad signature (forged, edited, reordered or removed)");

  // Anchors signed by another key are rejected.
  ncc::testing::TempDir other_dir;
  StatusOr<std::unique_ptr<ChainAnchor>> other = ChainAnchor::Open(other_dir.path(), clock_);
  ASSERT_TRUE(other.ok());
  Spit(path, original);
  EXPECT_EQ(VerifyAnchors(path, (*other)->PublicKeyHex(), intact.HashAt()).status().code(),
            StatusCode::kDataLoss);
  EXPECT_TRUE(VerifyAnchors(path, anchor_->PublicKeyHex(), intact.HashAt()).ok());
}

TEST_F(AuthChainAnchorTest, ReopenContinuesTheChainAndDropsATornLine) {
  const std::string path = dir_.File("anchors.log");
  anchor_.reset();
  Spit(path, Slurp(path) + "A1 60 123 abc");  // a crash mid-write
  StatusOr<std::unique_ptr<ChainAnchor>> a = ChainAnchor::Open(dir_.path(), clock_, {10, 60'000});
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_EQ((*a)->last_seq(), Seq{50});
  FakeLog longer(70);
  EXPECT_EQ((*a)->Record(Seq{50}, longer.At(50)).code(), StatusCode::kInvalidArgument);
  for (int s = 51; s <= 70; ++s)
    ASSERT_TRUE((*a)->MaybeRecord(Seq{static_cast<uint64_t>(s)}, longer.At(s)).ok());
  StatusOr<AnchorReport> r = VerifyAnchors(path, Slurp(dir_.File("anchor.pub")), longer.HashAt());
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->anchors, 7);
}

TEST_F(AuthChainAnchorTest, TimePolicyAnchorsQuietPeriods) {
  clock_.AdvanceSeconds(61);
  StatusOr<bool> recorded = anchor_->MaybeRecord(Seq{51}, FakeLog(51).At(51));
  ASSERT_TRUE(recorded.ok());
  EXPECT_TRUE(*recorded);
  recorded = anchor_->MaybeRecord(Seq{52}, FakeLog(52).At(52));
  EXPECT_FALSE(*recorded);
}

TEST_F(AuthChainAnchorTest, KeyFileIsPrivate) {
  struct stat st;
  ASSERT_EQ(::stat(dir_.File("anchor.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  anchor_.reset();
  ASSERT_EQ(::chmod(dir_.File("anchor.key").c_str(), 0644), 0);
  EXPECT_EQ(ChainAnchor::Open(dir_.path(), clock_).status().code(),
            StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace ncc::auth
