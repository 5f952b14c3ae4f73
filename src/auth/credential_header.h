// Parses the credential a request carries, before any lookup: "Authorization: Bearer <token>"
// for people, "Authorization: ApiKey <key>" or "X-API-Key: <key>" for gateways and sensors.
// Untrusted input (fuzzed by fuzz/auth_token_fuzz.cc). Pure: any thread may call.
#pragma once

#include <string_view>

#include "core/status.h"

namespace ncc::auth {

enum class CredentialKind : uint8_t { kBearer, kApiKey };

struct Credential {
  CredentialKind kind = CredentialKind::kBearer;
  std::string_view token;  // points into the header value passed in
};

inline constexpr size_t kMaxCredentialLength = 256;

// The scheme is case-insensitive (RFC 9110 11.1); the token must be a token68 of at most
// kMaxCredentialLength characters. kUnauthenticated: "missing credentials" (empty),
// "unsupported authorization scheme", or "malformed credentials".
StatusOr<Credential> ParseAuthorization(std::string_view header_value);
// The value of an X-API-Key header, same checks.
StatusOr<Credential> ParseApiKeyHeader(std::string_view header_value);

}  // namespace ncc::auth
