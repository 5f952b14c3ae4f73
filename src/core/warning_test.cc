// Public warnings in the World (core/warning.h): the chain rules of decide_warning.cc, what
// the World keeps, and that replay and snapshots give the same warnings.
#include <gtest/gtest.h>

#include "core/commands.h"
#include "core/stored_event.h"
#include "core/world.h"

namespace ncc {
namespace {

WarningContent Flood() {
  WarningContent w;
  w.category = "Met";
  w.urgency = "Expected";
  w.severity = "Severe";
  w.certainty = "Likely";
  w.area.description = "Corniche";
  w.area.polygon = {{25.30, 51.52}, {25.31, 51.53}, {25.29, 51.54}, {25.30, 51.52}};
  w.info = {{"ar", "فيضان", "فيضان متوقع", "", ""}, {"en", "Flood", "Flooding expected", "", ""}};
  return w;
}

WarningContent Replacing(const char* type, uint64_t ref) {
  WarningContent w = Flood();
  w.msg_type = type;
  w.references = ref;
  if (std::string(type) == "Cancel") {
    w.info.clear();
    w.area = {};
  }
  return w;
}

class Warnings : public ::testing::Test {
 protected:
  CommandContext ctx{"duty", "civil_defence", Time{1'796'313'600'000}};
  World world;
  std::vector<Event> log;

  StatusOr<Decision> Run(const Command& c, const char* agency = "civil_defence") {
    ctx.now.ms += 1000;
    ctx.agency = agency;
    return Execute(c, world, ctx, log);
  }
  uint64_t MustRun(const Command& c) {
    auto d = Run(c);
    EXPECT_TRUE(d.ok()) << d.status().ToString();
    return d.ok() ? d->created_id : 0;
  }
  void SetUp() override {
    MustRun(RegisterAgency{{"civil_defence", "Civil Defence", "civil_defence"}});
    MustRun(RegisterAgency{{"fire", "Fire", "fire"}});
  }
};

TEST_F(Warnings, UpdateThenCancelReplaceTheLatestOfTheChain) {
  uint64_t first = MustRun(IssueWarning{Flood()});
  ASSERT_EQ(first, 1u);
  const PublicWarning* w = world.FindWarning(first);
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->agency, "civil_defence");
  EXPECT_EQ(w->issued_by, "duty");
  EXPECT_EQ(w->state, "actual");
  EXPECT_EQ(log.back().meta.classification, Classification::kPublic);

  uint64_t update = MustRun(IssueWarning{Replacing("Update", first)});
  EXPECT_EQ(world.FindWarning(first)->state, "superseded");
  EXPECT_EQ(world.FindWarning(first)->replaced_by, update);

  // The superseded one is not replaced again; another agency replaces nothing of ours.
  auto twice = Run(IssueWarning{Replacing("Cancel", first)});
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(twice.status().field(), "references");
  auto foreign = Run(IssueWarning{Replacing("Cancel", update)}, "fire");
  ASSERT_FALSE(foreign.ok());
  EXPECT_EQ(foreign.status().code(), StatusCode::kPermissionDenied);
  auto unknown = Run(IssueWarning{Replacing("Cancel", 99)});
  EXPECT_EQ(unknown.status().code(), StatusCode::kNotFound);

  uint64_t cancel = MustRun(IssueWarning{Replacing("Cancel", update)});
  EXPECT_EQ(world.FindWarning(update)->state, "cancelled");
  EXPECT_EQ(world.FindWarning(cancel)->state, "actual");
  // A Cancel ends the chain.
  auto after_cancel = Run(IssueWarning{Replacing("Update", cancel)});
  EXPECT_EQ(after_cancel.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(world.warnings().size(), 3u);
}

TEST_F(Warnings, ContentIsCheckedNamingTheField) {
  const std::pair<WarningContent, const char*> cases[] = {
      {[] {
         auto w = Flood();
         w.severity = "Apocalyptic";
         return w;
       }(),
       "severity"},
      {[] {
         auto w = Flood();
         w.area.polygon.pop_back();
         return w;
       }(),
       "area.polygon"},
      {[] {
         auto w = Flood();  // closed, four vertices, but only two distinct corners
         w.area.polygon = {{25.3, 51.5}, {25.3, 51.5}, {25.31, 51.5}, {25.3, 51.5}};
         return w;
       }(),
       "area.polygon"},
      {[] {
         auto w = Flood();
         w.area.polygon[1].lat = 91;
         return w;
       }(),
       "area.polygon[1].lat"},
      {[] {
         auto w = Flood();
         w.info[1].language = "ar";
         return w;
       }(),
       "info[1].language"},
      {[] {
         auto w = Flood();
         w.info[0].headline.assign(200, 'x');
         return w;
       }(),
       "info[0].headline"},
      {[] {
         auto w = Flood();
         w.info[0].event = "a\x01";
         return w;
       }(),
       "info[0].event"},
      {[] {
         auto w = Flood();
         w.info.clear();
         return w;
       }(),
       "info"},
      {[] {
         auto w = Flood();
         w.area = {};
         return w;
       }(),
       "area"},
      {[] {
         auto w = Flood();
         w.references = 1;
         return w;
       }(),
       "references"},
      {[] {
         auto w = Flood();
         w.expires = Time{1};
         return w;
       }(),
       "expires"},
  };
  for (const auto& [content, field] : cases) {
    auto d = Run(IssueWarning{content});
    ASSERT_FALSE(d.ok()) << field;
    EXPECT_EQ(d.status().field(), field) << d.status().ToString();
  }
  EXPECT_TRUE(world.warnings().empty());
}

TEST_F(Warnings, ReplayAndSnapshotKeepTheWarnings) {
  uint64_t first = MustRun(IssueWarning{Flood()});
  MustRun(IssueWarning{Replacing("Update", first)});
  WarningContent circle = Flood();
  circle.area.polygon.clear();
  circle.area.centre = LatLon{25.37, 51.55};
  circle.area.radius_km = 2.5;
  circle.expires = Time{ctx.now.ms + 3'600'000};
  MustRun(IssueWarning{circle});
  World replayed;
  for (const Event& e : log) {
    auto decoded = Decode(Encode(e, Hash{}));
    ASSERT_TRUE(decoded.ok());
    replayed.Apply(*decoded);
  }
  EXPECT_EQ(replayed.Digest(), world.Digest());
  EXPECT_EQ(replayed.anomalies(), 0u);
  auto restored = World::Deserialize(world.Serialize());
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ(restored->Digest(), world.Digest());
  ASSERT_EQ(restored->warnings().size(), 3u);
  EXPECT_EQ(restored->FindWarning(1)->state, "superseded");
  EXPECT_EQ(restored->FindWarning(3)->content.area.radius_km, 2.5);
  ASSERT_TRUE(restored->FindWarning(3)->content.expires.has_value());
}

}  // namespace
}  // namespace ncc
