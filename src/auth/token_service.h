// Sessions and API keys. Opaque random tokens (256 bits), stored server-side only as their
// SHA-256, so a copy of auth.db lets nobody sign in. Access tokens are short-lived; refresh
// tokens rotate on every use, and presenting a refresh token that was already used revokes its
// whole family (every access and refresh token of that login): a stolen refresh token is
// useful to the thief or the owner once, and the second use tells us it was stolen.
//
// The principal of a valid access token or API key is cached by the SHA-256 of the credential
// (PrincipalCache), so a request costs no SQLite query once its token has been seen. Revocation
// stays immediate: each hit checks the token's expiry against the clock, and every change to who
// a credential names empties the cache — logout, family revoke, key revoke, disable, password
// or role change through this process (AuthDb::Invalidate), and any commit to auth.db by
// another process (the CLI), seen through PRAGMA data_version before every lookup.
// Thread-safe: any thread may call.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/auth_db.h"
#include "auth/credential_store.h"
#include "auth/principal_cache.h"

namespace ncc::auth {

struct TokenPolicy {
  int64_t access_ttl_ms = 15 * 60'000;     // 15 min: a leaked token is useful briefly
  int64_t refresh_ttl_ms = 12 * 3600'000;  // one shift
  // Absolute limit of a login, however often it is refreshed: one shift. No token of the login
  // outlives it; then Refresh is kUnauthenticated "session expired; sign in again".
  int64_t session_max_ms = 12 * 3600'000;
  // Principals of valid access tokens and API keys held in memory (PrincipalCache); 0: none.
  size_t principal_cache_entries = 100'000;
};

inline constexpr std::string_view kAccessPrefix = "ncc_at_";
inline constexpr std::string_view kRefreshPrefix = "ncc_rt_";
inline constexpr std::string_view kApiKeyPrefix = "ncc_ak_";
// A gateway acts (and appears as actor in events) as "gateway:<key name>"; usernames cannot
// hold ':', so a gateway is never mistaken for a person.
inline constexpr std::string_view kGatewayActorPrefix = "gateway:";

// Returned once at login or refresh; the server keeps only hashes.
struct Session {
  std::string access_token;
  std::string refresh_token;
  int64_t expires_in_s = 0;  // of the access token
  Principal principal;
};

struct ApiKeyInfo {
  std::string name;
  std::string agency;
  std::vector<Lane> lanes;
  Classification clearance = Classification::kPublic;
  bool revoked = false;
};

class TokenService {
 public:
  // Borrows all three; they must outlive the service.
  TokenService(AuthDb& db, CredentialStore& users, const Clock& clock, TokenPolicy policy = {});

  // Errors of CredentialStore::VerifyPassword.
  StatusOr<Session> Login(std::string_view username, std::string_view password);

  // The principal of a valid access token. kUnauthenticated with a distinct message:
  // "unknown token", "not an access token", "token expired", "token revoked",
  // or the account's ("account disabled").
  StatusOr<Principal> Authenticate(std::string_view access_token);

  // A new pair in the same family; the old refresh token is spent. kUnauthenticated for an
  // unknown, expired or revoked token, "refresh token reused; session revoked" on replay, and
  // "session expired; sign in again" once `session_max_ms` have passed since the login (the
  // new tokens never last beyond that either).
  StatusOr<Session> Refresh(std::string_view refresh_token);

  // Ends the login the token (access or refresh) belongs to. Unknown tokens are ignored.
  Status Logout(std::string_view token);
  // Ends every session of a user (e.g. on suspicion).
  Status RevokeUser(std::string_view username);

  // A new key for a gateway or sensor; the key is returned once and stored hashed.
  StatusOr<std::string> CreateApiKey(const ApiKeyInfo& info);
  // The gateway principal of a key: kind kGateway, user = "gateway:<name>", no roles, the
  // key's lanes. kUnauthenticated "unknown API key" or "API key revoked".
  StatusOr<Principal> AuthenticateApiKey(std::string_view key);
  // The same principal for a gateway that proved itself with a TLS client certificate (signed
  // by the server's client CA) whose common name is the key's name. Same errors, and
  // "no API key named ..." when none is.
  StatusOr<Principal> AuthenticateGatewayName(std::string_view name);
  Status RevokeApiKey(std::string_view name);
  StatusOr<std::vector<ApiKeyInfo>> ListApiKeys();

  // One call for the HTTP layer: parses "Bearer ..." or "ApiKey ..." and authenticates it.
  StatusOr<Principal> AuthenticateHeader(std::string_view authorization);

  // Deletes tokens expired for more than a day (they only serve replay detection until then).
  StatusOr<int> PurgeExpired();

  // Entries in the principal cache (for tests and metrics).
  size_t cached_principals() const { return cache_.size(); }

 private:
  // The cached principal of a credential, after dropping the cache if another process wrote
  // auth.db; `generation` is set to the generation the caller must Insert under.
  StatusOr<std::optional<Principal>> Cached(PrincipalCache::Kind kind, const Digest& digest,
                                            uint64_t* generation);

  // Tokens of `family`, a login that began at `started_ms` (recorded if new).
  StatusOr<Session> Issue(const Principal& who, const std::string& family, int64_t started_ms);

  AuthDb& db_;
  CredentialStore& users_;
  const Clock& clock_;
  TokenPolicy policy_;
  PrincipalCache cache_;
};

}  // namespace ncc::auth
