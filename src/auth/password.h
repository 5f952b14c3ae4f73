// Password hashing with Argon2id (RFC 9106), stored in the PHC encoded form
// "$argon2id$v=19$m=19456,t=2,p=1$salt$hash" so the parameters travel with each hash and can be
// raised later without breaking old hashes. Stateless: any thread may call these (each call
// allocates `memory_kib` for its duration).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace ncc::auth {

struct Argon2Params {
  uint32_t time_cost = 2;           // passes
  uint32_t memory_kib = 19 * 1024;  // 19 MiB: OWASP's minimum for Argon2id
  uint32_t parallelism = 1;
  // Sign-ins hashing at once; more wait. Bounds memory (19 MiB each) under a login flood.
  int max_concurrent = 4;
  // Tiny parameters for tests only: fast, and still the same code path.
  static Argon2Params ForTests() { return {1, 64, 1, 4}; }
};

// kInvalidArgument for an empty or over-long (> 1024 bytes) password.
StatusOr<std::string> HashPassword(std::string_view password, const Argon2Params& params);
// True only if `encoded` is a valid Argon2id hash of `password`.
bool VerifyPasswordHash(std::string_view password, const std::string& encoded);
// True if `encoded` was made with other parameters than `params` (then re-hash at next sign-in).
bool NeedsRehash(const std::string& encoded, const Argon2Params& params);

}  // namespace ncc::auth
