#include "auth/credential_store.h"

#include <algorithm>

#include "auth/secret.h"

namespace ncc::auth {

namespace {

constexpr std::string_view kBadCredentials = "invalid username or password";

bool NameChar(char c, bool upper_ok) {
  return (c >= 'a' && c <= 'z') || (upper_ok && c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '_' || c == '.' || c == '-' || (upper_ok && c == '@');
}

Classification ClearanceOf(const std::string& text) {
  return ParseClassification(text).value_or(Classification::kPublic);
}

}  // namespace

Status ValidateUsername(std::string_view name) {
  if (name.empty() || name.size() > 64)
    return InvalidArgument("username must be 1-64 characters", "username");
  for (char c : name)
    if (!NameChar(c, true))
      return InvalidArgument("username may hold letters, digits and _ . - @", "username");
  return Status::Ok();
}

Status ValidateAgency(std::string_view agency) {
  if (agency.empty() || agency.size() > 64)
    return InvalidArgument("agency must be 1-64 characters", "agency");
  for (char c : agency)
    if (!NameChar(c, false))
      return InvalidArgument("agency code may hold a-z, 0-9 and _ . -", "agency");
  return Status::Ok();
}

CredentialStore::CredentialStore(AuthDb& db, const Clock& clock, Argon2Params params,
                                 LockoutPolicy policy)
    : db_(db),
      clock_(clock),
      params_(params),
      policy_(policy),
      hashing_(std::clamp(params.max_concurrent, 1, 64)) {
  StatusOr<std::string> random = NewToken("");
  StatusOr<std::string> dummy = HashPassword(random.ok() ? *random : "x", params_);
  if (dummy.ok()) dummy_hash_ = *dummy;
}

Status CredentialStore::AddUser(const NewUser& user, std::string_view password) {
  NCC_RETURN_IF_ERROR(ValidateUsername(user.username));
  NCC_RETURN_IF_ERROR(ValidateAgency(user.agency));
  if (user.roles.empty()) return InvalidArgument("a user needs at least one role", "role");
  for (const RoleGrant& g : user.roles) NCC_RETURN_IF_ERROR(ValidateAgency(g.agency));
  StatusOr<std::string> hash = Hash(password);
  if (!hash.ok()) return hash.status();
  auto lock = db_.Lock();
  Stmt st(db_.handle(),
          "INSERT INTO users(username, agency, roles, clearance, password_hash, created_ms) "
          "VALUES(?,?,?,?,?,?) ON CONFLICT(username) DO NOTHING");
  st.Bind(1, user.username).Bind(2, user.agency).Bind(3, FormatRoles(user.roles));
  st.Bind(4, Name(user.clearance)).Bind(5, *hash).Bind(6, clock_.Now().ms);
  NCC_RETURN_IF_ERROR(st.Run());
  if (db_.Changes() == 0) return AlreadyExists("user '" + user.username + "' exists", "username");
  return Status::Ok();
}

namespace {
// "$argon2id$v=19$m=65536,t=3,p=1$salt$hash" -> "m=65536,t=3,p=1".
std::string HashParameters(const std::string& encoded) {
  size_t at = 0;
  for (int k = 0; k < 2 && at != std::string::npos; ++k) at = encoded.find('$', at + 1);
  if (at == std::string::npos) return "";
  size_t end = encoded.find('$', at + 1);
  return encoded.substr(at + 1, end == std::string::npos ? std::string::npos : end - at - 1);
}
}  // namespace

std::string CredentialStore::DummyHashParameters() const {
  return HashParameters(dummy_hash_);
}

StatusOr<Principal> CredentialStore::VerifyPassword(std::string_view username,
                                                    std::string_view password) {
  bool found = false;
  std::string hash;
  int64_t locked_until = 0;
  {
    auto lock = db_.Lock();
    Stmt st(db_.handle(), "SELECT password_hash, locked_until_ms FROM users WHERE username=?");
    st.Bind(1, username);
    if (st.Step()) {
      found = true;
      hash = st.Text(0);
      locked_until = st.Int(1);
    }
    NCC_RETURN_IF_ERROR(st.status());
  }
  const int64_t now = clock_.Now().ms;
  // An unknown user, a locked account and a wrong password must look alike: same answer, same
  // Argon2 work. So a locked account is not told apart (no 429, no early return): its password
  // is not checked — the dummy hash is, which costs the same — and the answer is the usual one.
  // A lock does not grow while it lasts (the count moves only on checked passwords).
  const bool checkable = found && locked_until <= now;
  hashing_.acquire();
  const bool ok = VerifyPasswordHash(password, checkable ? hash : dummy_hash_) && checkable;
  hashing_.release();
  ++password_checks_;
  if (!checkable) return Status(StatusCode::kUnauthenticated, std::string(kBadCredentials));

  auto lock = db_.Lock();
  if (!ok) {
    Stmt st(db_.handle(),
            "UPDATE users SET failed_attempts = failed_attempts + 1 WHERE username=? "
            "RETURNING failed_attempts");
    st.Bind(1, username);
    int failures = st.Step() ? static_cast<int>(st.Int(0)) : 0;
    NCC_RETURN_IF_ERROR(st.Run());
    if (failures >= policy_.max_failures) {
      int shift = std::min(failures - policy_.max_failures, 30);
      int64_t lock_ms = std::min(policy_.base_lock_ms << shift, policy_.max_lock_ms);
      Stmt up(db_.handle(), "UPDATE users SET locked_until_ms=? WHERE username=?");
      up.Bind(1, now + lock_ms).Bind(2, username);
      NCC_RETURN_IF_ERROR(up.Run());
    }
    return Status(StatusCode::kUnauthenticated, std::string(kBadCredentials));
  }
  Stmt reset(db_.handle(),
             "UPDATE users SET failed_attempts=0, locked_until_ms=0 WHERE username=? "
             "AND (failed_attempts<>0 OR locked_until_ms<>0)");
  reset.Bind(1, username);
  NCC_RETURN_IF_ERROR(reset.Run());
  lock.unlock();
  if (NeedsRehash(hash, params_)) {
    StatusOr<std::string> upgraded = Hash(password);
    if (upgraded.ok()) {
      auto relock = db_.Lock();
      Stmt up(db_.handle(),
              "UPDATE users SET password_hash=? WHERE username=? AND password_hash=?");
      up.Bind(1, *upgraded).Bind(2, username).Bind(3, hash);
      (void)up.Run();  // best effort: the old hash still works
    }
  }
  StatusOr<Principal> p = LoadPrincipal(username);
  if (!p.ok() && p.status().message() == "account disabled")
    return Status(StatusCode::kPermissionDenied, "account disabled");
  return p;
}

StatusOr<std::string> CredentialStore::Hash(std::string_view password) {
  hashing_.acquire();
  StatusOr<std::string> hash = HashPassword(password, params_);
  hashing_.release();
  return hash;
}

Status CredentialStore::SetPassword(std::string_view username, std::string_view password) {
  StatusOr<std::string> hash = Hash(password);
  if (!hash.ok()) return hash.status();
  InvalidateOnExit invalidate(db_);  // cached principals of the user
  auto lock = db_.Lock();
  Stmt st(db_.handle(),
          "UPDATE users SET password_hash=?, failed_attempts=0, locked_until_ms=0 "
          "WHERE username=?");
  st.Bind(1, *hash).Bind(2, username);
  NCC_RETURN_IF_ERROR(st.Run());
  if (db_.Changes() == 0) return NotFound("no user '" + std::string(username) + "'", "username");
  Stmt revoke(db_.handle(), "UPDATE tokens SET revoked=1 WHERE username=?");
  revoke.Bind(1, username);
  return revoke.Run();
}

Status CredentialStore::UpdateAccess(std::string_view username, const std::vector<RoleGrant>& roles,
                                     Classification clearance) {
  if (roles.empty()) return InvalidArgument("a user needs at least one role", "role");
  for (const RoleGrant& g : roles) NCC_RETURN_IF_ERROR(ValidateAgency(g.agency));
  InvalidateOnExit invalidate(db_);  // cached principals of the user
  auto lock = db_.Lock();
  Stmt st(db_.handle(), "UPDATE users SET roles=?, clearance=? WHERE username=?");
  st.Bind(1, FormatRoles(roles)).Bind(2, Name(clearance)).Bind(3, username);
  NCC_RETURN_IF_ERROR(st.Run());
  if (db_.Changes() == 0) return NotFound("no user '" + std::string(username) + "'", "username");
  return Status::Ok();
}

Status CredentialStore::Disable(std::string_view username) {
  InvalidateOnExit invalidate(db_);  // cached principals of the user
  auto lock = db_.Lock();
  Stmt st(db_.handle(), "UPDATE users SET disabled=1 WHERE username=?");
  st.Bind(1, username);
  NCC_RETURN_IF_ERROR(st.Run());
  if (db_.Changes() == 0) return NotFound("no user '" + std::string(username) + "'", "username");
  Stmt revoke(db_.handle(), "UPDATE tokens SET revoked=1 WHERE username=?");
  revoke.Bind(1, username);
  return revoke.Run();
}

Status CredentialStore::Enable(std::string_view username) {
  InvalidateOnExit invalidate(db_);  // cached principals of the user
  auto lock = db_.Lock();
  Stmt st(db_.handle(), "UPDATE users SET disabled=0 WHERE username=?");
  st.Bind(1, username);
  NCC_RETURN_IF_ERROR(st.Run());
  if (db_.Changes() == 0) return NotFound("no user '" + std::string(username) + "'", "username");
  return Status::Ok();
}

StatusOr<Principal> CredentialStore::LoadPrincipal(std::string_view username) {
  auto lock = db_.Lock();
  Stmt st(db_.handle(), "SELECT agency, roles, clearance, disabled FROM users WHERE username=?");
  st.Bind(1, username);
  if (!st.Step()) {
    NCC_RETURN_IF_ERROR(st.status());
    return Status(StatusCode::kUnauthenticated, "unknown account");
  }
  if (st.Int(3) != 0) return Status(StatusCode::kUnauthenticated, "account disabled");
  Principal p;
  p.user = std::string(username);
  p.agency = st.Text(0);
  StatusOr<std::vector<RoleGrant>> roles = ParseRoles(st.Text(1), p.agency);
  if (!roles.ok()) return DataLoss("auth.db: bad roles for " + p.user);
  p.roles = std::move(*roles);
  p.clearance = ClearanceOf(st.Text(2));
  return p;
}

StatusOr<std::vector<UserInfo>> CredentialStore::ListUsers() {
  auto lock = db_.Lock();
  Stmt st(db_.handle(),
          "SELECT username, agency, roles, clearance, disabled, failed_attempts, locked_until_ms "
          "FROM users ORDER BY agency, username");
  std::vector<UserInfo> out;
  while (st.Step()) {
    UserInfo u;
    u.username = st.Text(0);
    u.agency = st.Text(1);
    StatusOr<std::vector<RoleGrant>> roles = ParseRoles(st.Text(2), u.agency);
    if (roles.ok()) u.roles = std::move(*roles);
    u.clearance = ClearanceOf(st.Text(3));
    u.disabled = st.Int(4) != 0;
    u.failed_attempts = static_cast<int>(st.Int(5));
    u.locked_until = Time{st.Int(6)};
    out.push_back(std::move(u));
  }
  NCC_RETURN_IF_ERROR(st.status());
  return out;
}

}  // namespace ncc::auth
