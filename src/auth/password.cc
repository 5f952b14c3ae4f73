#include "auth/password.h"

#include <argon2.h>

#include <vector>

#include "auth/secret.h"

namespace ncc::auth {

namespace {
constexpr size_t kSaltBytes = 16;
constexpr size_t kHashBytes = 32;
constexpr size_t kMaxPassword = 1024;  // bounds the work an attacker can ask of us
}  // namespace

StatusOr<std::string> HashPassword(std::string_view password, const Argon2Params& params) {
  if (password.empty()) return InvalidArgument("password is empty", "password");
  if (password.size() > kMaxPassword) return InvalidArgument("password too long", "password");
  StatusOr<std::string> salt = RandomBytes(kSaltBytes);
  if (!salt.ok()) return salt.status();
  size_t len = argon2_encodedlen(params.time_cost, params.memory_kib, params.parallelism,
                                 kSaltBytes, kHashBytes, Argon2_id);
  std::vector<char> encoded(len);
  int rc = argon2id_hash_encoded(params.time_cost, params.memory_kib, params.parallelism,
                                 password.data(), password.size(), salt->data(), salt->size(),
                                 kHashBytes, encoded.data(), encoded.size());
  if (rc != ARGON2_OK) return Internal(std::string("argon2: ") + argon2_error_message(rc));
  return std::string(encoded.data());
}

bool VerifyPasswordHash(std::string_view password, const std::string& encoded) {
  if (password.size() > kMaxPassword || encoded.rfind("$argon2id$", 0) != 0) return false;
  return argon2id_verify(encoded.c_str(), password.data(), password.size()) == ARGON2_OK;
}

bool NeedsRehash(const std::string& encoded, const Argon2Params& params) {
  const std::string expected = "$argon2id$v=19$m=" + std::to_string(params.memory_kib) +
                               ",t=" + std::to_string(params.time_cost) +
                               ",p=" + std::to_string(params.parallelism) + "$";
  return encoded.rfind(expected, 0) != 0;
}

}  // namespace ncc::auth
