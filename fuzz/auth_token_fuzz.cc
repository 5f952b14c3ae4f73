// Fuzzes what a client controls in every request: the Authorization and X-API-Key header
// values. The parser must never crash, accept only a bounded token68 taken from the input, and
// no made-up credential may authenticate against a store that holds real tokens.
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "auth/credential_header.h"
#include "auth/token_service.h"

namespace {

using namespace ncc::auth;

struct Store {
  std::string dir;
  ManualClock clock;
  std::unique_ptr<AuthDb> db;
  std::unique_ptr<CredentialStore> users;
  std::unique_ptr<TokenService> tokens;
};

Store& TheStore() {
  static Store* s = [] {
    auto* st = new Store;
    std::string tmpl = (std::filesystem::temp_directory_path() / "ncc-auth-fuzz-XXXXXX").string();
    st->dir = ::mkdtemp(tmpl.data());
    st->db = AuthDb::Open(st->dir).value();
    st->users = std::make_unique<CredentialStore>(*st->db, st->clock, Argon2Params::ForTests());
    st->tokens = std::make_unique<TokenService>(*st->db, *st->users, st->clock);
    (void)st->users->AddUser({"anna", "police", {{"police", Role::kDispatcher}}, {}}, "pw");
    (void)st->tokens->Login("anna", "pw");
    (void)st->tokens->CreateApiKey({"gw", "police", {Lane::kPositions}, {}, false});
    return st;
  }();
  return *s;
}

bool IsToken68Char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~' || c == '+' || c == '/' || c == '=';
}

void CheckAccepted(std::string_view input, const ncc::StatusOr<Credential>& c) {
  if (!c.ok()) {
    if (c.status().code() != ncc::StatusCode::kUnauthenticated) std::abort();
    return;
  }
  std::string_view t = c->token;
  if (t.empty() || t.size() > kMaxCredentialLength) std::abort();
  if (t.data() < input.data() || t.data() + t.size() > input.data() + input.size()) std::abort();
  for (char ch : t)
    if (!IsToken68Char(ch)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  CheckAccepted(input, ParseAuthorization(input));
  CheckAccepted(input, ParseApiKeyHeader(input));
  // Nothing the fuzzer makes up is one of the store's 256-bit tokens.
  if (TheStore().tokens->AuthenticateHeader(input).ok()) std::abort();
  return 0;
}
