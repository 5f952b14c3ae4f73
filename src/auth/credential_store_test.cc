#include "auth/credential_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <vector>

#include "auth/auth.h"
#include "core/temp_dir_for_tests.h"

namespace ncc::auth {
namespace {

class AuthCredentialStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StatusOr<std::unique_ptr<AuthDb>> db = AuthDb::Open(dir_.path());
    ASSERT_TRUE(db.ok()) << db.status().message();
    db_ = std::move(*db);
    store_ = std::make_unique<CredentialStore>(*db_, clock_, Argon2Params::ForTests(),
                                               LockoutPolicy{3, 30'000, 240'000});
    ASSERT_TRUE(store_->AddUser(Anna(), "s3cret-pass").ok());
  }
  // Seconds left on anna's lock (0: not locked), as an administrator sees it.
  int64_t LockedForSeconds() {
    StatusOr<std::vector<UserInfo>> users = store_->ListUsers();
    if (!users.ok()) return -1;
    for (const UserInfo& u : *users)
      if (u.username == "anna")
        return std::max<int64_t>(0, (u.locked_until.ms - clock_.Now().ms) / 1000);
    return -1;
  }
  static NewUser Anna() {
    return {"anna", "police", {{"police", Role::kDispatcher}}, Classification::kConfidential};
  }

  ncc::testing::TempDir dir_;
  ManualClock clock_;
  std::unique_ptr<AuthDb> db_;
  std::unique_ptr<CredentialStore> store_;
};

TEST_F(AuthCredentialStoreTest, RightPasswordGivesThePrincipal) {
  StatusOr<Principal> p = store_->VerifyPassword("anna", "s3cret-pass");
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(p->user, "anna");
  EXPECT_EQ(p->agency, "police");
  EXPECT_EQ(p->clearance, Classification::kConfidential);
  ASSERT_EQ(p->roles.size(), 1u);
  EXPECT_TRUE(p->Holds("police", Role::kDispatcher));
}

