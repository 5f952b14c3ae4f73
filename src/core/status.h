// One error type for the whole project: a failure is a value, never an exception across a
// module boundary. `field` names the offending input field when one is to blame, so that the
// HTTP layer can answer {"error":{"code","message","field"}} without guessing.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace ncc {

enum class StatusCode {
  kOk = 0,
  kMalformed,            // input that cannot be read: syntax, type, unknown field (400)
  kInvalidArgument,      // well-formed input with a value that is not acceptable (422)
  kNotFound,             // a referenced record does not exist (404)
  kFailedPrecondition,   // illegal state transition, conflicting state (409)
  kAlreadyExists,        // duplicate id or name (409)
  kPermissionDenied,     // authenticated but not allowed (403)
  kUnauthenticated,      // no or bad credentials (401)
  kResourceExhausted,    // too large, too many in one request (413)
  kRateLimited,          // too many requests for now; the message says when to retry (429)
  kMethodNotAllowed,     // the path does not take this method (405)
  kUnsupportedMedia,     // the body is not of the type the route reads (415)
  kUpgradeRequired,      // a WebSocket route asked for without the upgrade (426)
  kUnavailable,          // temporarily unable (503)
  kInsufficientStorage,  // the disk is full: nothing was stored; retry when space returns (507)
  kDataLoss,             // corrupt or truncated stored data
  kInternal,             // a bug or an unexpected library failure (500)
};

const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message, std::string field = {})
      : code_(code), message_(std::move(message)), field_(std::move(field)) {}

  static Status Ok() { return {}; }
  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  const std::string& field() const { return field_; }
  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  std::string field_;
};

inline Status InvalidArgument(std::string msg, std::string field = {}) {
  return {StatusCode::kInvalidArgument, std::move(msg), std::move(field)};
}
inline Status NotFound(std::string msg, std::string field = {}) {
  return {StatusCode::kNotFound, std::move(msg), std::move(field)};
}
inline Status FailedPrecondition(std::string msg, std::string field = {}) {
  return {StatusCode::kFailedPrecondition, std::move(msg), std::move(field)};
}
inline Status AlreadyExists(std::string msg, std::string field = {}) {
  return {StatusCode::kAlreadyExists, std::move(msg), std::move(field)};
}
inline Status Malformed(std::string msg, std::string field = {}) {
  return {StatusCode::kMalformed, std::move(msg), std::move(field)};
}
// Input that a library judged InvalidArgument but that cannot be read at all (a body, a file
// or a parameter that fails to parse) is kMalformed at the edge; other codes are kept.
inline Status AsMalformed(Status s) {
  if (s.code() != StatusCode::kInvalidArgument) return s;
  return {StatusCode::kMalformed, s.message(), s.field()};
}
// The N of "retry after N s" in a kRateLimited status (RateLimited's message), or 0: the
// server's Retry-After.
int RetryAfterSeconds(const Status& status);
inline Status InsufficientStorage(std::string msg) {
  return {StatusCode::kInsufficientStorage, std::move(msg)};
}
inline Status RateLimited(std::string msg) {
  return {StatusCode::kRateLimited, std::move(msg)};
}
inline Status ResourceExhausted(std::string msg, std::string field = {}) {
  return {StatusCode::kResourceExhausted, std::move(msg), std::move(field)};
}
inline Status DataLoss(std::string msg) {
  return {StatusCode::kDataLoss, std::move(msg)};
}
inline Status Internal(std::string msg) {
  return {StatusCode::kInternal, std::move(msg)};
}
inline Status Unavailable(std::string msg) {
  return {StatusCode::kUnavailable, std::move(msg)};
}

// A value or the reason there is none.
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(T value) : v_(std::move(value)) {}        // NOLINT: implicit on purpose
  StatusOr(Status status) : v_(std::move(status)) {  // NOLINT
    assert(!std::get<Status>(v_).ok() && "StatusOr needs a value or an error");
  }
  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace ncc

// Returns early with the error of an expression that yields a Status.
#define NCC_RETURN_IF_ERROR(expr)              \
  do {                                         \
    ::ncc::Status ncc_status_ = (expr);        \
    if (!ncc_status_.ok()) return ncc_status_; \
  } while (0)

// Declares or assigns `lhs` from an expression that yields a StatusOr, or returns its error.
#define NCC_ASSIGN_OR_RETURN(lhs, expr) \
  NCC_ASSIGN_OR_RETURN_IMPL_(NCC_STATUS_CONCAT_(ncc_status_or_, __LINE__), lhs, expr)
#define NCC_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp.ok()) return tmp.status();              \
  lhs = std::move(*tmp)
#define NCC_STATUS_CONCAT_(a, b) NCC_STATUS_CONCAT_INNER_(a, b)
#define NCC_STATUS_CONCAT_INNER_(a, b) a##b
