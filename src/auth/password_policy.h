// What a chosen password must be before it is hashed (`ncc user add`, `ncc user passwd`):
//   - at least 12 characters (UTF-8 code points), and not only whitespace;
//   - not a common password: Debian's libpwquality with cracklib's dictionary (words, their
//     mangled forms, keyboard runs, too few different characters, the username itself).
// When the dictionary is not installed (package cracklib-runtime), the length rules still
// apply and a warning says the dictionary check was skipped. Thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/status.h"

namespace ncc::auth {

// cracklib's dictionary on Debian (cracklib-runtime): the .pwd/.pwi/.hwm files without suffix.
inline constexpr std::string_view kCracklibDictionary = "/var/cache/cracklib/cracklib_dict";

struct PasswordPolicy {
  size_t min_length = 12;
  std::string dictionary = std::string(kCracklibDictionary);
};

// OK, or kInvalidArgument (field "password") saying why: "password must be at least 12
// characters", "password must not be only whitespace", "password is too common or too simple:
// <libpwquality's reason>".
Status CheckPasswordPolicy(std::string_view password, std::string_view username,
                           const PasswordPolicy& policy = {});

// Whether the dictionary check can run (the dictionary's files exist).
bool DictionaryAvailable(const PasswordPolicy& policy);

}  // namespace ncc::auth
