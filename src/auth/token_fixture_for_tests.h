// Test helper: a fresh auth.db with one account, "anna" (police dispatcher, restricted), and the
// stores and token service over it, for the tests of sign-in and of the principal cache.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "auth/auth.h"
#include "core/temp_dir_for_tests.h"

namespace ncc::auth::testing {

class AnnaTokensTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StatusOr<std::unique_ptr<AuthDb>> db = AuthDb::Open(dir_.path());
    ASSERT_TRUE(db.ok()) << db.status().message();
    db_ = std::move(*db);
    users_ = std::make_unique<CredentialStore>(*db_, clock_, Argon2Params::ForTests());
    tokens_ = std::make_unique<TokenService>(*db_, *users_, clock_);
    ASSERT_TRUE(
        users_
            ->AddUser(
                {"anna", "police", {{"police", Role::kDispatcher}}, Classification::kRestricted},
                kPassword)
            .ok());
  }
  Session LoginAnna() {
    StatusOr<Session> s = tokens_->Login("anna", kPassword);
    EXPECT_TRUE(s.ok()) << s.status().message();
    return s.ok() ? *s : Session{};
  }

  static constexpr const char* kPassword = "Plain-Text-Password-42";
  ncc::testing::TempDir dir_;
  ManualClock clock_;
  std::unique_ptr<AuthDb> db_;
  std::unique_ptr<CredentialStore> users_;
  std::unique_ptr<TokenService> tokens_;
};

}  // namespace ncc::auth::testing
