#include "auth/permissions.h"

#include <gtest/gtest.h>

#include "auth/doc_table_for_tests.h"

namespace ncc::auth {
namespace {

using testing::DocTable;
using testing::ReadDocTable;

TEST(AuthPermissionsDoc, TableInDocsMatchesCode) {
  DocTable doc = ReadDocTable(testing::DocPath());
  ASSERT_EQ(doc.error, "");
  // Same roles, in any order.
  ASSERT_EQ(doc.role_columns.size(), static_cast<size_t>(kRoleCount));
  for (const std::string& r : doc.role_columns) EXPECT_TRUE(ParseRole(r)) << r;
  // Same actions, and for each the same grants, share flag and lane.
  EXPECT_EQ(doc.rows.size(), Rules().size());
  for (const ActionRule& rule : Rules()) {
    auto it = doc.rows.find(std::string(rule.name));
    ASSERT_NE(it, doc.rows.end()) << rule.name << " is missing from docs/security.md";
    for (int i = 0; i < kRoleCount; ++i) {
      Role role = static_cast<Role>(i);
      EXPECT_EQ(it->second.roles.count(std::string(Name(role))) == 1, Grants(role, rule.action))
          << rule.name << " / " << Name(role);
    }
    EXPECT_EQ(it->second.via_share, rule.via_share) << rule.name;
    EXPECT_EQ(it->second.lane, std::string(Name(rule.lane))) << rule.name;
  }
}

TEST(AuthPermissions, NamesRoundTrip) {
  for (int i = 0; i < kRoleCount; ++i)
    EXPECT_EQ(ParseRole(Name(static_cast<Role>(i))), static_cast<Role>(i));
  for (int i = 0; i < kActionCount; ++i)
    EXPECT_EQ(ParseAction(Name(static_cast<Action>(i))), static_cast<Action>(i));
  for (Lane l : {Lane::kPositions, Lane::kAlarms, Lane::kCot}) EXPECT_EQ(ParseLane(Name(l)), l);
  EXPECT_FALSE(ParseRole("root"));
  EXPECT_FALSE(ParseAction("incident.delete"));
  EXPECT_FALSE(ParseLane(""));
}

TEST(AuthPermissions, AdminSeesNoOperationalData) {
  EXPECT_FALSE(Grants(Role::kAdmin, Action::kIncidentRead));
  EXPECT_FALSE(Grants(Role::kAdmin, Action::kEventRead));
  EXPECT_TRUE(Grants(Role::kAdmin, Action::kUserManage));
}

}  // namespace
}  // namespace ncc::auth
