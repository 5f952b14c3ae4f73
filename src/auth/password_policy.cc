#include "auth/password_policy.h"

#include <pwquality.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <mutex>

namespace ncc::auth {

namespace {

size_t CodePoints(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

bool OnlyWhitespace(std::string_view s) {
  return s.find_first_not_of(" \t\n\r\f\v") == std::string_view::npos;
}

Status Refused(std::string why) {
  return InvalidArgument(std::move(why), "password");
}

// libpwquality's verdict on the dictionary and simplicity rules; the length rules are ours.
Status Pwquality(std::string_view password, std::string_view username, const std::string& dict) {
  // cracklib keeps static state while it reads its dictionary: one check at a time.
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  pwquality_settings_t* settings = pwquality_default_settings();
  if (!settings) return Internal("libpwquality: out of memory");
  // Defaults of the library, not /etc/security/pwquality.conf: the rules are ncc's, the same on
  // every machine. Its own length rule is set to its minimum (ours is checked before).
  pwquality_set_int_value(settings, PWQ_SETTING_MIN_LENGTH, 6);
  pwquality_set_int_value(settings, PWQ_SETTING_DICT_CHECK, 1);
  pwquality_set_int_value(settings, PWQ_SETTING_USER_CHECK, 1);
  pwquality_set_str_value(settings, PWQ_SETTING_DICT_PATH, dict.c_str());
  const std::string pw(password), user(username);
  void* aux = nullptr;
  int score =
      pwquality_check(settings, pw.c_str(), nullptr, user.empty() ? nullptr : user.c_str(), &aux);
  Status out = Status::Ok();
  if (score < 0) {
    char buf[PWQ_MAX_ERROR_MESSAGE_LEN];
    const char* why = pwquality_strerror(buf, sizeof buf, score, aux);
    out = Refused(std::string("password is too common or too simple: ") +
                  (why ? why : "refused by libpwquality"));
  }
  pwquality_free_settings(settings);
  return out;
}

}  // namespace

bool DictionaryAvailable(const PasswordPolicy& policy) {
  std::error_code ec;
  return !policy.dictionary.empty() && std::filesystem::exists(policy.dictionary + ".pwd", ec) &&
         std::filesystem::exists(policy.dictionary + ".pwi", ec);
}

Status CheckPasswordPolicy(std::string_view password, std::string_view username,
                           const PasswordPolicy& policy) {
  if (CodePoints(password) < policy.min_length)
    return Refused("password must be at least " + std::to_string(policy.min_length) +
                   " characters");
  if (OnlyWhitespace(password)) return Refused("password must not be only whitespace");
  if (password.size() > 1024) return Refused("password must be at most 1024 bytes");
  if (!DictionaryAvailable(policy)) {
    spdlog::warn(
        "password policy: cracklib dictionary {} not found (install cracklib-runtime); checked "
        "length only, not against common passwords",
        policy.dictionary);
    return Status::Ok();
  }
  return Pwquality(password, username, policy.dictionary);
}

}  // namespace ncc::auth
