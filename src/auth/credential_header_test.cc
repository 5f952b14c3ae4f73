#include "auth/credential_header.h"

#include <gtest/gtest.h>

namespace ncc::auth {
namespace {

TEST(AuthCredentialHeader, BearerAndApiKey) {
  StatusOr<Credential> c = ParseAuthorization("Bearer ncc_at_abc-DEF_123");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->kind, CredentialKind::kBearer);
  EXPECT_EQ(c->token, "ncc_at_abc-DEF_123");
  c = ParseAuthorization("  bearer \t tok== ");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->token, "tok==");
  c = ParseAuthorization("APIKEY ncc_ak_x");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->kind, CredentialKind::kApiKey);
  c = ParseApiKeyHeader(" ncc_ak_x ");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->token, "ncc_ak_x");
}

TEST(AuthCredentialHeader, Refusals) {
  auto why = [](std::string_view v) { return ParseAuthorization(v).status().message(); };
  EXPECT_EQ(why(""), "missing credentials");
  EXPECT_EQ(why("Bearer"), "missing credentials");
  EXPECT_EQ(why("Bearer   "), "missing credentials");
  EXPECT_EQ(why("Basic dXNlcjpwdw=="), "unsupported authorization scheme");
  EXPECT_EQ(why("Bearerx tok"), "unsupported authorization scheme");
  EXPECT_EQ(why("Bearer a b"), "malformed credentials");
  EXPECT_EQ(why("Bearer a=b"), "malformed credentials");
  EXPECT_EQ(why("Bearer ="), "malformed credentials");
  EXPECT_EQ(why(std::string("Bearer a\0b", 10)), "malformed credentials");
  EXPECT_EQ(why("Bearer a\r\nX-Evil: 1"), "malformed credentials");
  EXPECT_EQ(why("Bearer " + std::string(257, 'a')), "malformed credentials");
  EXPECT_TRUE(ParseAuthorization("Bearer " + std::string(256, 'a')).ok());
  EXPECT_EQ(ParseApiKeyHeader("").status().message(), "missing credentials");
  EXPECT_EQ(ParseAuthorization("x").status().code(), StatusCode::kUnauthenticated);
}

}  // namespace
}  // namespace ncc::auth
