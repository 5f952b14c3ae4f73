#include "auth/cli.h"

#include <gtest/gtest.h>

#include <CLI/CLI.hpp>
#include <sstream>

#include "auth/credential_store.h"
#include "auth/token_service.h"
#include "core/temp_dir_for_tests.h"

namespace ncc::auth {
namespace {

TEST(AuthCli, AddWithPipedPasswordThenList) {
  ncc::testing::TempDir dir;
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
  ncc::testing::TempDir dir;
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
  ncc::testing::TempDir dir;
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
  ncc::testing::TempDir dir;
  std::ostringstream out, err;
  EXPECT_EQ(RunUserAdd({dir.path(), "police", {"wizard"}, "secret", "x"}, nullptr, out, err), 1);
  EXPECT_NE(err.str().find("unknown role 'wizard'"), std::string::npos);
  EXPECT_EQ(RunUserAdd({dir.path(), "police", {"admin"}, "top", "x"}, nullptr, out, err), 1);
}

// F19: a weak password is refused with the reason and a non-zero exit; nothing is written.
TEST(AuthCli, WeakPasswordsAreRefused) {
  ncc::testing::TempDir dir;
  for (const char* weak : {"a\n", " \n", "            \n", "1q2w3e4r5t6y\n"}) {
    std::istringstream piped(weak);
    std::ostringstream out, err;
    EXPECT_EQ(RunUserAdd({dir.path(), "police", {"analyst"}, "public", "weak"}, &piped, out, err),
              1)
        << "accepted " << weak;
    EXPECT_EQ(err.str().rfind("error: password ", 0), 0u) << err.str();
  }
  std::ostringstream list, err;
  ASSERT_EQ(RunUserList(dir.path(), list, err), 0);
  EXPECT_EQ(list.str(), "") << "no account was made";

  std::ostringstream out;
  std::istringstream good("correct horse battery staple\n"), short_one("short\n");
  ASSERT_EQ(RunUserAdd({dir.path(), "police", {"analyst"}, "public", "ole"}, &good, out, err), 0)
      << err.str();
  std::ostringstream why;
  EXPECT_EQ(RunUserPasswd(dir.path(), "ole", &short_one, out, why), 1);
  EXPECT_NE(why.str().find("password must be at least 12 characters"), std::string::npos)
      << why.str();
  StatusOr<std::unique_ptr<AuthDb>> db = AuthDb::Open(dir.path());
  ASSERT_TRUE(db.ok());
  ManualClock clock;
  CredentialStore store(**db, clock);
  EXPECT_TRUE(store.VerifyPassword("ole", "correct horse battery staple").ok()) << "unchanged";
}

// F20: disable, then enable again.
TEST(AuthCli, EnableUndoesDisable) {
  ncc::testing::TempDir dir;
  std::ostringstream out, err;
  std::istringstream piped("correct horse battery staple\n");
  ASSERT_EQ(RunUserAdd({dir.path(), "police", {"analyst"}, "public", "ole"}, &piped, out, err), 0);
  ASSERT_EQ(RunUserDisable(dir.path(), "ole", out, err), 0) << err.str();
  {
    std::ostringstream list;
    ASSERT_EQ(RunUserList(dir.path(), list, err), 0);
    EXPECT_EQ(list.str(), "ole\tpolice\tpolice:analyst\tpublic\tdisabled\n");
  }
  ASSERT_EQ(RunUserEnable(dir.path(), "ole", out, err), 0) << err.str();
  std::ostringstream list;
  ASSERT_EQ(RunUserList(dir.path(), list, err), 0);
  EXPECT_EQ(list.str(), "ole\tpolice\tpolice:analyst\tpublic\n");
  StatusOr<std::unique_ptr<AuthDb>> db = AuthDb::Open(dir.path());
  ASSERT_TRUE(db.ok());
  ManualClock clock;
  CredentialStore store(**db, clock);
  EXPECT_TRUE(store.VerifyPassword("ole", "correct horse battery staple").ok());
  std::ostringstream missing;
  EXPECT_EQ(RunUserEnable(dir.path(), "nobody", out, missing), 1);
  EXPECT_NE(missing.str().find("no user 'nobody'"), std::string::npos) << missing.str();
}

// F20: list and revoke API keys through the commands.
TEST(AuthCli, ApiKeysAreListedAndRevoked) {
  ncc::testing::TempDir dir;
  CLI::App app("ncc");
  AddUserCommands(app);
  ::testing::internal::CaptureStdout();
  app.parse("apikey add --data " + dir.path() + " --agency police --lane positions gw1", false);
  const std::string added = ::testing::internal::GetCapturedStdout();
  const std::string key = added.substr(added.rfind(' ') + 1, added.size() - added.rfind(' ') - 2);
  ASSERT_EQ(key.rfind("ncc_ak_", 0), 0u) << added;

  std::ostringstream out, err;
  ASSERT_EQ(RunApiKeyList(dir.path(), out, err), 0) << err.str();
  EXPECT_EQ(out.str(), "gw1\tpolice\tpositions\trestricted\n");
  EXPECT_EQ(out.str().find("ncc_ak_"), std::string::npos) << "the key itself is never shown again";

  StatusOr<std::unique_ptr<AuthDb>> db = AuthDb::Open(dir.path());
  ASSERT_TRUE(db.ok());
  ManualClock clock;
  CredentialStore users(**db, clock, Argon2Params::ForTests());
  TokenService tokens(**db, users, clock);
  ASSERT_TRUE(tokens.AuthenticateApiKey(key).ok());

  std::ostringstream revoked;
  ASSERT_EQ(RunApiKeyRevoke(dir.path(), "gw1", revoked, err), 0) << err.str();
  EXPECT_EQ(tokens.AuthenticateApiKey(key).status().message(), "API key revoked")
      << "an open store sees the revocation at once";
  std::ostringstream list;
  ASSERT_EQ(RunApiKeyList(dir.path(), list, err), 0);
  EXPECT_EQ(list.str(), "gw1\tpolice\tpositions\trestricted\trevoked\n");
  std::ostringstream missing;
  EXPECT_EQ(RunApiKeyRevoke(dir.path(), "gw9", out, missing), 1);
  EXPECT_NE(missing.str().find("no API key 'gw9'"), std::string::npos) << missing.str();
  EXPECT_NO_THROW(app.parse("apikey list --data " + dir.path(), false));
  EXPECT_NO_THROW(app.parse("apikey revoke --data " + dir.path() + " gw1", false));
  EXPECT_THROW(app.parse("user enable --data " + dir.path() + " nobody", false), CLI::RuntimeError);
}

TEST(AuthCli, CommandsParse) {
  CLI::App app("ncc");
  AddUserCommands(app);
  ncc::testing::TempDir dir;
  // Parsing runs the callback; `user list` on an empty dir prints nothing and succeeds.
  EXPECT_NO_THROW(app.parse("user list --data " + dir.path(), false));
  EXPECT_THROW(app.parse("user add --role admin NAME", false), CLI::ParseError);
}

}  // namespace
}  // namespace ncc::auth
