// Accounts: who may sign in, with which roles and clearance, and the lock-out that slows
// password guessing. Backed by the users table of auth.db. Thread-safe: any thread may call;
// the Argon2id work runs outside the database lock so sign-ins proceed in parallel.
#pragma once

#include <atomic>
#include <cstdint>
#include <semaphore>
#include <string>
#include <string_view>
#include <vector>

#include "auth/auth_db.h"
#include "auth/authorize.h"
#include "auth/clock.h"
#include "auth/password.h"

namespace ncc::auth {

// After `max_failures` consecutive wrong passwords the account locks for `base_lock_ms`, and
// each further failure after the lock ends doubles it, up to `max_lock_ms`. A correct password
// resets the count. While locked, every sign-in is refused exactly like a wrong password.
struct LockoutPolicy {
  int max_failures = 5;
  int64_t base_lock_ms = 30'000;
  int64_t max_lock_ms = 15 * 60'000;
};

struct NewUser {
  std::string username;
  std::string agency;            // home agency
  std::vector<RoleGrant> roles;  // at least one
  Classification clearance = Classification::kRestricted;
};

// An account as listed to an administrator: no hash, no secret.
struct UserInfo {
  std::string username;
  std::string agency;
  std::vector<RoleGrant> roles;
  Classification clearance = Classification::kPublic;
  bool disabled = false;
  int failed_attempts = 0;
  Time locked_until;
};

class CredentialStore {
 public:
  // Borrows `db` and `clock`; both must outlive the store.
  CredentialStore(AuthDb& db, const Clock& clock, Argon2Params params = {},
                  LockoutPolicy policy = {});

  // kInvalidArgument for a bad name, agency, role list or password; kAlreadyExists if taken.
  Status AddUser(const NewUser& user, std::string_view password);

  // The principal when the password is right. kUnauthenticated "invalid username or password"
  // for an unknown user, a wrong password, and any password while the account is locked (same
  // message, same Argon2 work — a dummy hash is verified for unknown and locked accounts — so
  // none reveals which, nor that an account exists); kPermissionDenied for a disabled account
  // (only after a correct password). A lock shows in ListUsers (`locked_until`).
  StatusOr<Principal> VerifyPassword(std::string_view username, std::string_view password);

  // A correct password whose hash was made with other Argon2 parameters is re-hashed with the
  // current ones, so raising the parameters upgrades accounts as people sign in.
  //
  // Also clears the lock and revokes every token of the user (old sessions end).
  Status SetPassword(std::string_view username, std::string_view password);
  // Replaces the roles and clearance of an account (user.manage). Takes effect at the user's
  // next request: it bumps the sign-in generation, so no cached principal of before is used.
  // kNotFound if unknown.
  Status UpdateAccess(std::string_view username, const std::vector<RoleGrant>& roles,
                      Classification clearance);
  // Disables the account and revokes every token of the user. kNotFound if unknown.
  Status Disable(std::string_view username);
  Status Enable(std::string_view username);

  // The principal of an account for a token check: kUnauthenticated if unknown or disabled.
  StatusOr<Principal> LoadPrincipal(std::string_view username);
  StatusOr<std::vector<UserInfo>> ListUsers();

  // Argon2 verifications done so far (one per VerifyPassword, whatever the account), and the
  // parameters of the dummy hash checked for unknown and locked accounts ("m=…,t=…,p=…", the
  // same as every new hash): together they show that the three cases cost the same work.
  uint64_t password_checks() const { return password_checks_.load(); }
  std::string DummyHashParameters() const;

 private:
  StatusOr<std::string> Hash(std::string_view password);

  AuthDb& db_;
  const Clock& clock_;
  Argon2Params params_;
  LockoutPolicy policy_;
  std::string dummy_hash_;  // verified against when the user is unknown, to keep timing even
  std::counting_semaphore<64> hashing_;  // bounds concurrent Argon2 work (and its memory)
  std::atomic<uint64_t> password_checks_{0};
};

Status ValidateUsername(std::string_view name);
Status ValidateAgency(std::string_view agency);

}  // namespace ncc::auth
