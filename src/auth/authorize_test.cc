#include "auth/authorize.h"

#include <gtest/gtest.h>

#include "auth/doc_table_for_tests.h"

namespace ncc::auth {
namespace {

enum class Relation { kOwn, kShared, kNotShared };
const char* NameOf(Relation r) {
  return r == Relation::kOwn ? "own" : r == Relation::kShared ? "shared" : "not-shared";
}

// Every role x relation x clearance x classification x action, expected values computed from the
// table in docs/security.md with the rule as written there, not from permissions.cc.
TEST(AuthorizeMatrix, EveryRoleRelationClassificationAndAction) {
  testing::DocTable doc = testing::ReadDocTable(testing::DocPath());
  ASSERT_EQ(doc.error, "");
  int cases = 0, allowed = 0;
  for (const std::string& role_name : doc.role_columns) {
    std::optional<Role> role = ParseRole(role_name);
    ASSERT_TRUE(role) << role_name;
    for (Relation rel : {Relation::kOwn, Relation::kShared, Relation::kNotShared}) {
      RecordLabel label;
      label.agency = rel == Relation::kOwn ? "police" : "fire";
      if (rel == Relation::kShared) label.shared_with = {"ambulance", "police"};
      if (rel == Relation::kNotShared) label.shared_with = {"ambulance"};
      for (int c = 0; c < kClassificationCount; ++c) {
        for (int k = 0; k < kClassificationCount; ++k) {
          Principal who{Principal::Kind::kUser,         "ana", "police", {{"police", *role}},
                        static_cast<Classification>(c), {}};
          label.classification = static_cast<Classification>(k);
          for (const auto& [action_name, row] : doc.rows) {
            std::optional<Action> action = ParseAction(action_name);
            ASSERT_TRUE(action) << action_name;
            const bool role_grants = row.roles.count(role_name) == 1;
            const bool related =
                rel == Relation::kOwn || (rel == Relation::kShared && row.via_share);
            const bool expect = role_grants && related && c >= k;
            Status s = Authorize(who, *action, &label);
            ASSERT_EQ(s.ok(), expect)
                << role_name << " " << NameOf(rel) << " clearance " << c << " class " << k << " "
                << action_name << ": " << s.message();
            ASSERT_EQ(CanSee(who, label, *action), expect);
            if (!expect) {
              EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
              // The message names the action and what is missing, never the record's owner
              // or partners.
              EXPECT_NE(s.message().find(action_name), std::string::npos);
              EXPECT_EQ(s.message().find("fire"), std::string::npos) << s.message();
              EXPECT_EQ(s.message().find("ambulance"), std::string::npos) << s.message();
            }
            ++cases;
            allowed += expect;
          }
        }
      }
    }
  }
  EXPECT_EQ(cases, kRoleCount * 3 * 16 * kActionCount);
  EXPECT_GT(allowed, 0);
}

Principal Liaison() {
  // An ambulance dispatcher posted in the police room.
  return {Principal::Kind::kUser,
          "lia",
          "ambulance",
          {{"ambulance", Role::kDispatcher}, {"police", Role::kAgencyLiaison}},
          Classification::kConfidential,
          {}};
}

TEST(Authorize, LiaisonUsesTheRoleHeldInTheOtherAgency) {
  RecordLabel police{"police", Classification::kRestricted, {}};
  EXPECT_TRUE(Authorize(Liaison(), Action::kIncidentRead, &police).ok());
  EXPECT_TRUE(Authorize(Liaison(), Action::kIncidentNote, &police).ok());
  Status s = Authorize(Liaison(), Action::kIncidentAssign, &police);
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(s.message().find("none of your roles"), std::string::npos) << s.message();
}

TEST(Authorize, ShareAllowsReadNotesAndOwnUnitsButNotStatus) {
  RecordLabel fire{"fire", Classification::kRestricted, {"ambulance"}};
  EXPECT_TRUE(Authorize(Liaison(), Action::kIncidentRead, &fire).ok());
  EXPECT_TRUE(Authorize(Liaison(), Action::kIncidentAssign, &fire).ok());
  Status s = Authorize(Liaison(), Action::kIncidentUpdateStatus, &fire);
  EXPECT_NE(s.message().find("reserved to the owning agency"), std::string::npos) << s.message();
}

TEST(Authorize, MessagesSayWhatIsMissing) {
  RecordLabel coast{"coast_guard", Classification::kRestricted, {}};
  EXPECT_NE(Authorize(Liaison(), Action::kIncidentRead, &coast).message().find("not shared"),
            std::string::npos);
  RecordLabel secret{"ambulance", Classification::kSecret, {}};
  Status s = Authorize(Liaison(), Action::kIncidentRead, &secret);
  EXPECT_NE(s.message().find("clearance (confidential)"), std::string::npos) << s.message();
  EXPECT_EQ(s.message().find("secret"), std::string::npos) << "must not reveal the level";
}

TEST(Authorize, NoRecordMeansTheHomeAgencyRoles) {
  // Home ambulance: dispatcher there may create; the police liaison role does not count.
  EXPECT_TRUE(Authorize(Liaison(), Action::kIncidentCreate, nullptr).ok());
  Principal only_abroad{Principal::Kind::kUser,  "x", "ambulance", {{"police", Role::kDispatcher}},
                        Classification::kSecret, {}};
  EXPECT_FALSE(Authorize(only_abroad, Action::kIncidentCreate, nullptr).ok());
  RecordLabel police{"police", Classification::kPublic, {}};
  EXPECT_TRUE(Authorize(only_abroad, Action::kIncidentCreate, &police).ok());
}

TEST(Authorize, GatewayActsOnlyThroughItsLanesInItsAgency) {
  Principal gw{Principal::Kind::kGateway,   "avl-1",           "ambulance", {},
               Classification::kRestricted, {Lane::kPositions}};
  RecordLabel own{"ambulance", Classification::kRestricted, {}};
  RecordLabel other{"police", Classification::kRestricted, {"ambulance"}};
  RecordLabel secret{"ambulance", Classification::kSecret, {}};
  EXPECT_TRUE(Authorize(gw, Action::kPositionReport, nullptr).ok());
  EXPECT_TRUE(Authorize(gw, Action::kPositionReport, &own).ok());
  EXPECT_FALSE(Authorize(gw, Action::kPositionReport, &other).ok());
  EXPECT_FALSE(Authorize(gw, Action::kPositionReport, &secret).ok());
  EXPECT_FALSE(Authorize(gw, Action::kAlarmReport, &own).ok());
  EXPECT_FALSE(Authorize(gw, Action::kIncidentRead, &own).ok());
  EXPECT_FALSE(CanSee(gw, own));
  // A person never uses a lane, even with field_unit.
  Principal person{Principal::Kind::kUser,
                   "p",
                   "ambulance",
                   {{"ambulance", Role::kAdmin}},
                   Classification::kSecret,
                   {Lane::kAlarms}};
  EXPECT_FALSE(Authorize(person, Action::kAlarmReport, &own).ok());
}

TEST(AuthRoles, ParseAndFormat) {
  StatusOr<std::vector<RoleGrant>> r =
      ParseRoles("dispatcher,police:agency_liaison,dispatcher", "ambulance");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(FormatRoles(*r), "ambulance:dispatcher,police:agency_liaison");
  EXPECT_FALSE(ParseRoles("god", "police").ok());
  EXPECT_FALSE(ParseRoles(":admin", "police").ok());
}

}  // namespace
}  // namespace ncc::auth
