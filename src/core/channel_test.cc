// Channels in the core: opening (once per subject), posting with labels and mentions, an
// incident's messages as its channel's, delivery and read cursors (forward only, idempotent
// under a command id), and all of it the same after a replay and from a snapshot.
#include <gtest/gtest.h>

#include "core/commands.h"
#include "core/world.h"

namespace ncc {
namespace {

class ChannelTest : public ::testing::Test {
 protected:
  CommandContext ctx{"fire-dispatch", "fire", Time{1'700'000'000'000}};
  World world;
  std::vector<Event> log;

  StatusOr<Decision> Run(const Command& c) {
    ctx.now.ms += 1000;
    return Execute(c, world, ctx, log);
  }
  uint64_t MustRun(const Command& c) {
    auto d = Run(c);
    EXPECT_TRUE(d.ok()) << d.status().ToString();
    return d.ok() ? d->created_id : 0;
  }
  void As(std::string actor, std::string agency) {
    ctx.actor = std::move(actor);
    ctx.agency = std::move(agency);
  }
  void SetUp() override {
    MustRun(RegisterAgency{{"fire", "Fire Department", "fire"}});
    MustRun(RegisterAgency{{"police", "Police", "police"}});
    MustRun(RegisterAgency{{"ambulance", "Ambulance", "ambulance"}});
  }
  uint64_t Plan() {
    OperationPlan p;
    p.name = "Fleet Week";
    p.agency = "fire";
    p.agencies = {"police"};
    p.start = Time{ctx.now.ms + 3'600'000};
    p.end = Time{ctx.now.ms + 7'200'000};
    p.sectors = {{"A", "Marina Green", {{37.806, -122.44}, {37.806, -122.43}, {37.80, -122.43}}}};
    p.phases = {{"show", "Air show"}};
    return MustRun(DefinePlan{p});
  }
  Status Refusal(const Command& c) {
    auto d = Run(c);
    return d.ok() ? Status::Ok() : d.status();
  }
};

TEST_F(ChannelTest, OpenedOncePerSubject) {
  uint64_t plan = Plan();
  uint64_t op = MustRun(OpenChannel{"operation", {}, plan, "", {}});
  uint64_t sector = MustRun(OpenChannel{"sector", {}, plan, "A", {}});
  uint64_t pair = MustRun(OpenChannel{"agencies", {}, 0, "", {"police", "fire"}});
  EXPECT_EQ(op, 1u);
  EXPECT_EQ(sector, 2u);
  EXPECT_EQ(pair, 3u);
  EXPECT_EQ(world.FindChannel(op)->name, "operation-" + std::to_string(plan));
  EXPECT_EQ(world.FindChannel(sector)->name, "operation-" + std::to_string(plan) + "-sector-A");
  EXPECT_EQ(world.FindChannel(pair)->name, "agencies-fire-police");
  EXPECT_EQ(world.FindChannel(pair)->opened_by, "fire-dispatch");
  // The same subject again (the pair in the other order too) finds it, with no event.
  size_t events = log.size();
  EXPECT_EQ(MustRun(OpenChannel{"agencies", {}, 0, "", {"fire", "police"}}), pair);
  EXPECT_EQ(MustRun(OpenChannel{"operation", {}, plan, "", {}}), op);
  EXPECT_EQ(log.size(), events);
  EXPECT_EQ(world.channels().size(), 3u);
  // Labels follow the subject: the plan's lead and participants; the pair.
  World::SubjectLabel l = world.LabelOfSubject(*world.FindChannel(sector));
  EXPECT_EQ(l.agency, "fire");
  EXPECT_EQ(l.shared_with, (std::vector<std::string>{"police"}));
  l = world.LabelOfSubject(*world.FindChannel(pair));
  EXPECT_EQ(l.agency, "fire");
  EXPECT_EQ(l.shared_with, (std::vector<std::string>{"police"}));
}

TEST_F(ChannelTest, BadSubjectsRefusedNamingTheField) {
  uint64_t plan = Plan();
  EXPECT_EQ(Refusal(OpenChannel{"group", {}, 0, "", {}}).field(), "kind");
  EXPECT_EQ(Refusal(OpenChannel{"incident", IncidentId(9), 0, "", {}}).field(), "incident");
  EXPECT_EQ(Refusal(OpenChannel{"operation", {}, 42, "", {}}).field(), "plan");
  EXPECT_EQ(Refusal(OpenChannel{"sector", {}, plan, "Z", {}}).field(), "sector");
  EXPECT_EQ(Refusal(OpenChannel{"agencies", {}, 0, "", {"fire"}}).field(), "agencies");
  EXPECT_EQ(Refusal(OpenChannel{"agencies", {}, 0, "", {"fire", "coast"}}).field(), "agencies[1]");
  EXPECT_EQ(Refusal(OpenChannel{"agencies", {}, 0, "", {"fire", "fire"}}).field(), "agencies[1]");
  Status s = Refusal(PostChannelMessage{7, "hello", Classification::kRestricted, {}, {}});
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.field(), "id");
  uint64_t op = MustRun(OpenChannel{"operation", {}, plan, "", {}});
  EXPECT_EQ(Refusal(PostChannelMessage{op, "", Classification::kRestricted, {}, {}}).field(),
            "text");
  s = Refusal(PostChannelMessage{op, "x", Classification::kRestricted, {"ambulance"}, {}});
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.field(), "to[0]");
}

