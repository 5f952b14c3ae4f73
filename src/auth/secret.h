// Small building blocks for secrets: random bytes from the OS CSPRNG (OpenSSL RAND_bytes),
// SHA-256, base64url and a comparison whose time does not depend on where inputs differ.
// Stateless: any thread may call them.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace ncc::auth {

using Digest = std::array<uint8_t, 32>;

// `n` random bytes; kInternal if the CSPRNG fails (never falls back to a weak source).
StatusOr<std::string> RandomBytes(size_t n);
// A new secret token: `prefix` + base64url of 32 random bytes (256 bits).
StatusOr<std::string> NewToken(std::string_view prefix);
// A password for a person to type: `length` characters from an alphabet without look-alikes.
StatusOr<std::string> NewPassword(size_t length = 20);

Digest Sha256(std::string_view data);
std::string Hex(std::string_view bytes);
std::string Hex(const Digest& d);
std::string Base64Url(std::string_view bytes);
// The bytes of a lowercase or uppercase hex string; nullopt if it is not hex.
std::optional<std::string> FromHex(std::string_view hex);
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace ncc::auth