TEST_F(AuthCredentialStoreTest, WrongPasswordAndUnknownUserLookTheSame) {
  Status wrong = store_->VerifyPassword("anna", "nope").status();
  Status unknown = store_->VerifyPassword("bert", "nope").status();
  EXPECT_EQ(wrong.code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(wrong.ToString(), unknown.ToString());
}

TEST_F(AuthCredentialStoreTest, AddUserValidates) {
  EXPECT_EQ(store_->AddUser(Anna(), "x").code(), StatusCode::kAlreadyExists);
  NewUser bad = Anna();
  bad.username = "bad name";
  EXPECT_EQ(store_->AddUser(bad, "x").code(), StatusCode::kInvalidArgument);
  NewUser no_roles = Anna();
  no_roles.username = "carl";
  no_roles.roles.clear();
  EXPECT_EQ(store_->AddUser(no_roles, "x").code(), StatusCode::kInvalidArgument);
  NewUser no_pw = Anna();
  no_pw.username = "dora";
  EXPECT_EQ(store_->AddUser(no_pw, "").code(), StatusCode::kInvalidArgument);
}

TEST_F(AuthCredentialStoreTest, LocksAfterNFailuresWithExponentialBackOff) {
  const Status bad_credentials = store_->VerifyPassword("nobody", "bad").status();
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(store_->VerifyPassword("anna", "bad").status().code(), StatusCode::kUnauthenticated);
  // Locked for 30 s: even the right password is refused, with the answer of a wrong one.
  EXPECT_EQ(LockedForSeconds(), 30);
  EXPECT_EQ(store_->VerifyPassword("anna", "s3cret-pass").status().ToString(),
            bad_credentials.ToString());
  clock_.AdvanceSeconds(29);
  EXPECT_EQ(store_->VerifyPassword("anna", "s3cret-pass").status().ToString(),
            bad_credentials.ToString());
  EXPECT_EQ(LockedForSeconds(), 1) << "tries during a lock do not extend it";
  clock_.AdvanceSeconds(1);
  // Lock over; one more failure doubles the lock to 60 s, then 120, 240, capped at 240.
  for (int expected : {60, 120, 240, 240}) {
    EXPECT_EQ(store_->VerifyPassword("anna", "bad").status().code(), StatusCode::kUnauthenticated);
    EXPECT_EQ(LockedForSeconds(), expected);
    EXPECT_FALSE(store_->VerifyPassword("anna", "s3cret-pass").ok());
    clock_.AdvanceSeconds(expected);
  }
  // The right password after the lock succeeds and resets the count.
  ASSERT_TRUE(store_->VerifyPassword("anna", "s3cret-pass").ok());
  EXPECT_EQ(LockedForSeconds(), 0);
  EXPECT_EQ(store_->VerifyPassword("anna", "bad").status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(store_->VerifyPassword("anna", "bad").status().code(), StatusCode::kUnauthenticated);
  EXPECT_TRUE(store_->VerifyPassword("anna", "s3cret-pass").ok()) << "2 < 3 failures: no lock";
}

// F12: a locked account, a wrong password and an unknown user give the same answer.
TEST_F(AuthCredentialStoreTest, LockedWrongAndUnknownGiveTheSameAnswer) {
  for (int i = 0; i < 3; ++i) (void)store_->VerifyPassword("anna", "bad");
  ASSERT_GT(LockedForSeconds(), 0);
  ASSERT_TRUE(
      store_
          ->AddUser({"bert", "police", {{"police", Role::kAnalyst}}, Classification::kRestricted},
                    "bert-password")
          .ok());
  const std::string wrong = store_->VerifyPassword("bert", "bad").status().ToString();
  const std::string unknown = store_->VerifyPassword("carl", "bad").status().ToString();
  const std::string locked_wrong = store_->VerifyPassword("anna", "bad").status().ToString();
  const std::string locked_right =
      store_->VerifyPassword("anna", "s3cret-pass").status().ToString();
  EXPECT_EQ(wrong, unknown);
  EXPECT_EQ(locked_wrong, wrong);
  EXPECT_EQ(locked_right, wrong);
  EXPECT_EQ(store_->VerifyPassword("carl", "bad").status().code(), StatusCode::kUnauthenticated);
}

// F12: and about the same cost. Real Argon2 parameters; medians of a few tries measured in the
// same run, compared as a ratio (no absolute time).
TEST(AuthCredentialStoreWork, LockedAndUnknownCostTheSameArgon2WorkAsAWrongPassword) {
  ncc::testing::TempDir dir;
  StatusOr<std::unique_ptr<AuthDb>> db = AuthDb::Open(dir.path());
  ASSERT_TRUE(db.ok());
  ManualClock clock;
  // Two views of one auth.db: one that never locks, one that locks at the first failure.
  CredentialStore patient(**db, clock, Argon2Params{}, LockoutPolicy{1'000'000, 30'000, 60'000});
  CredentialStore strict(**db, clock, Argon2Params{}, LockoutPolicy{1, 3'600'000, 3'600'000});
  NewUser user{"known", "police", {{"police", Role::kAnalyst}}, Classification::kRestricted};
  ASSERT_TRUE(patient.AddUser(user, "the-right-password").ok());
  user.username = "locked";
  ASSERT_TRUE(patient.AddUser(user, "the-right-password").ok());
  ASSERT_FALSE(strict.VerifyPassword("locked", "bad").ok());  // now locked for an hour

  // The same work, counted rather than timed: each attempt runs exactly one Argon2 check, and
  // the dummy hash used for the unknown and the locked account has the real hashes' parameters.
  for (auto attempt : {std::pair<CredentialStore*, const char*>{&patient, "known"},
                       {&patient, "nobody"},
                       {&strict, "locked"}}) {
    uint64_t before = attempt.first->password_checks();
    EXPECT_FALSE(attempt.first->VerifyPassword(attempt.second, "the-right-password-not").ok());
    EXPECT_EQ(attempt.first->password_checks(), before + 1) << attempt.second;
  }
  uint64_t before = strict.password_checks();
  EXPECT_FALSE(strict.VerifyPassword("locked", "the-right-password").ok());  // right, but locked
  EXPECT_EQ(strict.password_checks(), before + 1);
  Stmt st((*db)->handle(), "SELECT password_hash FROM users WHERE username='known'");
  ASSERT_TRUE(st.Step());
  const std::string real = st.Text(0);
  EXPECT_NE(patient.DummyHashParameters(), "");
  EXPECT_NE(real.find("$" + patient.DummyHashParameters() + "$"), std::string::npos)
      << real << " vs " << patient.DummyHashParameters();
}

TEST_F(AuthCredentialStoreTest, SetPasswordReplacesAndUnlocks) {
  for (int i = 0; i < 3; ++i) (void)store_->VerifyPassword("anna", "bad");
  ASSERT_TRUE(store_->SetPassword("anna", "new-pass").ok());
  EXPECT_TRUE(store_->VerifyPassword("anna", "new-pass").ok());
  EXPECT_FALSE(store_->VerifyPassword("anna", "s3cret-pass").ok());
  EXPECT_EQ(store_->SetPassword("nobody", "x").code(), StatusCode::kNotFound);
}

TEST_F(AuthCredentialStoreTest, DisabledAccountIsRefused) {
  ASSERT_TRUE(store_->Disable("anna").ok());
  EXPECT_EQ(store_->VerifyPassword("anna", "s3cret-pass").status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(store_->VerifyPassword("anna", "bad").status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(store_->LoadPrincipal("anna").status().code(), StatusCode::kUnauthenticated);
  ASSERT_TRUE(store_->Enable("anna").ok());
  EXPECT_TRUE(store_->VerifyPassword("anna", "s3cret-pass").ok());
}

TEST_F(AuthCredentialStoreTest, ListShowsNoHash) {
  StatusOr<std::vector<UserInfo>> users = store_->ListUsers();
  ASSERT_TRUE(users.ok());
  ASSERT_EQ(users->size(), 1u);
  EXPECT_EQ((*users)[0].username, "anna");
  EXPECT_EQ(FormatRoles((*users)[0].roles), "police:dispatcher");
}

TEST_F(AuthCredentialStoreTest, SurvivesReopen) {
  store_.reset();
  db_.reset();
  StatusOr<std::unique_ptr<AuthDb>> db = AuthDb::Open(dir_.path());
  ASSERT_TRUE(db.ok());
  CredentialStore again(**db, clock_, Argon2Params::ForTests());
  EXPECT_TRUE(again.VerifyPassword("anna", "s3cret-pass").ok());
}

TEST_F(AuthCredentialStoreTest, RaisedParametersUpgradeTheHashAtSignIn) {
  auto stored = [&] {
    auto lock = db_->Lock();
    Stmt st(db_->handle(), "SELECT password_hash FROM users WHERE username='anna'");
    return st.Step() ? st.Text(0) : std::string();
  };
  EXPECT_EQ(stored().rfind("$argon2id$v=19$m=64,t=1,p=1$", 0), 0u);
  CredentialStore stronger(*db_, clock_, Argon2Params{2, 128, 1});
  EXPECT_TRUE(NeedsRehash(stored(), Argon2Params{2, 128, 1}));
  ASSERT_TRUE(stronger.VerifyPassword("anna", "s3cret-pass").ok());
  EXPECT_EQ(stored().rfind("$argon2id$v=19$m=128,t=2,p=1$", 0), 0u) << stored();
  EXPECT_TRUE(stronger.VerifyPassword("anna", "s3cret-pass").ok());
  EXPECT_FALSE(stronger.VerifyPassword("anna", "wrong").ok());
}

// Issue 17, damage case "auth.db delete": a server on a folder in use must not recreate the
// accounts file empty without a word; a new folder (and `ncc user add`) still creates it.
TEST(AuthDbOpen, AMissingAuthDbIsRefusedWhereItMustExistAndCreatedElsewhere) {
  ncc::testing::TempDir dir;
  auto refused = AuthDb::Open(dir.path(), IfMissing::kRefuse);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(refused.status().message().find(dir.File("auth.db")), std::string::npos)
      << refused.status().message();
  EXPECT_FALSE(std::filesystem::exists(dir.File("auth.db")));  // nothing created by refusing

  ManualClock clock;
  AuthOptions options;
  options.argon2 = Argon2Params::ForTests();
  options.must_exist = true;
  EXPECT_EQ(Auth::Open(dir.path(), clock, options).status().code(), StatusCode::kDataLoss);

  {
    auto created = AuthDb::Open(dir.path());  // kCreate: a first start, `ncc user add`
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    CredentialStore users(**created, clock, Argon2Params::ForTests(), LockoutPolicy{});
    ASSERT_TRUE(
        users
            .AddUser(
                {"anna", "police", {{"police", Role::kDispatcher}}, Classification::kConfidential},
                "s3cret-pass")
            .ok());
  }
  auto reopened = Auth::Open(dir.path(), clock, options);  // there now: must_exist is satisfied
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  auto listed = (*reopened)->users().ListUsers();
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 1u);
}

}  // namespace
}  // namespace ncc::auth
