// The principal cache: its own rules (generations, expiry, bounds), and that every way a sign-in
// can end still ends it at once although the principal is cached — through this process
// (TokenService, CredentialStore) and through another connection writing auth.db (the CLI).
#include "auth/principal_cache.h"

#include <gtest/gtest.h>

#include <sstream>

#include "auth/auth.h"
#include "auth/cli.h"
#include "auth/token_fixture_for_tests.h"
#include "core/temp_dir_for_tests.h"

namespace ncc::auth {
namespace {

using Kind = PrincipalCache::Kind;

Principal Named(const std::string& user) {
  Principal p;
  p.user = user;
  p.agency = "police";
  p.roles = {{"police", Role::kDispatcher}};
  return p;
}

TEST(AuthPrincipalCache, FindsWhatWasStoredUnderItsKindOnly) {
  PrincipalCache cache;
  const Digest d = Sha256("ncc_at_one");
  cache.Insert(Kind::kAccessToken, d, Named("anna"), 2'000, 1);
  std::optional<Principal> hit = cache.Find(Kind::kAccessToken, d, 1'000, 1);
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(hit->user, "anna");
  EXPECT_FALSE(cache.Find(Kind::kApiKey, d, 1'000, 1).has_value());
  EXPECT_FALSE(cache.Find(Kind::kGatewayName, d, 1'000, 1).has_value());
  EXPECT_FALSE(cache.Find(Kind::kAccessToken, Sha256("ncc_at_two"), 1'000, 1).has_value());
}

TEST(AuthPrincipalCache, AnEntryEndsAtItsExpiry) {
  PrincipalCache cache;
  const Digest d = Sha256("ncc_at_one");
  cache.Insert(Kind::kAccessToken, d, Named("anna"), 2'000, 1);
  EXPECT_TRUE(cache.Find(Kind::kAccessToken, d, 1'999, 1).has_value());
  EXPECT_FALSE(cache.Find(Kind::kAccessToken, d, 2'000, 1).has_value());
  EXPECT_FALSE(cache.Find(Kind::kAccessToken, d, 1'000, 1).has_value()) << "dropped, not kept";
  EXPECT_EQ(cache.size(), 0u);
}

TEST(AuthPrincipalCache, ANewGenerationDropsEverything) {
  PrincipalCache cache;
  std::vector<Digest> keys;
  for (int i = 0; i < 200; ++i) {
    keys.push_back(Sha256("ncc_at_" + std::to_string(i)));
    cache.Insert(Kind::kAccessToken, keys.back(), Named("anna"), PrincipalCache::kNeverExpires, 1);
  }
  for (const Digest& d : keys) EXPECT_TRUE(cache.Find(Kind::kAccessToken, d, 0, 1).has_value());
  for (const Digest& d : keys) EXPECT_FALSE(cache.Find(Kind::kAccessToken, d, 0, 2).has_value());
  EXPECT_EQ(cache.size(), 0u);
}

// A lookup that read auth.db under generation 1 must not store what it read once generation 2
// began (a revocation may have come in between); one that asks with an old generation finds
// nothing either.
TEST(AuthPrincipalCache, WhatWasReadBeforeAChangeIsNotStored) {
  PrincipalCache cache;
  const Digest d = Sha256("ncc_at_one"), other = Sha256("ncc_at_other");
  // Find every shard the two keys may fall in moved to generation 2.
  for (const Digest& k : {d, other}) (void)cache.Find(Kind::kAccessToken, k, 0, 2);
  cache.Insert(Kind::kAccessToken, d, Named("anna"), PrincipalCache::kNeverExpires, 1);
  EXPECT_FALSE(cache.Find(Kind::kAccessToken, d, 0, 2).has_value());
  EXPECT_EQ(cache.size(), 0u);
  cache.Insert(Kind::kAccessToken, other, Named("anna"), PrincipalCache::kNeverExpires, 2);
  EXPECT_FALSE(cache.Find(Kind::kAccessToken, other, 0, 1).has_value());
  EXPECT_TRUE(cache.Find(Kind::kAccessToken, other, 0, 2).has_value());
}

TEST(AuthPrincipalCache, StaysWithinItsCapacity) {
  PrincipalCache cache(64);
  for (int i = 0; i < 10'000; ++i)
    cache.Insert(Kind::kApiKey, Sha256("ncc_ak_" + std::to_string(i)), Named("gw"),
                 PrincipalCache::kNeverExpires, 1);
  EXPECT_LE(cache.size(), 64u);
  EXPECT_GT(cache.size(), 0u);
  PrincipalCache none(0);
  none.Insert(Kind::kApiKey, Sha256("k"), Named("gw"), PrincipalCache::kNeverExpires, 1);
  EXPECT_FALSE(none.Find(Kind::kApiKey, Sha256("k"), 0, 1).has_value());
}

// TokenService with the cache: every test signs in and authenticates first, so the principal is
// cached before whatever should end it happens.
class AuthPrincipalCacheTokens : public testing::AnnaTokensTest {
 protected:
  // Signed in and authenticated once: the principal is in the cache.
  Session Cached() {
    Session s = LoginAnna();
    EXPECT_TRUE(tokens_->Authenticate(s.access_token).ok());
    EXPECT_GE(tokens_->cached_principals(), 1u);
    return s;
  }
  std::string CachedKey(const std::string& name = "gw1") {
    StatusOr<std::string> key =
        tokens_->CreateApiKey({name, "police", {Lane::kPositions}, Classification::kPublic, false});
    EXPECT_TRUE(key.ok()) << key.status().message();
    EXPECT_TRUE(tokens_->AuthenticateApiKey(*key).ok());
    EXPECT_TRUE(tokens_->AuthenticateGatewayName(name).ok());
    return key.ok() ? *key : "";
  }
  std::string Why(const StatusOr<Principal>& p) {
    return p.ok() ? "ok (" + p->user + ")" : p.status().message();
  }
  // A second connection to the same auth.db, as `ncc user` / `ncc apikey` open while the server
  // runs.
  struct Other {
    std::unique_ptr<AuthDb> db;
    std::unique_ptr<CredentialStore> users;
    std::unique_ptr<TokenService> tokens;
  };
  Other OtherConnection() {
    Other o;
    StatusOr<std::unique_ptr<AuthDb>> db = AuthDb::Open(dir_.path());
    EXPECT_TRUE(db.ok());
    if (!db.ok()) return o;
    o.db = std::move(*db);
    o.users = std::make_unique<CredentialStore>(*o.db, clock_, Argon2Params::ForTests());
    o.tokens = std::make_unique<TokenService>(*o.db, *o.users, clock_);
    return o;
  }
};

// The proof that the tests below exercise the cache: a hit does not read auth.db (a row changed
// behind the service's back, on its own connection and without Invalidate, goes unnoticed).
TEST_F(AuthPrincipalCacheTokens, AHitDoesNotReadTheDatabase) {
  Session s = Cached();
  {
    auto lock = db_->Lock();
    ASSERT_TRUE(db_->Exec("DELETE FROM tokens").ok());
  }
  EXPECT_EQ(Why(tokens_->Authenticate(s.access_token)), "ok (anna)");
  db_->Invalidate();
  EXPECT_EQ(Why(tokens_->Authenticate(s.access_token)), "unknown token");
}

TEST_F(AuthPrincipalCacheTokens, FailuresAreNotCached) {
  for (int i = 0; i < 1000; ++i)
    EXPECT_FALSE(tokens_->Authenticate("ncc_at_bogus" + std::to_string(i)).ok());
  for (int i = 0; i < 100; ++i)
    EXPECT_FALSE(tokens_->AuthenticateApiKey("ncc_ak_bogus" + std::to_string(i)).ok());
  EXPECT_FALSE(tokens_->AuthenticateGatewayName("nobody").ok());
  EXPECT_EQ(tokens_->cached_principals(), 0u);
}

TEST_F(AuthPrincipalCacheTokens, ExpiryIsCheckedOnEveryHit) {
  Session s = Cached();
  clock_.AdvanceSeconds(15 * 60 - 1);
  EXPECT_EQ(Why(tokens_->Authenticate(s.access_token)), "ok (anna)");
  clock_.AdvanceSeconds(1);
  EXPECT_EQ(Why(tokens_->Authenticate(s.access_token)), "token expired");
}

TEST_F(AuthPrincipalCacheTokens, LogoutEndsItAtOnce) {
  Session s = Cached();
  ASSERT_TRUE(tokens_->Logout(s.access_token).ok());
  EXPECT_EQ(Why(tokens_->Authenticate(s.access_token)), "token revoked");
  Session t = Cached();
  ASSERT_TRUE(tokens_->Logout(t.refresh_token).ok());  // by its refresh token: same login
  EXPECT_EQ(Why(tokens_->Authenticate(t.access_token)), "token revoked");
}

TEST_F(AuthPrincipalCacheTokens, RefreshReuseRevokesTheCachedFamily) {
  Session s = Cached();
  StatusOr<Session> next = tokens_->Refresh(s.refresh_token);
  ASSERT_TRUE(next.ok());
  ASSERT_TRUE(tokens_->Authenticate(next->access_token).ok());
  EXPECT_EQ(tokens_->Refresh(s.refresh_token).status().message(),
            "refresh token reused; session revoked");
  EXPECT_EQ(Why(tokens_->Authenticate(s.access_token)), "token revoked");
  EXPECT_EQ(Why(tokens_->Authenticate(next->access_token)), "token revoked");
}

TEST_F(AuthPrincipalCacheTokens, SessionLimitRevokeEndsTheCachedFamily) {
  Session s = Cached();
  clock_.AdvanceSeconds(12 * 3600);
  EXPECT_EQ(tokens_->Refresh(s.refresh_token).status().message(), "session expired; sign in again");
  EXPECT_FALSE(tokens_->Authenticate(s.access_token).ok());
}

TEST_F(AuthPrincipalCacheTokens, DisablePasswordChangeAndRevokeUserEndIt) {
  Session s = Cached();
  ASSERT_TRUE(users_->Disable("anna").ok());
  EXPECT_EQ(Why(tokens_->Authenticate(s.access_token)), "token revoked");
  ASSERT_TRUE(users_->Enable("anna").ok());
  Session t = Cached();
  ASSERT_TRUE(users_->SetPassword("anna", kPassword).ok());
  EXPECT_EQ(Why(tokens_->Authenticate(t.access_token)), "token revoked");
  Session u = Cached();
  ASSERT_TRUE(tokens_->RevokeUser("anna").ok());
  EXPECT_EQ(Why(tokens_->Authenticate(u.access_token)), "token revoked");
}

TEST_F(AuthPrincipalCacheTokens, RoleAndClearanceChangesApplyAtTheNextRequest) {
  Session s = Cached();
  ASSERT_TRUE(
      users_->UpdateAccess("anna", {{"police", Role::kAnalyst}}, Classification::kSecret).ok());
  StatusOr<Principal> p = tokens_->Authenticate(s.access_token);
  ASSERT_TRUE(p.ok()) << Why(p);
  EXPECT_FALSE(p->Holds("police", Role::kDispatcher));
  EXPECT_TRUE(p->Holds("police", Role::kAnalyst));
  EXPECT_EQ(p->clearance, Classification::kSecret);
}

TEST_F(AuthPrincipalCacheTokens, ApiKeyRevokeEndsKeyAndCertificate) {
  std::string key = CachedKey();
  ASSERT_TRUE(tokens_->RevokeApiKey("gw1").ok());
  EXPECT_EQ(Why(tokens_->AuthenticateApiKey(key)), "API key revoked");
  EXPECT_EQ(Why(tokens_->AuthenticateGatewayName("gw1")), "API key revoked");
  EXPECT_EQ(Why(tokens_->AuthenticateHeader("ApiKey " + key)), "API key revoked");
}

// The server's auth.db written by another connection: the CLI commands themselves, then any
// write at all (a raw UPDATE), are seen from the next authentication on.
TEST_F(AuthPrincipalCacheTokens, TheCliDisablingAUserEndsItAtOnce) {
  Session s = Cached();
  std::ostringstream out, err;
  ASSERT_EQ(RunUserDisable(dir_.path(), "anna", out, err), 0) << err.str();
  EXPECT_EQ(Why(tokens_->Authenticate(s.access_token)), "token revoked");
  EXPECT_EQ(Why(tokens_->AuthenticateHeader("Bearer " + s.access_token)), "token revoked");
}

TEST_F(AuthPrincipalCacheTokens, TheCliRevokingAKeyEndsItAtOnce) {
  std::string key = CachedKey();
  std::ostringstream out, err;
  ASSERT_EQ(RunApiKeyRevoke(dir_.path(), "gw1", out, err), 0) << err.str();
  EXPECT_EQ(Why(tokens_->AuthenticateApiKey(key)), "API key revoked");
  EXPECT_EQ(Why(tokens_->AuthenticateGatewayName("gw1")), "API key revoked");
}

TEST_F(AuthPrincipalCacheTokens, AnotherConnectionsChangesAreSeenAtOnce) {
  Session s = Cached();
  std::string key = CachedKey();
  Other other = OtherConnection();
  ASSERT_TRUE(other.db);
  ASSERT_TRUE(other.users->UpdateAccess("anna", {{"fire", Role::kAnalyst}}, {}).ok());
  StatusOr<Principal> p = tokens_->Authenticate(s.access_token);
  ASSERT_TRUE(p.ok()) << Why(p);
  EXPECT_TRUE(p->Holds("fire", Role::kAnalyst));
  EXPECT_FALSE(p->Holds("police", Role::kDispatcher));

  ASSERT_TRUE(other.tokens->Logout(s.access_token).ok());
  EXPECT_EQ(Why(tokens_->Authenticate(s.access_token)), "token revoked");

  ASSERT_TRUE(tokens_->AuthenticateApiKey(key).ok());
  {
    auto lock = other.db->Lock();  // no library call at all: a plain SQL write
    ASSERT_TRUE(other.db->Exec("UPDATE api_keys SET clearance='secret'").ok());
  }
  StatusOr<Principal> gw = tokens_->AuthenticateApiKey(key);
  ASSERT_TRUE(gw.ok()) << Why(gw);
  EXPECT_EQ(gw->clearance, Classification::kSecret);
}

// The pragma is skipped while the WAL-index header says nobody committed, and runs (and sees
// the change) as soon as another connection did.
TEST_F(AuthPrincipalCacheTokens, TheDataVersionPragmaRunsWhenSomeoneCommitted) {
  ASSERT_TRUE(db_->watches_wal_index()) << "auth.db-shm should be mapped";
  Session s = Cached();
  Other other = OtherConnection();  // opening it writes the schema version: a commit
  ASSERT_TRUE(other.db);
  ASSERT_TRUE(tokens_->Authenticate(s.access_token).ok());
  const uint64_t before = db_->data_version_checks();
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(tokens_->Authenticate(s.access_token).ok());
  EXPECT_LT(db_->data_version_checks() - before, 50u) << "the header did not change";
  const uint64_t generation = db_->generation();
  ASSERT_TRUE(other.users->UpdateAccess("anna", {{"police", Role::kAnalyst}}, {}).ok());
  StatusOr<Principal> p = tokens_->Authenticate(s.access_token);
  ASSERT_TRUE(p.ok()) << Why(p);
  EXPECT_TRUE(p->Holds("police", Role::kAnalyst));
  EXPECT_GT(db_->data_version_checks(), before);
  EXPECT_GT(db_->generation(), generation);
}

TEST_F(AuthPrincipalCacheTokens, OurOwnSignInsDoNotDropTheCache) {
  Session s = Cached();
  const uint64_t before = db_->generation();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(tokens_->Login("anna", kPassword).ok());
  ASSERT_TRUE(tokens_->Authenticate(s.access_token).ok());
  EXPECT_EQ(db_->generation(), before) << "a login changes who no credential names";
}

TEST_F(AuthPrincipalCacheTokens, ManySessionsStayWithinTheBound) {
  TokenPolicy small;
  small.principal_cache_entries = 16;
  TokenService tokens(*db_, *users_, clock_, small);
  std::vector<Session> sessions;
  for (int i = 0; i < 100; ++i) {
    StatusOr<Session> s = tokens.Login("anna", kPassword);
    ASSERT_TRUE(s.ok());
    ASSERT_TRUE(tokens.Authenticate(s->access_token).ok());
    sessions.push_back(*s);
  }
  EXPECT_LE(tokens.cached_principals(), 16u);
  for (const Session& s : sessions) EXPECT_TRUE(tokens.Authenticate(s.access_token).ok());
}

}  // namespace
}  // namespace ncc::auth
