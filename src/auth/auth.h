// One object for the server to hold: auth.db opened, the account store and the token service
// over it, with the options in one place. Thread-safe like its parts: any thread may call.
//
// Typical wiring in the HTTP server:
//   auto auth = Auth::Open(data_dir, clock, {}).value();
//   POST /api/login      -> login_throttle().TakeAddress(addr), TakeUsername(user),
//                           auth->tokens().Login(user, password)
//   POST /api/refresh    -> login_throttle().TakeAddress(addr), tokens().Refresh(refresh_token)
//   POST /api/logout     -> auth->tokens().Logout(token)
//   any other request    -> auth->tokens().AuthenticateHeader(req["Authorization"])
//                           then Authorize(principal, action, &record_label)
//   WebSocket event      -> CanSee(principal, label_of(event))
#pragma once

#include <memory>
#include <string>

#include "auth/credential_store.h"
#include "auth/login_throttle.h"
#include "auth/token_service.h"

namespace ncc::auth {

struct AuthOptions {
  Argon2Params argon2;
  LockoutPolicy lockout;
  TokenPolicy tokens;
  LoginThrottlePolicy login_throttle;
  // Refuse a missing auth.db (IfMissing::kRefuse) rather than create it empty: the server sets
  // it when its event log is not empty, so a deleted auth.db is never silently replaced.
  bool must_exist = false;
};

class Auth {
 public:
  // Opens or creates <data_dir>/auth.db (kDataLoss if it is missing and options.must_exist).
  // Borrows `clock`, which must outlive the Auth.
  static StatusOr<std::unique_ptr<Auth>> Open(const std::string& data_dir, const Clock& clock,
                                              AuthOptions options = {});

  CredentialStore& users() { return users_; }
  TokenService& tokens() { return tokens_; }
  AuthDb& db() { return *db_; }
  // The sign-in buckets (per address, per username), independent of the API's rate limit.
  LoginThrottle& login_throttle() { return login_throttle_; }

 private:
  Auth(std::unique_ptr<AuthDb> db, const Clock& clock, const AuthOptions& o)
      : db_(std::move(db)),
        users_(*db_, clock, o.argon2, o.lockout),
        tokens_(*db_, users_, clock, o.tokens),
        login_throttle_(clock, o.login_throttle) {}

  std::unique_ptr<AuthDb> db_;  // declared first: the two below borrow it
  CredentialStore users_;
  TokenService tokens_;
  LoginThrottle login_throttle_;
};

inline StatusOr<std::unique_ptr<Auth>> Auth::Open(const std::string& data_dir, const Clock& clock,
                                                  AuthOptions options) {
  StatusOr<std::unique_ptr<AuthDb>> db =
      AuthDb::Open(data_dir, options.must_exist ? IfMissing::kRefuse : IfMissing::kCreate);
  if (!db.ok()) return db.status();
  return std::unique_ptr<Auth>(new Auth(std::move(*db), clock, options));
}

}  // namespace ncc::auth