TEST_F(ChannelTest, MessagesCarryLabelsAndResolvedMentions) {
  uint64_t plan = Plan();
  UnitId e16(MustRun(RegisterUnit{"E16", "fire", "engine", {"engine"}, "S16", std::nullopt}));
  MustRun(RegisterUnit{"M5", "ambulance", "ambulance", {"ambulance"}, "S1", std::nullopt});
  uint64_t op = MustRun(OpenChannel{"operation", {}, plan, "", {}});
  uint64_t id = MustRun(
      PostChannelMessage{op,
                         "@E16 stage at the gate; @police hold traffic. @chief: @M5 @nobody @E16.",
                         Classification::kConfidential,
                         {},
                         {"chief"}});
  const Message* m = world.FindMessage(id);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->channel, op);
  EXPECT_EQ(m->incident, IncidentId());
  EXPECT_EQ(m->agency, "fire");
  EXPECT_EQ(m->classification, Classification::kConfidential);
  EXPECT_EQ(m->shared_with, (std::vector<std::string>{"police"}));
  // E16 once (a unit of the channel's agencies), police (an agency), chief (an account the
  // caller resolved); M5 is of an agency outside the channel and "nobody" is no one.
  ASSERT_EQ(m->mentions.size(), 3u);
  EXPECT_EQ(m->mentions[0].kind, "unit");
  EXPECT_EQ(m->mentions[0].unit, e16);
  EXPECT_EQ(m->mentions[1].kind, "agency");
  EXPECT_EQ(m->mentions[1].name, "police");
  EXPECT_EQ(m->mentions[2].kind, "user");
  EXPECT_EQ(m->mentions[2].name, "chief");
  EXPECT_EQ(world.MessagesIn(*world.FindChannel(op)), (std::vector<uint64_t>{id}));
  // Never below the subject's label: a secret plan's channel has secret messages.
}

TEST_F(ChannelTest, IncidentMessagesAreTheIncidentsChannel) {
  IncidentId inc(MustRun(CreateIncident{"fire.structure", 2, {37.8, -122.43}, "", "", "smoke"}));
  MustRun(ShareIncident{inc, "police"});
  uint64_t first = MustRun(PostMessage{inc, "first", Classification::kRestricted, {}});
  const Channel* ch = world.FindChannelByName("incident-" + std::to_string(inc.value));
  ASSERT_NE(ch, nullptr);  // opened with the first message
  EXPECT_EQ(world.FindMessage(first)->channel, ch->id);
  EXPECT_EQ(MustRun(OpenChannel{"incident", inc, 0, "", {}}), ch->id);
  uint64_t second = MustRun(PostChannelMessage{ch->id, "second", Classification::kRestricted, {}});
  EXPECT_EQ(world.MessagesOf(inc), (std::vector<uint64_t>{first, second}));
  EXPECT_EQ(world.MessagesIn(*ch), (std::vector<uint64_t>{first, second}));
  EXPECT_EQ(world.FindMessage(second)->incident, inc);
  EXPECT_EQ(world.channels().size(), 1u);
  // Closed incidents close their channel.
  MustRun(ChangeIncidentStatus{inc, IncidentStatus::kCancelled, ""});
  EXPECT_EQ(Refusal(PostChannelMessage{ch->id, "late", Classification::kRestricted, {}}).code(),
            StatusCode::kFailedPrecondition);
}

