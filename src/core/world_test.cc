#include "core/world.h"

#include <gtest/gtest.h>

#include <random>

#include "core/commands.h"
#include "core/stored_event.h"

namespace ncc {
namespace {

class WorldTest : public ::testing::Test {
 protected:
  CommandContext ctx{"tester", "fire", Time{1'700'000'000'000}};
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
  void SetUp() override {
    MustRun(RegisterAgency{{"fire", "Fire Department", "fire"}});
    MustRun(RegisterAgency{{"police", "Police", "police"}});
  }
};

TEST_F(WorldTest, AssignmentDrivesUnitAndIncidentStatus) {
  IncidentId inc(
      MustRun(CreateIncident{"fire.structure", 1, {37.78, -122.41}, "1 Market St", "", "smoke"}));
  UnitId e1(
      MustRun(RegisterUnit{"E1", "fire", "engine", {"engine"}, "S1", LatLon{37.79, -122.40}}));
  MustRun(AssignUnit{inc, e1});
  EXPECT_EQ(world.FindUnit(e1)->status, UnitStatus::kDispatched);
  EXPECT_EQ(world.FindUnit(e1)->incident, inc);
  EXPECT_EQ(world.FindIncident(inc)->status, IncidentStatus::kDispatched);

  MustRun(ChangeUnitStatus{e1, UnitStatus::kEnRoute, ""});
  EXPECT_EQ(world.FindIncident(inc)->status, IncidentStatus::kEnRoute);
  MustRun(ChangeUnitStatus{e1, UnitStatus::kOnScene, ""});
  EXPECT_EQ(world.FindIncident(inc)->status, IncidentStatus::kOnScene);

  // Closing with a unit still on it is refused and names why.
  MustRun(ChangeIncidentStatus{inc, IncidentStatus::kResolved, "knocked down"});
  auto closing = Run(ChangeIncidentStatus{inc, IncidentStatus::kClosed, ""});
  ASSERT_FALSE(closing.ok());
  EXPECT_NE(
      closing.status().message().find("unit " + std::to_string(e1.value) + " is still assigned"),
      std::string::npos);
  EXPECT_EQ(closing.status().message().find("E1"), std::string::npos);  // no callsign

  MustRun(ChangeUnitStatus{e1, UnitStatus::kAvailable, ""});
  const Assignment& a = world.FindIncident(inc)->assignments.at(0);
  EXPECT_GT(a.en_route.ms, a.assigned.ms);
  EXPECT_GT(a.on_scene.ms, a.en_route.ms);
  EXPECT_GT(a.cleared.ms, a.on_scene.ms);
  EXPECT_FALSE(world.FindUnit(e1)->incident);
  MustRun(ChangeIncidentStatus{inc, IncidentStatus::kClosed, ""});
}

TEST_F(WorldTest, PriorityChangesOnAnOpenIncidentOnly) {
  IncidentId inc(MustRun(CreateIncident{"fire.structure", 3, {37.78, -122.41}, "", "", ""}));
  size_t logged = log.size();
  MustRun(ChangeIncidentPriority{inc, 3, "same"});
  EXPECT_EQ(log.size(), logged);  // unchanged: nothing logged
  MustRun(ChangeIncidentPriority{inc, 1, "partner EIDO"});
  EXPECT_EQ(world.FindIncident(inc)->priority, 1);
  EXPECT_EQ(world.FindIncident(inc)->timeline.back().text, "3 -> 1: partner EIDO");
  auto bad = Run(ChangeIncidentPriority{inc, 6, ""});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().field(), "priority");
  MustRun(ChangeIncidentStatus{inc, IncidentStatus::kCancelled, ""});
  bad = Run(ChangeIncidentPriority{inc, 2, ""});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(WorldTest, NoDoubleBooking) {
  IncidentId a(MustRun(CreateIncident{"medical.cardiac", 1, {37.78, -122.41}}));
  IncidentId b(MustRun(CreateIncident{"medical.fall", 3, {37.79, -122.42}}));
  UnitId m1(MustRun(RegisterUnit{"M1", "fire", "ambulance", {"als"}, "S2", std::nullopt}));
  MustRun(AssignUnit{a, m1});
  auto again = Run(AssignUnit{b, m1});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(again.status().field(), "unit");
  EXPECT_EQ(again.status().message(), "unit M1 is dispatched on incident 1");
}

TEST_F(WorldTest, BadInputNamesTheField) {
  auto r = Run(CreateIncident{"fire.structure", 9, {37.78, -122.41}});
  EXPECT_EQ(r.status().field(), "priority");
  r = Run(CreateIncident{"fire.structure", 1, {91, 0}});
  EXPECT_EQ(r.status().field(), "location.lat");
  r = Run(CreateIncident{"fire.structure", 1, {0, std::nan("")}});
  EXPECT_EQ(r.status().field(), "location.lon");
  r = Run(CreateIncident{"Fire Structure!", 1, {0, 0}});
  EXPECT_EQ(r.status().field(), "type");
  r = Run(CreateIncident{"fire", 1, {0, 0}, "", "", "", "navy"});
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(r.status().field(), "agency");
  r = Run(ChangeIncidentStatus{IncidentId(99), IncidentStatus::kTriaged, ""});
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(log.size(), 2u);  // only the two agencies: nothing refused left a trace
}

TEST_F(WorldTest, OlderFixNeverOverwritesNewer) {
  UnitId p1(MustRun(RegisterUnit{"P1", "police", "patrol", {}, "", std::nullopt}));
  Time t = ctx.now;
  auto d = Run(ReportPositions{{{p1, {37.70, -122.40}, Time{t.ms + 5000}, 10, 90},
                                {p1, {37.60, -122.30}, Time{t.ms + 1000}, 10, 90},
                                {UnitId(77), {37.60, -122.30}, t, 0, 0},
                                {p1, {95, 0}, t, 0, 0}}});
  ASSERT_TRUE(d.ok());
  ASSERT_EQ(d->rejected.size(), 2u);
  EXPECT_EQ(d->rejected[0].index, 2u);
  EXPECT_EQ(d->rejected[0].field, "unit");
  EXPECT_EQ(d->rejected[1].field, "position.lat");
  EXPECT_EQ(world.FindUnit(p1)->position->lat, 37.70);
}

// A seeded random workload: every replay of its log gives the same World, byte for byte, and
// so does a snapshot round trip.
TEST_F(WorldTest, ReplayAndSnapshotAreDeterministic) {
  std::mt19937_64 rng(42);
  for (int k = 0; k < 20; ++k)
    MustRun(RegisterUnit{"U" + std::to_string(k),
                         k % 2 ? "fire" : "police",
                         "engine",
                         {"engine"},
                         "",
                         std::nullopt});
  for (int step = 0; step < 3000; ++step) {
    switch (rng() % 9) {
      case 0:
        (void)Run(CreateIncident{"fire.alarm",
                                 static_cast<int32_t>(1 + rng() % 5),
                                 {37.7 + (rng() % 1000) * 1e-4, -122.5 + (rng() % 1000) * 1e-4}});
        break;
      case 1:
        (void)Run(AssignUnit{IncidentId(1 + rng() % (world.incidents().size() + 1)),
                             UnitId(1 + rng() % 20)});
        break;
      case 2:
        (void)Run(ChangeUnitStatus{UnitId(1 + rng() % 20),
                                   static_cast<UnitStatus>(rng() % kUnitStatusCount), ""});
        break;
      case 3:
        (void)Run(ChangeIncidentStatus{IncidentId(1 + rng() % (world.incidents().size() + 1)),
                                       static_cast<IncidentStatus>(rng() % kIncidentStatusCount),
                                       "n"});
        break;
      case 5:
        (void)Run(PostMessage{IncidentId(1 + rng() % (world.incidents().size() + 1)),
                              "msg",
                              static_cast<Classification>(rng() % kClassificationCount),
                              {}});
        break;
      case 6:
        (void)Run(ReclassifyUnit{UnitId(1 + rng() % 20),
                                 static_cast<Classification>(rng() % kClassificationCount)});
        break;
      case 7:
        (void)Run(TagZones{{IncidentId(1 + rng() % (world.incidents().size() + 1)), "", {"z1"}}});
        break;
      case 4: {
        // Keyed commands, some retried: the command records replay and snapshot too.
        ctx.command_id = "k" + std::to_string(rng() % 200);
        ctx.request = "r";
        (void)Run(CreateIncident{"fire.alarm", 2, {37.75, -122.45}});
        ctx.command_id.clear();
        break;
      }
      default:
        (void)Run(ReportPositions{{{UnitId(1 + rng() % 20), {37.75, -122.45}, ctx.now, 5, 180}}});
    }
  }
  ASSERT_GT(log.size(), 1000u);
  EXPECT_EQ(world.anomalies(), 0u);

  World replayed;
  for (const Event& e : log) {
    auto decoded = Decode(Encode(e, Hash{}));  // through the storage form, as a restart does
    ASSERT_TRUE(decoded.ok());
    replayed.Apply(*decoded);
  }
  EXPECT_EQ(replayed.Digest(), world.Digest());

  auto restored = World::Deserialize(world.Serialize());
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ(restored->Digest(), world.Digest());
  EXPECT_EQ(restored->FindUnitByCallsign("fire", "U3")->id, UnitId(4));
  EXPECT_EQ(restored->FindUnitByCallsign("police", "U3"), nullptr);  // callsigns are per agency
}

// A command id makes a retry come back with the first outcome: no second incident, the same
// id and seq; another request under the same id is refused; ids are per actor and forgotten
// after the retention.
TEST_F(WorldTest, CommandIdsAnswerRetriesWithTheFirstOutcome) {
  ctx.command_id = "call-7f3a";
  ctx.request = "digest-1";
  auto first = Run(CreateIncident{"fire.alarm", 2, {37.75, -122.45}});
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_FALSE(first->replayed);
  ASSERT_EQ(log.size(), 4u);  // two agencies, the incident, its command record
  EXPECT_TRUE(std::holds_alternative<CommandRecorded>(log.back().body));
  const Seq recorded = log.back().meta.seq;

  auto retry = Run(CreateIncident{"fire.alarm", 2, {37.75, -122.45}});
  ASSERT_TRUE(retry.ok());
  EXPECT_TRUE(retry->replayed);
  EXPECT_EQ(retry->created_id, first->created_id);
  EXPECT_EQ(retry->replayed_last_seq, recorded);
  EXPECT_EQ(retry->replayed_events, 2u);
  EXPECT_EQ(log.size(), 4u);
  EXPECT_EQ(world.incidents().size(), 1u);

  ctx.request = "digest-2";
  auto other = Run(CreateIncident{"fire.alarm", 3, {37.75, -122.45}});
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(other.status().field(), "Idempotency-Key");

  ctx.actor = "someone-else";  // the same id from another actor is another command
  ASSERT_TRUE(Run(CreateIncident{"fire.alarm", 3, {37.75, -122.45}}).ok());
  EXPECT_EQ(world.incidents().size(), 2u);

  ctx.command_id = "has space";
  auto bad = Run(CreateIncident{"fire.alarm", 3, {37.75, -122.45}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kMalformed);
  EXPECT_EQ(bad.status().field(), "Idempotency-Key");

  // A refused command records nothing: its retry is decided again.
  ctx.command_id = "note-1";
  ASSERT_FALSE(Run(AddIncidentNote{IncidentId(99), "x"}).ok());
  EXPECT_EQ(world.FindCommand(ctx.actor, "note-1"), nullptr);

  auto restored = World::Deserialize(world.Serialize());
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  ASSERT_NE(restored->FindCommand("tester", "call-7f3a"), nullptr);
  EXPECT_EQ(restored->FindCommand("tester", "call-7f3a")->created_id, first->created_id);

  // A day later the id is forgotten: its retry is a new command, and the old record goes.
  ctx.actor = "tester";
  ctx.now.ms += kCommandIdRetentionMs + 1;
  ctx.command_id = "call-7f3a";
  ctx.request = "digest-1";
  auto day_later = Run(CreateIncident{"fire.alarm", 2, {37.75, -122.45}});
  ASSERT_TRUE(day_later.ok()) << day_later.status().ToString();
  EXPECT_FALSE(day_later->replayed);
  EXPECT_NE(day_later->created_id, first->created_id);
  ctx.command_id = "later";
  ASSERT_TRUE(Run(CreateIncident{"fire.alarm", 3, {37.75, -122.45}}).ok());
  EXPECT_EQ(world.FindCommand("tester", "call-7f3a")->created_id, day_later->created_id);
  EXPECT_EQ(world.commands_remembered(), 2u);
  EXPECT_EQ(world.anomalies(), 0u);
}

// A message belongs to its author's agency, is shared with the agencies working the incident
// (or the subset named), and is never labelled below its incident.
TEST_F(WorldTest, MessagesCarryTheirOwnLabelAndAudience) {
  MustRun(RegisterAgency{{"ambulance", "Ambulance", "ems"}});
  ctx.agency = "police";
  IncidentId inc(MustRun(CreateIncident{
      "police.robbery", 2, {37.78, -122.41}, "", "", "", "police", Classification::kConfidential}));
  MustRun(ShareIncident{inc, "fire"});
  MustRun(ShareIncident{inc, "ambulance"});

  uint64_t all = MustRun(PostMessage{inc, "suspect fled north", Classification::kPublic, {}});
  const Message* m = world.FindMessage(all);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->agency, "police");
  EXPECT_EQ(m->classification, Classification::kConfidential);  // raised to the incident's
  EXPECT_EQ(m->shared_with, (std::vector<std::string>{"fire", "ambulance"}));
  EXPECT_EQ(m->author, "tester");

  ctx.agency = "fire";
  uint64_t one = MustRun(PostMessage{inc, "ladder staged", Classification::kSecret, {"police"}});
  EXPECT_EQ(world.FindMessage(one)->shared_with, (std::vector<std::string>{"police"}));
  EXPECT_EQ(world.FindMessage(one)->classification, Classification::kSecret);
  EXPECT_EQ(world.MessagesOf(inc), (std::vector<uint64_t>{all, one}));

  MustRun(RegisterAgency{{"coast", "Coast Guard", "coast"}});
  auto outsider = Run(PostMessage{inc, "x", Classification::kRestricted, {"coast"}});
  ASSERT_FALSE(outsider.ok());
  EXPECT_EQ(outsider.status().field(), "to[0]");
  auto empty = Run(PostMessage{inc, "", Classification::kRestricted, {}});
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().field(), "text");
}

TEST_F(WorldTest, ReclassificationAndZoneTags) {
  UnitId u(MustRun(RegisterUnit{"S1", "police", "patrol", {}, "", std::nullopt}));
  EXPECT_EQ(world.FindUnit(u)->classification, Classification::kRestricted);
  MustRun(ReclassifyUnit{u, Classification::kSecret});
  EXPECT_EQ(world.FindUnit(u)->classification, Classification::kSecret);
  EXPECT_EQ(log.back().meta.classification, Classification::kSecret);
  EXPECT_FALSE(Run(ReclassifyUnit{u, Classification::kSecret}).ok());  // already so

  UnitId covert(MustRun(
      RegisterUnit{"S2", "police", "patrol", {}, "", std::nullopt, Classification::kConfidential}));
  EXPECT_EQ(world.FindUnit(covert)->classification, Classification::kConfidential);

  // Positions are grouped per unit label, so a reader cleared for restricted never gets an
  // event that carries a secret unit's fix.
  UnitId plain(MustRun(RegisterUnit{"S3", "police", "patrol", {}, "", std::nullopt}));
  size_t before = log.size();
  MustRun(ReportPositions{
      {{u, {37.75, -122.45}, ctx.now, 5, 180}, {plain, {37.75, -122.45}, ctx.now, 5, 180}}});
  ASSERT_EQ(log.size(), before + 2);
  EXPECT_NE(log[before].meta.classification, log[before + 1].meta.classification);
  // The AVL lane's checkpoints likewise.
  before = log.size();
  RecordMonitoring lane;
  lane.checkpoint = {{u, {37.76, -122.45}, ctx.now, 5, 180},
                     {plain, {37.76, -122.45}, ctx.now, 5, 180}};
  MustRun(lane);
  ASSERT_EQ(log.size(), before + 2);
  EXPECT_EQ(std::get<PositionsReported>(log[before].body).fixes.size(), 1u);
  EXPECT_NE(log[before].meta.classification, log[before + 1].meta.classification);

  IncidentId inc(MustRun(CreateIncident{"fire.alarm", 3, {37.78, -122.41}}));
  MustRun(ReclassifyIncident{inc, Classification::kConfidential});
  EXPECT_EQ(world.FindIncident(inc)->classification, Classification::kConfidential);
  MustRun(TagZones{{inc, "", {"stadium", "sector-4"}}});
  EXPECT_EQ(world.FindIncident(inc)->zones, (std::vector<std::string>{"stadium", "sector-4"}));
  auto unknown_alarm = Run(TagZones{{inc, "psim/1", {"stadium"}}});
  ASSERT_FALSE(unknown_alarm.ok());
  EXPECT_EQ(unknown_alarm.status().field(), "alarm");

  auto restored = World::Deserialize(world.Serialize());
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ(restored->Digest(), world.Digest());
}

TEST(WorldSnapshot, CorruptBytesAreRefused) {
  World w;
  auto bad = World::Deserialize("\x07garbage");
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kDataLoss);
}

}  // namespace
}  // namespace ncc
