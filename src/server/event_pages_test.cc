// The stream's shared event filter: every reader gets exactly what VisibleEventJson gives it
// (byte for byte, hidden events hidden), readers of one view share one decision and rendering,
// and a decision made before a label changed is not reused after it.
#include "server/event_pages.h"

#include <gtest/gtest.h>

#include "visibility/redact.h"

namespace ncc {
namespace {

auth::Principal Dispatcher(const std::string& user, const std::string& agency,
                           Classification clearance) {
  auth::Principal p;
  p.user = user;
  p.agency = agency;
  p.roles = {{agency, auth::Role::kDispatcher}};
  p.clearance = clearance;
  return p;
}

EventText TextOf(const Event& e) {
  auto item = std::make_shared<const FeedItem>(e);
  return {std::shared_ptr<const std::string>(item, &item->Json()), &item->event()};
}

class SharedEventViewsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Do(RegisterAgency{{"police", "Police", "police"}});
    Do(RegisterAgency{{"fire", "Fire", "fire"}}, "fire");
    Do(RegisterUnit{"P1", "police", "patrol", {}, "", LatLon{37.70, -122.40}});        // unit 1
    Do(RegisterUnit{"E1", "fire", "engine", {}, "", LatLon{37.71, -122.41}}, "fire");  // 2
    Do(RegisterUnit{"P2", "police", "patrol", {}, "", LatLon{37.72, -122.40}});        // 3
    Do(ReclassifyUnit{UnitId(3), Classification::kConfidential});
    Do(CreateIncident{"police.robbery", 2, {37.78, -122.41}, "", "", "A", "police"});        // 1
    Do(CreateIncident{"fire.structure", 1, {37.79, -122.42}, "", "", "B", "fire"}, "fire");  // 2
    Do(ShareIncident{IncidentId(1), "fire"});
    // Names a unit of each agency and a confidential one: each view is shown a different text.
    Do(RecordRecommendation{IncidentId(1),
                            "default",
                            "",
                            {{UnitId(1), "patrol", 60, 500},
                             {UnitId(2), "engine", 90, 800},
                             {UnitId(3), "patrol", 120, 900}},
                            {}});
    Do(AssignUnit{IncidentId(1), UnitId(3)});
    Do(AssignUnit{IncidentId(2), UnitId(2)}, "fire");
    before_share_ = world_;
    Do(ShareIncident{IncidentId(2), "police"}, "fire");
  }

  void Do(Command c, const std::string& agency = "police") {
    ctx_.agency = agency;
    ctx_.now.ms += 1000;
    auto d = Execute(c, world_, ctx_, events_);
    ASSERT_TRUE(d.ok()) << d.status().ToString();
  }

  CommandContext ctx_{"op", "police", Time{1'700'000'000'000}};
  World world_, before_share_;
  std::vector<Event> events_;
};

TEST_F(SharedEventViewsTest, EveryReaderGetsByteForByteWhatItsOwnFilteringGives) {
  const std::vector<auth::Principal> readers = {
      Dispatcher("pa", "police", Classification::kRestricted),
      Dispatcher("pb", "police", Classification::kRestricted),  // the same view as pa
      Dispatcher("pc", "police", Classification::kConfidential),
      Dispatcher("fa", "fire", Classification::kRestricted),
      Dispatcher("fb", "fire", Classification::kRestricted),  // the same view as fa
  };
  SharedEventViews views;
  std::vector<uint32_t> ids;
  for (const auto& who : readers) ids.push_back(views.Intern(ViewOf(who)));
  EXPECT_EQ(ids[0], ids[1]);
  EXPECT_EQ(ids[3], ids[4]);
  EXPECT_NE(ids[0], ids[2]);
  EXPECT_NE(ids[0], ids[3]);

  size_t redacted = 0, hidden = 0;
  for (const Event& e : events_) {
    EventText text = TextOf(e);
    std::vector<std::shared_ptr<const std::string>> got;
    for (size_t r = 0; r < readers.size(); ++r) {
      auto shared = views.Visible(readers[r], ids[r], text, world_);
      auto own = VisibleEventJson(readers[r], e, world_, text.json);
      ASSERT_EQ(shared == nullptr, own == nullptr)
          << readers[r].user << " event " << e.meta.seq.value;
      if (own) {
        EXPECT_EQ(*shared, *own) << readers[r].user << " event " << e.meta.seq.value;
      }
      if (own && *own != *text.json) ++redacted;
      if (!own) ++hidden;
      got.push_back(shared);
    }
    // One rendering for the readers of one view: the very same text, not an equal copy.
    EXPECT_EQ(got[0], got[1]);
    EXPECT_EQ(got[3], got[4]);
  }
  EXPECT_GT(redacted, 0u) << "no event was redacted for any reader: the case proves nothing";
  EXPECT_GT(hidden, 0u) << "no event was hidden from any reader: the case proves nothing";
  EXPECT_EQ(views.decided(), events_.size() * 3);  // three views
  EXPECT_EQ(views.shared(), events_.size() * 2);   // pb and fb took pa's and fa's
}

TEST_F(SharedEventViewsTest, ADecisionIsNotReusedOnceTheLabelsChanged) {
  auto police = Dispatcher("pa", "police", Classification::kRestricted);
  SharedEventViews views;
  uint32_t id = views.Intern(ViewOf(police));
  // Incident B's creation, before and after fire shared it with police.
  auto b_created = std::find_if(events_.begin(), events_.end(), [](const Event& e) {
    auto* c = std::get_if<IncidentCreated>(&e.body);
    return c && c->id == IncidentId(2);
  });
  ASSERT_NE(b_created, events_.end());
  EventText text = TextOf(*b_created);
  EXPECT_EQ(views.Visible(police, id, text, before_share_), nullptr);
  auto after = views.Visible(police, id, text, world_);
  ASSERT_NE(after, nullptr) << "the share did not show police the incident's history";
  EXPECT_EQ(*after, *text.json);
  // A reader still in the older World decides for itself, and does not undo the newer decision.
  EXPECT_EQ(views.Visible(police, id, text, before_share_), nullptr);
  EXPECT_EQ(views.Visible(police, id, text, world_), after);
  EXPECT_EQ(views.decided(), 3u);
  EXPECT_EQ(views.shared(), 1u);
}

TEST_F(SharedEventViewsTest, OnlyTheNewestSeqsAreKept) {
  auto police = Dispatcher("pa", "police", Classification::kRestricted);
  SharedEventViews views(2);
  uint32_t id = views.Intern(ViewOf(police));
  for (const Event& e : events_) views.Visible(police, id, TextOf(e), world_);
  // The oldest are decided again; the two newest are shared.
  views.Visible(police, id, TextOf(events_.front()), world_);
  EXPECT_EQ(views.shared(), 0u);
  views.Visible(police, id, TextOf(events_.back()), world_);
  EXPECT_EQ(views.shared(), 1u);
}

}  // namespace
}  // namespace ncc
