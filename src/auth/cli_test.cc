#include "auth/cli.h"

#include <gtest/gtest.h>

#include <CLI/CLI.hpp>
#include <sstream>

#include "auth/credential_store.h"
#include "auth/temp_dir_for_tests.h"

namespace ncc::auth {
namespace {

TEST(AuthCli, AddWithPipedPasswordThenList) {
  testing::TempDir dir;
  std::istringstream piped("piped-password\n");
  std::ostringstream out, err;
  UserAddOptions o{
      dir.path(), "police", {"dispatcher", "ambulance:agency_liaison"}, "secret", "anna"};
  ASSERT_EQ(RunUserAdd(o, &piped, out, err), 0) << err.str();
  EXPECT_EQ(out.str().find("piped-password"), std::string::npos) << "never echo a given password";
  EXPECT_EQ(out.str().find("password"), std::string::npos);

  std::ostringstream list;
  ASSERT_EQ(RunUserList(dir.path(), list, err), 0);
  EXPECT_EQ(list.str(), "anna\tpolice\tpolice:dispatcher,ambulance:agency_liaison\tsecret\n");
  EXPECT_EQ(RunUserAdd(o, nullptr, out, err), 1) << "duplicate";
}

TEST(AuthCli, GeneratedPasswordIsPrintedOnceAndWorks) {
  testing::TempDir dir;
  std::ostringstream out, err;
  UserAddOptions o{dir.path(), "fire", {"admin"}, "restricted", "root.admin"};
  ASSERT_EQ(RunUserAdd(o, nullptr, out, err), 0) << err.str();
  const std::string marker = "password (shown once): ";
  size_t at = out.str().find(marker);
  ASSERT_NE(at, std::string::npos) << out.str();
  std::string password = out.str().substr(at + marker.size(), 20);

  StatusOr<std::unique_ptr<AuthDb>> db = AuthDb::Open(dir.path());
  ASSERT_TRUE(db.ok());
  ManualClock clock;
  CredentialStore store(**db, clock);
  EXPECT_TRUE(store.VerifyPassword("root.admin", password).ok());
}

TEST(AuthCli, PasswdReplacesThePassword) {
  testing::TempDir dir;
  std::ostringstream out, err;
  std::istringstream first("first-password\n"), second("second-password\r\n");
  ASSERT_EQ(RunUserAdd({dir.path(), "police", {"analyst"}, "public", "ole"}, &first, out, err), 0);
  ASSERT_EQ(RunUserPasswd(dir.path(), "ole", &second, out, err), 0) << err.str();
  EXPECT_EQ(RunUserPasswd(dir.path(), "nobody", nullptr, out, err), 1);
  StatusOr<std::unique_ptr<AuthDb>> db = AuthDb::Open(dir.path());
  ASSERT_TRUE(db.ok());
  ManualClock clock;
  CredentialStore store(**db, clock);
  EXPECT_TRUE(store.VerifyPassword("ole", "second-password").ok());
  EXPECT_FALSE(store.VerifyPassword("ole", "first-password").ok());
}

TEST(AuthCli, BadInputIsAnErrorNotACrash) {
  testing::TempDir dir;
  std::ostringstream out, err;
  EXPECT_EQ(RunUserAdd({dir.path(), "police", {"wizard"}, "secret", "x"}, nullptr, out, err), 1);
  EXPECT_NE(err.str().find("unknown role 'wizard'"), std::string::npos);
  EXPECT_EQ(RunUserAdd({dir.path(), "police", {"admin"}, "top", "x"}, nullptr, out, err), 1);
}

TEST(AuthCli, CommandsParse) {
  CLI::App app("ncc");
  AddUserCommands(app);
  testing::TempDir dir;
  // Parsing runs the callback; `user list` on an empty dir prints nothing and succeeds.
  EXPECT_NO_THROW(app.parse("user list --data " + dir.path(), false));
  EXPECT_THROW(app.parse("user add --role admin NAME", false), CLI::ParseError);
}

}  // namespace
}  // namespace ncc::auth
