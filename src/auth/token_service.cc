#include "auth/token_service.h"

#include <algorithm>

#include "auth/credential_header.h"
#include "auth/secret.h"

namespace ncc::auth {

namespace {

Status Unauthenticated(std::string msg) {
  return {StatusCode::kUnauthenticated, std::move(msg)};
}

std::string_view BytesOf(const Digest& d) {
  return {reinterpret_cast<const char*>(d.data()), d.size()};
}

std::string HashOf(std::string_view token) {
  return std::string(BytesOf(Sha256(token)));
}

std::string FormatLanes(const std::vector<Lane>& lanes) {
  std::string out;
  for (Lane l : lanes) {
    if (!out.empty()) out += ',';
    out += Name(l);
  }
  return out;
}

std::vector<Lane> ParseLanes(std::string_view text) {
  std::vector<Lane> out;
  while (!text.empty()) {
    size_t comma = text.find(',');
    if (auto l = ParseLane(text.substr(0, comma))) out.push_back(*l);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
  }
  return out;
}

struct TokenRow {
  std::string kind, username, family;
  int64_t expires_ms = 0;
  bool used = false, revoked = false;
};

StatusOr<std::optional<TokenRow>> FindToken(AuthDb& db, const Digest& token_hash) {
  Stmt st(db.handle(),
          "SELECT kind, username, family, expires_ms, used, revoked FROM tokens "
          "WHERE token_hash=?");
  st.BindBlob(1, BytesOf(token_hash));
  if (!st.Step()) {
    NCC_RETURN_IF_ERROR(st.status());
    return std::optional<TokenRow>();
  }
  return std::optional<TokenRow>(
      TokenRow{st.Text(0), st.Text(1), st.Text(2), st.Int(3), st.Int(4) != 0, st.Int(5) != 0});
}

// Requires db.Lock().
Status RevokeFamily(AuthDb& db, const std::string& family) {
  InvalidateOnExit invalidate(db);  // its access tokens may be cached
  Stmt st(db.handle(), "UPDATE tokens SET revoked=1 WHERE family=?");
  st.Bind(1, family);
  return st.Run();
}

}  // namespace

TokenService::TokenService(AuthDb& db, CredentialStore& users, const Clock& clock,
                           TokenPolicy policy)
    : db_(db),
      users_(users),
      clock_(clock),
      policy_(policy),
      cache_(policy.principal_cache_entries) {}

StatusOr<std::optional<Principal>> TokenService::Cached(PrincipalCache::Kind kind,
                                                        const Digest& digest,
                                                        uint64_t* generation) {
  // First: a commit by another process (ncc user disable, ncc apikey revoke) bumps the
  // generation, so nothing cached before it is used from this request on.
  NCC_RETURN_IF_ERROR(db_.NoticeOtherWriters());
  *generation = db_.generation();  // before auth.db is read: see PrincipalCache::Insert
  return cache_.Find(kind, digest, clock_.Now().ms, *generation);
}

StatusOr<Session> TokenService::Issue(const Principal& who, const std::string& family,
                                      int64_t started_ms) {
  StatusOr<std::string> access = NewToken(kAccessPrefix);
  StatusOr<std::string> refresh = NewToken(kRefreshPrefix);
  if (!access.ok()) return access.status();
  if (!refresh.ok()) return refresh.status();
  const int64_t now = clock_.Now().ms;
  const int64_t session_end = started_ms + policy_.session_max_ms;
  const int64_t access_expires = std::min(now + policy_.access_ttl_ms, session_end);
  const int64_t refresh_expires = std::min(now + policy_.refresh_ttl_ms, session_end);
  auto lock = db_.Lock();
  NCC_RETURN_IF_ERROR(db_.Exec("BEGIN IMMEDIATE"));
  auto rollback = [&](Status s) {
    (void)db_.Exec("ROLLBACK");
    return s;
  };
  Stmt session(db_.handle(),
               "INSERT INTO sessions(family, username, started_ms) VALUES(?,?,?) "
               "ON CONFLICT(family) DO NOTHING");
  session.Bind(1, family).Bind(2, who.user).Bind(3, started_ms);
  if (Status s = session.Run(); !s.ok()) return rollback(s);
  for (const auto& [token, kind, expires] : {std::tuple{*access, "access", access_expires},
                                             std::tuple{*refresh, "refresh", refresh_expires}}) {
    Stmt st(db_.handle(),
            "INSERT INTO tokens(token_hash, kind, username, family, expires_ms) VALUES(?,?,?,?,?)");
    st.BindBlob(1, HashOf(token)).Bind(2, kind).Bind(3, who.user).Bind(4, family);
    st.Bind(5, expires);
    if (Status s = st.Run(); !s.ok()) return rollback(s);
  }
  // A commit refused for space leaves the transaction open: close it, or every later write waits.
  if (Status s = db_.Exec("COMMIT"); !s.ok()) return rollback(s);
  return Session{*access, *refresh, (access_expires - now) / 1000, who};
}

StatusOr<Session> TokenService::Login(std::string_view username, std::string_view password) {
  StatusOr<Principal> who = users_.VerifyPassword(username, password);
  if (!who.ok()) return who.status();
  StatusOr<std::string> family = RandomBytes(16);
  if (!family.ok()) return family.status();
  return Issue(*who, Hex(*family), clock_.Now().ms);
}

StatusOr<Principal> TokenService::Authenticate(std::string_view access_token) {
  const Digest digest = Sha256(access_token);
  uint64_t generation = 0;
  StatusOr<std::optional<Principal>> cached =
      Cached(PrincipalCache::Kind::kAccessToken, digest, &generation);
  if (!cached.ok()) return cached.status();
  if (cached->has_value()) return std::move(**cached);
  std::string username;
  int64_t expires_ms = 0;
  {
    auto lock = db_.Lock();
    StatusOr<std::optional<TokenRow>> row = FindToken(db_, digest);
    if (!row.ok()) return row.status();
    if (!row->has_value()) return Unauthenticated("unknown token");
    const TokenRow& t = **row;
    if (t.kind != "access") return Unauthenticated("not an access token");
    if (t.revoked) return Unauthenticated("token revoked");
    if (t.expires_ms <= clock_.Now().ms) return Unauthenticated("token expired");
    username = t.username;
    expires_ms = t.expires_ms;
  }
  StatusOr<Principal> who = users_.LoadPrincipal(username);
  if (who.ok())
    cache_.Insert(PrincipalCache::Kind::kAccessToken, digest, *who, expires_ms, generation);
  return who;
}

StatusOr<Session> TokenService::Refresh(std::string_view refresh_token) {
  std::string username, family;
  int64_t started_ms = 0;
  {
    auto lock = db_.Lock();
    StatusOr<std::optional<TokenRow>> row = FindToken(db_, Sha256(refresh_token));
    if (!row.ok()) return row.status();
    if (!row->has_value()) return Unauthenticated("unknown token");
    const TokenRow& t = **row;
    if (t.kind != "refresh") return Unauthenticated("not a refresh token");
    if (t.revoked) return Unauthenticated("token revoked");
    if (t.used) {
      NCC_RETURN_IF_ERROR(RevokeFamily(db_, t.family));
      return Unauthenticated("refresh token reused; session revoked");
    }
    const int64_t now = clock_.Now().ms;
    // The absolute limit of the login, checked first: at its end the refresh token expires too.
    Stmt start(db_.handle(), "SELECT started_ms FROM sessions WHERE family=?");
    start.Bind(1, t.family);
    started_ms = start.Step() ? start.Int(0) : now;  // a login from before version 2: from now
    NCC_RETURN_IF_ERROR(start.status());
    if (now >= started_ms + policy_.session_max_ms) {
      NCC_RETURN_IF_ERROR(RevokeFamily(db_, t.family));
      return Unauthenticated("session expired; sign in again");
    }
    if (t.expires_ms <= now) return Unauthenticated("token expired");
    // Spend it; "used=0" in the WHERE makes two racing refreshes end with one winner.
    Stmt spend(db_.handle(), "UPDATE tokens SET used=1 WHERE token_hash=? AND used=0");
    spend.BindBlob(1, HashOf(refresh_token));
    NCC_RETURN_IF_ERROR(spend.Run());
    if (db_.Changes() == 0) {
      NCC_RETURN_IF_ERROR(RevokeFamily(db_, t.family));
      return Unauthenticated("refresh token reused; session revoked");
    }
    username = t.username;
    family = t.family;
  }
  StatusOr<Principal> who = users_.LoadPrincipal(username);
  if (!who.ok()) return who.status();
  return Issue(*who, family, started_ms);
}

Status TokenService::Logout(std::string_view token) {
  auto lock = db_.Lock();
  StatusOr<std::optional<TokenRow>> row = FindToken(db_, Sha256(token));
  if (!row.ok()) return row.status();
  if (!row->has_value()) return Status::Ok();
  return RevokeFamily(db_, (*row)->family);
}

Status TokenService::RevokeUser(std::string_view username) {
  InvalidateOnExit invalidate(db_);
  auto lock = db_.Lock();
  Stmt st(db_.handle(), "UPDATE tokens SET revoked=1 WHERE username=?");
  st.Bind(1, username);
  return st.Run();
}

StatusOr<std::string> TokenService::CreateApiKey(const ApiKeyInfo& info) {
  NCC_RETURN_IF_ERROR(ValidateUsername(info.name));
  NCC_RETURN_IF_ERROR(ValidateAgency(info.agency));
  if (info.lanes.empty() ||
      std::find(info.lanes.begin(), info.lanes.end(), Lane::kNone) != info.lanes.end())
    return InvalidArgument("an API key needs at least one lane (positions, alarms, cot)", "lanes");
  StatusOr<std::string> key = NewToken(kApiKeyPrefix);
  if (!key.ok()) return key.status();
  auto lock = db_.Lock();
  Stmt st(db_.handle(),
          "INSERT INTO api_keys(key_hash, name, agency, lanes, clearance, created_ms) "
          "VALUES(?,?,?,?,?,?) ON CONFLICT DO NOTHING");
  st.BindBlob(1, HashOf(*key)).Bind(2, info.name).Bind(3, info.agency);
  st.Bind(4, FormatLanes(info.lanes)).Bind(5, Name(info.clearance)).Bind(6, clock_.Now().ms);
  NCC_RETURN_IF_ERROR(st.Run());
  if (db_.Changes() == 0) return AlreadyExists("API key '" + info.name + "' exists", "name");
  return key;
}

namespace {

// The gateway principal of the api_keys row `st` is on (name, agency, lanes, clearance, revoked).
StatusOr<Principal> GatewayOfRow(Stmt& st) {
  if (st.Int(4) != 0) return Unauthenticated("API key revoked");
  Principal p;
  p.kind = Principal::Kind::kGateway;
  p.user = std::string(kGatewayActorPrefix) + st.Text(0);
  p.agency = st.Text(1);
  p.lanes = ParseLanes(st.Text(2));
  p.clearance = ParseClassification(st.Text(3)).value_or(Classification::kPublic);
  return p;
}

}  // namespace

StatusOr<Principal> TokenService::AuthenticateApiKey(std::string_view key) {
  const Digest digest = Sha256(key);
  uint64_t generation = 0;
  StatusOr<std::optional<Principal>> cached =
      Cached(PrincipalCache::Kind::kApiKey, digest, &generation);
  if (!cached.ok()) return cached.status();
  if (cached->has_value()) return std::move(**cached);
  auto lock = db_.Lock();
  Stmt st(db_.handle(),
          "SELECT name, agency, lanes, clearance, revoked FROM api_keys WHERE key_hash=?");
  st.BindBlob(1, BytesOf(digest));
  if (!st.Step()) {
    NCC_RETURN_IF_ERROR(st.status());
    return Unauthenticated("unknown API key");
  }
  StatusOr<Principal> who = GatewayOfRow(st);
  if (who.ok())
    cache_.Insert(PrincipalCache::Kind::kApiKey, digest, *who, PrincipalCache::kNeverExpires,
                  generation);
  return who;
}

StatusOr<Principal> TokenService::AuthenticateGatewayName(std::string_view name) {
  const Digest digest = Sha256(name);  // the certificate's common name, not a secret
  uint64_t generation = 0;
  StatusOr<std::optional<Principal>> cached =
      Cached(PrincipalCache::Kind::kGatewayName, digest, &generation);
  if (!cached.ok()) return cached.status();
  if (cached->has_value()) return std::move(**cached);
  auto lock = db_.Lock();
  Stmt st(db_.handle(),
          "SELECT name, agency, lanes, clearance, revoked FROM api_keys WHERE name=?");
  st.Bind(1, name);
  if (!st.Step()) {
    NCC_RETURN_IF_ERROR(st.status());
    return Unauthenticated("no API key named '" + std::string(name) + "' for this certificate");
  }
  StatusOr<Principal> who = GatewayOfRow(st);
  if (who.ok())
    cache_.Insert(PrincipalCache::Kind::kGatewayName, digest, *who, PrincipalCache::kNeverExpires,
                  generation);
  return who;
}

Status TokenService::RevokeApiKey(std::string_view name) {
  InvalidateOnExit invalidate(db_);
  auto lock = db_.Lock();
  Stmt st(db_.handle(), "UPDATE api_keys SET revoked=1 WHERE name=?");
  st.Bind(1, name);
  NCC_RETURN_IF_ERROR(st.Run());
  if (db_.Changes() == 0) return NotFound("no API key '" + std::string(name) + "'", "name");
  return Status::Ok();
}

StatusOr<std::vector<ApiKeyInfo>> TokenService::ListApiKeys() {
  auto lock = db_.Lock();
  Stmt st(db_.handle(),
          "SELECT name, agency, lanes, clearance, revoked FROM api_keys ORDER BY name");
  std::vector<ApiKeyInfo> out;
  while (st.Step())
    out.push_back({st.Text(0), st.Text(1), ParseLanes(st.Text(2)),
                   ParseClassification(st.Text(3)).value_or(Classification::kPublic),
                   st.Int(4) != 0});
  NCC_RETURN_IF_ERROR(st.status());
  return out;
}

StatusOr<Principal> TokenService::AuthenticateHeader(std::string_view authorization) {
  StatusOr<Credential> cred = ParseAuthorization(authorization);
  if (!cred.ok()) return cred.status();
  if (cred->kind == CredentialKind::kApiKey) return AuthenticateApiKey(cred->token);
  return Authenticate(cred->token);
}

StatusOr<int> TokenService::PurgeExpired() {
  auto lock = db_.Lock();
  Stmt st(db_.handle(), "DELETE FROM tokens WHERE expires_ms < ?");
  st.Bind(1, clock_.Now().ms - 24 * 3600'000);
  NCC_RETURN_IF_ERROR(st.Run());
  const int changes = db_.Changes();
  // A login whose every token is gone needs its start no more.
  Stmt sessions(db_.handle(),
                "DELETE FROM sessions WHERE family NOT IN (SELECT family FROM tokens)");
  NCC_RETURN_IF_ERROR(sessions.Run());
  return changes;
}

}  // namespace ncc::auth