TEST_F(ChannelTest, CursorsMoveForwardOnlyAndReadDelivers) {
  uint64_t ch = MustRun(OpenChannel{"agencies", {}, 0, "", {"fire", "police"}});
  uint64_t m1 = MustRun(PostChannelMessage{ch, "one", Classification::kRestricted, {}});
  uint64_t m2 = MustRun(PostChannelMessage{ch, "two", Classification::kRestricted, {}});
  As("pd-1", "police");
  EXPECT_EQ(Refusal(AckMessages{ch, "delivered", 0}).field(), "up_to");
  EXPECT_EQ(Refusal(AckMessages{ch, "delivered", m2 + 1}).field(), "up_to");
  EXPECT_EQ(Refusal(AckMessages{ch, "seen", m1}).field(), "what");
  EXPECT_EQ(Refusal(AckMessages{99, "read", m1}).field(), "id");
  MustRun(AckMessages{ch, "delivered", m1});
  EXPECT_EQ(CursorOf(*world.FindChannel(ch), "pd-1", "delivered"), m1);
  size_t events = log.size();
  MustRun(AckMessages{ch, "delivered", m1});  // again: no change, no event
  EXPECT_EQ(log.size(), events);
  // Reading up to m2 delivers m2 as well: two events, in that order.
  MustRun(AckMessages{ch, "read", m2});
  ASSERT_EQ(log.size(), events + 2);
  EXPECT_TRUE(std::holds_alternative<MessagesDelivered>(log[events].body));
  EXPECT_TRUE(std::holds_alternative<MessagesRead>(log[events + 1].body));
  EXPECT_EQ(log[events].meta.actor, "pd-1");
  const Channel& c = *world.FindChannel(ch);
  EXPECT_EQ(CursorOf(c, "pd-1", "delivered"), m2);
  EXPECT_EQ(CursorOf(c, "pd-1", "read"), m2);
  EXPECT_EQ(CursorOf(c, "fire-dispatch", "read"), 0u);
  // A cursor never goes back.
  events = log.size();
  MustRun(AckMessages{ch, "delivered", m1});
  EXPECT_EQ(log.size(), events);
  EXPECT_EQ(CursorOf(*world.FindChannel(ch), "pd-1", "delivered"), m2);
}

TEST_F(ChannelTest, AnAcknowledgementRetriedWithItsCommandIdIsOneEvent) {
  uint64_t ch = MustRun(OpenChannel{"agencies", {}, 0, "", {"fire", "police"}});
  uint64_t m1 = MustRun(PostChannelMessage{ch, "one", Classification::kRestricted, {}});
  As("pd-1", "police");
  ctx.command_id = "ack-1";
  ctx.request = "delivered up to 1";
  MustRun(AckMessages{ch, "delivered", m1});
  size_t events = log.size();
  auto again = Run(AckMessages{ch, "delivered", m1});
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->replayed);
  EXPECT_EQ(log.size(), events);
  EXPECT_EQ(world.FindChannel(ch)->receipts.size(), 1u);
}

TEST_F(ChannelTest, ReplayAndSnapshotGiveTheSameChannels) {
  uint64_t plan = Plan();
  uint64_t ch = MustRun(OpenChannel{"sector", {}, plan, "A", {}});
  uint64_t m = MustRun(PostChannelMessage{ch, "@police ready", Classification::kRestricted, {}});
  As("pd-1", "police");
  MustRun(AckMessages{ch, "read", m});
  World replayed;
  for (const Event& e : log) replayed.Apply(e);
  EXPECT_EQ(replayed.Digest(), world.Digest());
  EXPECT_EQ(replayed.anomalies(), 0u);
  auto loaded = World::Deserialize(world.Serialize());
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->Digest(), world.Digest());
  ASSERT_NE(loaded->FindChannelByName(world.FindChannel(ch)->name), nullptr);
  EXPECT_EQ(CursorOf(*loaded->FindChannel(ch), "pd-1", "read"), m);
  EXPECT_EQ(loaded->FindMessage(m)->mentions.size(), 1u);
  // The loaded World decides the same next channel and message ids.
  EXPECT_EQ(loaded->NextChannelId(), world.NextChannelId());
  EXPECT_EQ(loaded->NextMessageId(), world.NextMessageId());
}

}  // namespace
}  // namespace ncc
