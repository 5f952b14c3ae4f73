#include "auth/credential_header.h"

#include <algorithm>
#include <cctype>

namespace ncc::auth {
namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t';
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
bool IsToken68(std::string_view t) {
  size_t i = 0;
  for (; i < t.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(t[i]);
    if (!(std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/'))
      break;
  }
  if (i == 0) return false;
  for (; i < t.size(); ++i)
    if (t[i] != '=') return false;
  return true;
}

Status Unauthenticated(std::string msg) {
  return {StatusCode::kUnauthenticated, std::move(msg)};
}

StatusOr<Credential> Checked(CredentialKind kind, std::string_view token) {
  if (token.size() > kMaxCredentialLength || !IsToken68(token))
    return Unauthenticated("malformed credentials");
  return Credential{kind, token};
}

}  // namespace

StatusOr<Credential> ParseAuthorization(std::string_view header_value) {
  std::string_view v = Trim(header_value);
  if (v.empty()) return Unauthenticated("missing credentials");
  size_t sp = 0;
  while (sp < v.size() && !IsSpace(v[sp])) ++sp;
  std::string_view scheme = v.substr(0, sp);
  std::string_view token = Trim(v.substr(sp));
  CredentialKind kind;
  if (EqualsNoCase(scheme, "Bearer")) {
    kind = CredentialKind::kBearer;
  } else if (EqualsNoCase(scheme, "ApiKey")) {
    kind = CredentialKind::kApiKey;
  } else {
    return Unauthenticated("unsupported authorization scheme");
  }
  if (token.empty()) return Unauthenticated("missing credentials");
  return Checked(kind, token);
}

StatusOr<Credential> ParseApiKeyHeader(std::string_view header_value) {
  std::string_view v = Trim(header_value);
  if (v.empty()) return Unauthenticated("missing credentials");
  return Checked(CredentialKind::kApiKey, v);
}

}  // namespace ncc::auth
