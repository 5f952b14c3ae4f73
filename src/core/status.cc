#include "core/status.h"

#include <charconv>

namespace ncc {

const char* StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "ok";
    case StatusCode::kMalformed:
      return "malformed";
    case StatusCode::kRateLimited:
      return "rate_limited";
    case StatusCode::kMethodNotAllowed:
      return "method_not_allowed";
    case StatusCode::kUnsupportedMedia:
      return "unsupported_media_type";
    case StatusCode::kUpgradeRequired:
      return "upgrade_required";
    case StatusCode::kInvalidArgument:
      return "invalid_argument";
    case StatusCode::kNotFound:
      return "not_found";
    case StatusCode::kFailedPrecondition:
      return "failed_precondition";
    case StatusCode::kAlreadyExists:
      return "already_exists";
    case StatusCode::kPermissionDenied:
      return "permission_denied";
    case StatusCode::kUnauthenticated:
      return "unauthenticated";
    case StatusCode::kResourceExhausted:
      return "resource_exhausted";
    case StatusCode::kUnavailable:
      return "unavailable";
    case StatusCode::kInsufficientStorage:
      return "insufficient_storage";
    case StatusCode::kDataLoss:
      return "data_loss";
    case StatusCode::kInternal:
      return "internal";
  }
  return "unknown";
}

int RetryAfterSeconds(const Status& status) {
  if (status.code() != StatusCode::kRateLimited) return 0;
  const std::string& m = status.message();
  size_t at = m.rfind("retry after ");
  if (at == std::string::npos) return 0;
  int n = 0;
  std::from_chars(m.data() + at + 12, m.data() + m.size(), n);
  return n;
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  std::string s = StatusCodeName(code_);
  s += ": ";
  s += message_;
  if (!field_.empty()) s += " (field: " + field_ + ")";
  return s;
}

}  // namespace ncc
