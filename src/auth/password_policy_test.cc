#include "auth/password_policy.h"

#include <gtest/gtest.h>

namespace ncc::auth {
namespace {

std::string Why(std::string_view password, const PasswordPolicy& policy = {}) {
  Status s = CheckPasswordPolicy(password, "anna", policy);
  return s.ok() ? "ok" : s.message();
}

TEST(AuthPasswordPolicy, TheDictionaryIsInstalled) {
  // scripts/setup installs cracklib-runtime; without it the common-password rule is not tested.
  EXPECT_TRUE(DictionaryAvailable({})) << kCracklibDictionary << ".pwd missing";
}

TEST(AuthPasswordPolicy, TooShortOrOnlyWhitespaceIsRefused) {
  EXPECT_EQ(Why("a"), "password must be at least 12 characters");
  EXPECT_EQ(Why(" "), "password must be at least 12 characters");
  EXPECT_EQ(Why("elevenchars"), "password must be at least 12 characters");
  EXPECT_EQ(Why(std::string(12, ' ')), "password must not be only whitespace");
  EXPECT_EQ(Why(" \t \t \t \t \t \t"), "password must not be only whitespace");
  // Characters, not bytes: 11 two-byte letters are still too short.
  std::string eleven_umlauts;
  for (int i = 0; i < 11; ++i) eleven_umlauts += "\xc3\xa4";
  EXPECT_EQ(Why(eleven_umlauts), "password must be at least 12 characters");
  EXPECT_EQ(CheckPasswordPolicy("a", "anna").field(), "password");
  EXPECT_EQ(CheckPasswordPolicy("a", "anna").code(), StatusCode::kInvalidArgument);
}

TEST(AuthPasswordPolicy, CommonPasswordsAreRefused) {
  for (const char* common : {"1q2w3e4r5t6y", "123456789012", "abcdefghijkl", "baseball1234"}) {
    std::string why = Why(common);
    EXPECT_EQ(why.rfind("password is too common or too simple: ", 0), 0u) << common << ": " << why;
  }
}

TEST(AuthPasswordPolicy, GoodPassphrasesPass) {
  // The integration tests' password must stay valid.
  EXPECT_EQ(Why("correct horse battery staple"), "ok");
  EXPECT_EQ(Why("xK9#mq2Lp7vRw4"), "ok");
  EXPECT_EQ(Why("Plain-Text-Password-42"), "ok");
}

TEST(AuthPasswordPolicy, WithoutTheDictionaryLengthRulesStillApply) {
  PasswordPolicy missing;
  missing.dictionary = "/nonexistent/cracklib_dict";
  EXPECT_FALSE(DictionaryAvailable(missing));
  EXPECT_EQ(Why("1q2w3e4r5t6y", missing), "ok") << "no dictionary: not checked (and logged)";
  EXPECT_EQ(Why("a", missing), "password must be at least 12 characters");
  EXPECT_EQ(Why(std::string(12, ' '), missing), "password must not be only whitespace");
}

}  // namespace
}  // namespace ncc::auth
