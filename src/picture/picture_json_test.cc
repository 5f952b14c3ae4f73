// The picture at a past moment as each reader is shown it: another agency's unshared incidents
// are not in it, records are judged by their current label, what they name is redacted, the
// confidential records shown are listed for the audit, and positions come from the track.
#include "picture/picture_json.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "core/json_writer.h"

namespace ncc::picture {
namespace {

using nlohmann::json;

auth::Principal Dispatcher(const std::string& agency, Classification clearance) {
  auth::Principal p;
  p.user = agency + "-dispatcher";
  p.agency = agency;
  p.roles = {{agency, auth::Role::kDispatcher}};
  p.clearance = clearance;
  return p;
}

std::vector<uint64_t> Ids(const json& items) {
  std::vector<uint64_t> out;
  for (const json& i : items) out.push_back(i["id"].get<uint64_t>());
  return out;
}

class PictureJsonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Do(RegisterAgency{{"police", "Police", "police"}});
    Do(RegisterAgency{{"fire", "Fire", "fire"}}, "fire");
    Do(RegisterUnit{"P1", "police", "patrol", {}, "", LatLon{37.70, -122.40}});        // unit 1
    Do(RegisterUnit{"E1", "fire", "engine", {}, "", LatLon{37.71, -122.41}}, "fire");  // 2
    Do(ReclassifyUnit{UnitId(1), Classification::kConfidential});
    Do(CreateIncident{"police.robbery", 2, {37.78, -122.41}, "", "", "A", "police"});        // 1
    Do(CreateIncident{"fire.structure", 1, {37.79, -122.42}, "", "", "B", "fire"}, "fire");  // 2
    Do(CreateIncident{"fire.alarm", 3, {37.77, -122.43}, "", "", "C", "fire"}, "fire");      // 3
    Do(CreateIncident{"police.theft", 4, {37.76, -122.44}, "", "", "D", "police"});          // 4
    Do(AssignUnit{IncidentId(2), UnitId(2)}, "fire");
    Do(AssignUnit{IncidentId(1), UnitId(1)});
    Do(ChangeIncidentStatus{IncidentId(4), IncidentStatus::kCancelled, ""});
    past_seq_ = Seq(events_.size());
    // After the moment: C shared with police, A classified secret, a new incident.
    Do(ShareIncident{IncidentId(3), "police"}, "fire");
    Do(ReclassifyIncident{IncidentId(1), Classification::kSecret});
    Do(CreateIncident{"police.theft", 4, {37.75, -122.45}, "", "", "E", "police"});
    Do(ReclassifyUnit{UnitId(2), Classification::kConfidential}, "fire");
    for (const Event& e : events_) {
      if (e.meta.seq <= past_seq_) past_.Apply(e);
      now_.Apply(e);
    }
  }

  void Do(Command c, const std::string& agency = "police") {
    ctx_.agency = agency;
    ctx_.now.ms += 1000;
    auto d = Execute(c, scratch_, ctx_, events_);
    ASSERT_TRUE(d.ok()) << d.status().ToString();
  }

  Picture Render(const auth::Principal& who, FixAt fix_at = {}) {
    PictureView v{&past_, past_seq_, ctx_.now, ctx_.now, Seq(events_.size())};
    return RenderPicture(who, v, now_, fix_at);
  }

  CommandContext ctx_{"op", "police", Time{1'700'000'000'000}};
  World scratch_, past_, now_;
  std::vector<Event> events_;
  Seq past_seq_;
};

TEST_F(PictureJsonTest, AnotherAgencysUnsharedIncidentsAreNotInThePastPicture) {
  Picture fire = Render(Dispatcher("fire", Classification::kSecret));
  EXPECT_EQ(Ids(fire.body["incidents"]), (std::vector<uint64_t>{2, 3}));
  EXPECT_EQ(Ids(fire.body["units"]), (std::vector<uint64_t>{2}));
  // Police: A is secret now (hidden from its past too), C was shared since (its past is shown,
  // as /events shows a shared incident's history), D was cancelled then, E did not exist yet.
  Picture police = Render(Dispatcher("police", Classification::kConfidential));
  EXPECT_EQ(Ids(police.body["incidents"]), (std::vector<uint64_t>{3}));
  EXPECT_EQ(Ids(police.body["units"]), (std::vector<uint64_t>{1}));
  EXPECT_EQ(police.body["seq"], past_seq_.value);
  EXPECT_EQ(police.body["head"], events_.size());
  EXPECT_TRUE(police.body["next_after"].is_null());
  // The incident as it was: not yet shared.
  EXPECT_EQ(police.body["incidents"][0]["shared_with"], json::array());
  EXPECT_FALSE(police.body["incidents"][0].contains("timeline"));
}

