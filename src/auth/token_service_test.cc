#include "auth/token_service.h"

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>

#include "auth/auth.h"
#include "auth/token_fixture_for_tests.h"
#include "core/temp_dir_for_tests.h"

namespace ncc::auth {
namespace {

class AuthTokenServiceTest : public testing::AnnaTokensTest {
 protected:
  std::string Why(const StatusOr<Principal>& p) { return p.status().message(); }
};

TEST_F(AuthTokenServiceTest, LoginThenAuthenticate) {
  Session s = LoginAnna();
  EXPECT_EQ(s.access_token.rfind("ncc_at_", 0), 0u);
  EXPECT_EQ(s.refresh_token.rfind("ncc_rt_", 0), 0u);
  EXPECT_EQ(s.expires_in_s, 15 * 60);
  StatusOr<Principal> p = tokens_->Authenticate(s.access_token);
  ASSERT_TRUE(p.ok()) << Why(p);
  EXPECT_EQ(p->user, "anna");
  EXPECT_TRUE(p->Holds("police", Role::kDispatcher));
  StatusOr<Principal> h = tokens_->AuthenticateHeader("Bearer " + s.access_token);
  EXPECT_TRUE(h.ok()) << Why(h);
}

TEST_F(AuthTokenServiceTest, WrongPasswordGivesNoTokens) {
  EXPECT_EQ(tokens_->Login("anna", "guess").status().code(), StatusCode::kUnauthenticated);
}

TEST_F(AuthTokenServiceTest, ForgedTokensAreUnknown) {
  Session s = LoginAnna();
  std::string forged = s.access_token;
  forged.back() = forged.back() == 'A' ? 'B' : 'A';
  EXPECT_EQ(Why(tokens_->Authenticate(forged)), "unknown token");
  EXPECT_EQ(Why(tokens_->Authenticate("ncc_at_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")),
            "unknown token");
  EXPECT_EQ(Why(tokens_->Authenticate("")), "unknown token");
  EXPECT_EQ(Why(tokens_->Authenticate(s.refresh_token)), "not an access token");
  EXPECT_EQ(tokens_->AuthenticateHeader("Basic YW5uYTpwdw==").status().message(),
            "unsupported authorization scheme");
}

TEST_F(AuthTokenServiceTest, AccessTokenExpires) {
  Session s = LoginAnna();
  clock_.AdvanceSeconds(15 * 60 - 1);
  EXPECT_TRUE(tokens_->Authenticate(s.access_token).ok());
  clock_.AdvanceSeconds(1);
  StatusOr<Principal> p = tokens_->Authenticate(s.access_token);
  EXPECT_EQ(p.status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(Why(p), "token expired");
}

TEST_F(AuthTokenServiceTest, LogoutRevokesTheLogin) {
  Session s = LoginAnna();
  Session other = LoginAnna();
  ASSERT_TRUE(tokens_->Logout(s.refresh_token).ok());
  EXPECT_EQ(Why(tokens_->Authenticate(s.access_token)), "token revoked");
  EXPECT_EQ(tokens_->Refresh(s.refresh_token).status().message(), "token revoked");
  EXPECT_TRUE(tokens_->Authenticate(other.access_token).ok()) << "other logins stay";
  EXPECT_TRUE(tokens_->Logout("ncc_at_unknown").ok());
}

TEST_F(AuthTokenServiceTest, RefreshRotates) {
  Session s = LoginAnna();
  clock_.AdvanceSeconds(20 * 60);  // access expired, refresh still good
  StatusOr<Session> r = tokens_->Refresh(s.refresh_token);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_NE(r->refresh_token, s.refresh_token);
  EXPECT_TRUE(tokens_->Authenticate(r->access_token).ok());
  StatusOr<Session> r2 = tokens_->Refresh(r->refresh_token);
  ASSERT_TRUE(r2.ok()) << r2.status().message();
  EXPECT_TRUE(tokens_->Authenticate(r2->access_token).ok());
}

TEST_F(AuthTokenServiceTest, RefreshReplayRevokesTheWholeFamily) {
  Session s = LoginAnna();
  Session unrelated = LoginAnna();
  StatusOr<Session> r = tokens_->Refresh(s.refresh_token);  // the thief, or the owner
  ASSERT_TRUE(r.ok());
  StatusOr<Session> replay = tokens_->Refresh(s.refresh_token);  // the other one
  EXPECT_EQ(replay.status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(replay.status().message(), "refresh token reused; session revoked");
  // Everything in the family is dead, including the newest pair.
  EXPECT_EQ(Why(tokens_->Authenticate(r->access_token)), "token revoked");
  EXPECT_EQ(Why(tokens_->Authenticate(s.access_token)), "token revoked");
  EXPECT_EQ(tokens_->Refresh(r->refresh_token).status().message(), "token revoked");
  EXPECT_TRUE(tokens_->Authenticate(unrelated.access_token).ok());
}

TEST_F(AuthTokenServiceTest, RefreshTokenExpires) {
  TokenService idle(*db_, *users_, clock_, {15 * 60'000, 3600'000, 12 * 3600'000});
  StatusOr<Session> s = idle.Login("anna", kPassword);
  ASSERT_TRUE(s.ok());
  clock_.AdvanceSeconds(3600);  // unused for its hour: expired, though the session is not over
  EXPECT_EQ(idle.Refresh(s->refresh_token).status().message(), "token expired");
  EXPECT_EQ(tokens_->Refresh(s->access_token).status().message(), "not a refresh token");
  EXPECT_EQ(tokens_->Refresh("ncc_rt_x").status().message(), "unknown token");
}

// F17: refreshing does not extend a login past its absolute limit (12 h from the login).
TEST_F(AuthTokenServiceTest, RefreshStopsAtTheSessionLimit) {
  Session s = LoginAnna();
  // A refresh every 10 minutes for 11 h 50 min: each works.
  for (int i = 0; i < 71; ++i) {
    clock_.AdvanceSeconds(600);
    StatusOr<Session> next = tokens_->Refresh(s.refresh_token);
    ASSERT_TRUE(next.ok()) << i << ": " << next.status().message();
    s = *next;
  }
  // 10 min before the end: the new access token is cut to the session's end, not 15 min.
  EXPECT_EQ(s.expires_in_s, 10 * 60);
  clock_.AdvanceSeconds(600);  // 12 h after the login
  StatusOr<Session> late = tokens_->Refresh(s.refresh_token);
  EXPECT_EQ(late.status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(late.status().message(), "session expired; sign in again");
  EXPECT_FALSE(tokens_->Authenticate(s.access_token).ok());
  // A new login starts a new session.
  Session again = LoginAnna();
  clock_.AdvanceSeconds(600);
  EXPECT_TRUE(tokens_->Refresh(again.refresh_token).ok());
}

TEST_F(AuthTokenServiceTest, SessionLimitIsAnOption) {
  TokenService shorter(*db_, *users_, clock_, {15 * 60'000, 12 * 3600'000, 3600'000});
  StatusOr<Session> s = shorter.Login("anna", kPassword);
  ASSERT_TRUE(s.ok());
  clock_.AdvanceSeconds(50 * 60);
  StatusOr<Session> next = shorter.Refresh(s->refresh_token);
  ASSERT_TRUE(next.ok()) << next.status().message();
  EXPECT_EQ(next->expires_in_s, 10 * 60);
  clock_.AdvanceSeconds(10 * 60);
  EXPECT_EQ(shorter.Refresh(next->refresh_token).status().message(),
            "session expired; sign in again");
}

TEST_F(AuthTokenServiceTest, DisableAndPasswordChangeEndSessions) {
  Session s = LoginAnna();
  ASSERT_TRUE(users_->SetPassword("anna", "another-password").ok());
  EXPECT_EQ(Why(tokens_->Authenticate(s.access_token)), "token revoked");
  StatusOr<Session> again = tokens_->Login("anna", "another-password");
  ASSERT_TRUE(again.ok());
  ASSERT_TRUE(users_->Disable("anna").ok());
  EXPECT_EQ(Why(tokens_->Authenticate(again->access_token)), "token revoked");
}

TEST_F(AuthTokenServiceTest, ApiKeysCarryLanesAndCanBeRevoked) {
  StatusOr<std::string> key = tokens_->CreateApiKey(
      {"avl-gw1", "ambulance", {Lane::kPositions, Lane::kCot}, Classification::kRestricted, false});
  ASSERT_TRUE(key.ok()) << key.status().message();
  EXPECT_EQ(key->rfind("ncc_ak_", 0), 0u);
  StatusOr<Principal> gw = tokens_->AuthenticateHeader("ApiKey " + *key);
  ASSERT_TRUE(gw.ok()) << Why(gw);
  EXPECT_EQ(gw->kind, Principal::Kind::kGateway);
  EXPECT_EQ(gw->user, "gateway:avl-gw1");
  EXPECT_EQ(gw->agency, "ambulance");
  EXPECT_EQ(gw->lanes, (std::vector<Lane>{Lane::kPositions, Lane::kCot}));
  EXPECT_TRUE(Authorize(*gw, Action::kPositionReport, nullptr).ok());
  EXPECT_FALSE(Authorize(*gw, Action::kAlarmReport, nullptr).ok());
  EXPECT_EQ(Why(tokens_->AuthenticateApiKey(*key + "x")), "unknown API key");
  // An API key is not a bearer token and vice versa.
  EXPECT_EQ(Why(tokens_->Authenticate(*key)), "unknown token");
  EXPECT_EQ(
      tokens_->CreateApiKey({"avl-gw1", "ambulance", {Lane::kAlarms}, {}, false}).status().code(),
      StatusCode::kAlreadyExists);
  EXPECT_EQ(tokens_->CreateApiKey({"no-lane", "ambulance", {}, {}, false}).status().code(),
            StatusCode::kInvalidArgument);
  ASSERT_TRUE(tokens_->RevokeApiKey("avl-gw1").ok());
  EXPECT_EQ(Why(tokens_->AuthenticateApiKey(*key)), "API key revoked");
  StatusOr<std::vector<ApiKeyInfo>> list = tokens_->ListApiKeys();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_TRUE((*list)[0].revoked);
}

TEST_F(AuthTokenServiceTest, PurgeDropsLongExpiredTokens) {
  Session s = LoginAnna();
  clock_.AdvanceSeconds(13 * 3600 + 24 * 3600);
  StatusOr<int> n = tokens_->PurgeExpired();
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 2);
  EXPECT_EQ(Why(tokens_->Authenticate(s.access_token)), "unknown token");
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Whatever reaches the disk (database, WAL, shared memory) holds no secret in plain text.
TEST_F(AuthTokenServiceTest, NoSecretAppearsInTheDatabaseFiles) {
  Session s = LoginAnna();
  StatusOr<Session> r = tokens_->Refresh(s.refresh_token);
  ASSERT_TRUE(r.ok());
  StatusOr<std::string> key =
      tokens_->CreateApiKey({"sensor-7", "fire", {Lane::kAlarms}, Classification::kPublic, false});
  ASSERT_TRUE(key.ok());
  std::string everything;
  for (const char* f : {"auth.db", "auth.db-wal", "auth.db-shm"}) everything += Slurp(dir_.File(f));
  // Fold the WAL into the main file as well, and look again.
  ASSERT_TRUE(db_->Exec("PRAGMA wal_checkpoint(TRUNCATE)").ok());
  everything += Slurp(dir_.File("auth.db"));
  ASSERT_NE(everything.find("anna"), std::string::npos) << "the test reads the right files";
  auto body = [](const std::string& t) { return t.substr(7); };  // without the prefix
  for (const std::string& secret :
       {std::string(kPassword), s.access_token, s.refresh_token, r->access_token, r->refresh_token,
        *key, body(s.access_token), body(r->refresh_token), body(*key)})
    EXPECT_EQ(everything.find(secret), std::string::npos) << "a secret is stored in plain text";
}

TEST_F(AuthTokenServiceTest, RoleChangesApplyAtTheNextRequest) {
  Session s = LoginAnna();
  RecordLabel fire{"fire", Classification::kRestricted, {}};
  EXPECT_FALSE(
      Authorize(*tokens_->Authenticate(s.access_token), Action::kIncidentRead, &fire).ok());
  ASSERT_TRUE(users_
                  ->UpdateAccess("anna", {{"police", Role::kDispatcher}, {"fire", Role::kAnalyst}},
                                 Classification::kSecret)
                  .ok());
  StatusOr<Principal> p = tokens_->Authenticate(s.access_token);
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(Authorize(*p, Action::kIncidentRead, &fire).ok());
  EXPECT_EQ(p->clearance, Classification::kSecret);
  EXPECT_EQ(users_->UpdateAccess("nobody", {{"fire", Role::kAnalyst}}, {}).code(),
            StatusCode::kNotFound);
}

// Many threads at once: every call succeeds, and of racing refreshes with one token exactly
// one wins (the others see a replay and the family is revoked).
TEST_F(AuthTokenServiceTest, ConcurrentUse) {
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        StatusOr<Session> s = tokens_->Login("anna", kPassword);
        if (!s.ok() || !tokens_->Authenticate(s->access_token).ok()) ++failures;
        if (s.ok() && !tokens_->Refresh(s->refresh_token).ok()) ++failures;
      }
    });
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);

  Session shared = LoginAnna();
  std::atomic<int> winners{0};
  threads.clear();
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] { winners += tokens_->Refresh(shared.refresh_token).ok(); });
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(winners.load(), 1);
  EXPECT_EQ(Why(tokens_->Authenticate(shared.access_token)), "token revoked");
}

TEST(Auth, OpensEverythingInOneCall) {
  ncc::testing::TempDir dir;
  ManualClock clock;
  StatusOr<std::unique_ptr<Auth>> auth =
      Auth::Open(dir.path(), clock, {Argon2Params::ForTests(), {}, {}});
  ASSERT_TRUE(auth.ok()) << auth.status().message();
  Auth& a = **auth;
  ASSERT_TRUE(
      a.users()
          .AddUser({"sam", "fire", {{"fire", Role::kSupervisor}}, Classification::kRestricted},
                   "pw")
          .ok());
  StatusOr<Session> s = a.tokens().Login("sam", "pw");
  ASSERT_TRUE(s.ok());
  StatusOr<Principal> p = a.tokens().AuthenticateHeader("Bearer " + s->access_token);
  ASSERT_TRUE(p.ok());
  RecordLabel incident{"fire", Classification::kRestricted, {}};
  EXPECT_TRUE(Authorize(*p, Action::kIncidentAssign, &incident).ok());
}

}  // namespace
}  // namespace ncc::auth