TEST_F(PictureJsonTest, ConfidentialRecordsShownAreListedForTheAudit) {
  Picture police = Render(Dispatcher("police", Classification::kSecret));
  EXPECT_EQ(Ids(police.body["incidents"]), (std::vector<uint64_t>{1, 3}));
  EXPECT_EQ(police.audited.via, "GET /api/v1/picture");
  EXPECT_EQ(police.audited.units, (std::vector<UnitId>{UnitId(1)}));
  // A was restricted then but is secret now: its read is audited.
  EXPECT_EQ(police.audited.incidents, (std::vector<IncidentId>{IncidentId(1)}));
  Picture restricted = Render(Dispatcher("police", Classification::kRestricted));
  EXPECT_TRUE(restricted.body["units"].empty()) << "a confidential unit shown to restricted";
  EXPECT_TRUE(restricted.audited.units.empty());
}

TEST_F(PictureJsonTest, WhatARecordNamesIsRedactedAgainstTheLiveLabels) {
  // E1 was restricted at the moment and is confidential now: a restricted fire dispatcher sees
  // incident B's assignment without the unit, and not E1 itself.
  Picture p = Render(Dispatcher("fire", Classification::kRestricted));
  const json& incidents = p.body["incidents"];
  ASSERT_EQ(Ids(incidents), (std::vector<uint64_t>{2, 3}));
  ASSERT_EQ(incidents[0]["assignments"].size(), 1u);
  EXPECT_TRUE(incidents[0]["assignments"][0]["unit"].is_null());
  EXPECT_TRUE(p.body["units"].empty());
  Picture cleared = Render(Dispatcher("fire", Classification::kConfidential));
  EXPECT_EQ(cleared.body["incidents"][0]["assignments"][0]["unit"], 2);
  EXPECT_EQ(cleared.audited.units, (std::vector<UnitId>{UnitId(2)}));
}

TEST_F(PictureJsonTest, PositionsAreTheTrackFixAtTheMomentWhenNewerThanTheWorlds) {
  Time at = ctx_.now;
  FixAt fix_at = [&](UnitId u) -> std::optional<track::TrackFix> {
    if (u == UnitId(2)) return track::TrackFix{Time{at.ms - 10}, {37.72, -122.42}, 8.5f, 90.0f};
    return std::nullopt;
  };
  Picture fire = Render(Dispatcher("fire", Classification::kSecret), fix_at);
  const json& e1 = fire.body["units"][0];
  EXPECT_DOUBLE_EQ(e1["position"]["lat"].get<double>(), 37.72);
  EXPECT_EQ(e1["position_time"], FormatTime(Time{at.ms - 10}));
  EXPECT_DOUBLE_EQ(e1["speed"].get<double>(), 8.5);
  EXPECT_DOUBLE_EQ(e1["heading"].get<double>(), 90.0);
  Picture police = Render(Dispatcher("police", Classification::kSecret), fix_at);
  EXPECT_DOUBLE_EQ(police.body["units"][0]["position"]["lat"].get<double>(), 37.70);
}

TEST_F(PictureJsonTest, IncidentsArePagedByIdAsOnTheLiveList) {
  auth::Principal fire_reader = Dispatcher("fire", Classification::kSecret);
  PictureView v{&past_, past_seq_, ctx_.now, ctx_.now, Seq(events_.size()), 0, 1};
  Picture first = RenderPicture(fire_reader, v, now_, {});
  EXPECT_EQ(Ids(first.body["incidents"]), (std::vector<uint64_t>{2}));
  EXPECT_EQ(first.body["next_after"], 2);
  v.after = 2;
  Picture second = RenderPicture(fire_reader, v, now_, {});
  EXPECT_EQ(Ids(second.body["incidents"]), (std::vector<uint64_t>{3}));
}

}  // namespace
}  // namespace ncc::picture
