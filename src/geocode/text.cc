#include "geocode/text.h"

#include <array>
#include <cstdint>
#include <utility>

namespace ncc::geocode {
namespace {

// Decodes one UTF-8 sequence at s[i]; returns the code point (or -1 for an invalid byte) and
// advances i past it.
int32_t NextCodePoint(std::string_view s, size_t& i) {
  auto b = static_cast<unsigned char>(s[i]);
  int len = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 0;
  if (len == 0 || i + len > s.size()) {
    ++i;
    return -1;
  }
  int32_t cp = len == 1 ? b : b & (0x7F >> len);
  for (int k = 1; k < len; ++k) {
    auto c = static_cast<unsigned char>(s[i + k]);
    if ((c >> 6) != 0x2) {
      ++i;
      return -1;
    }
    cp = (cp << 6) | (c & 0x3F);
  }
  i += len;
  return cp;
}

void AppendUtf8(std::string& out, int32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// The folded code point, 0 to drop it, -1 for a separator.
int32_t Fold(int32_t cp) {
  if (cp < 0) return -1;
  if (cp < 0x80) {
    if (cp >= 'A' && cp <= 'Z') return cp + ('a' - 'A');
    if ((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9')) return cp;
    if (cp == '\'') return 0;  // "o'farrell" and "ofarrell" meet
    return -1;
  }
  if ((cp >= 0x064B && cp <= 0x065F) || cp == 0x0670 || cp == 0x0640) return 0;  // harakat, tatweel
  if (cp == 0x0623 || cp == 0x0625 || cp == 0x0622 || cp == 0x0671) return 0x0627;  // alef forms
  if (cp == 0x0629) return 0x0647;                                                  // teh marbuta
  if (cp == 0x0649) return 0x064A;                                                  // alef maksura
  if (cp >= 0x0660 && cp <= 0x0669) return '0' + (cp - 0x0660);  // Arabic-Indic digits
  if (cp >= 0x06F0 && cp <= 0x06F9) return '0' + (cp - 0x06F0);  // Eastern Arabic-Indic
  if (cp == 0x060C || cp == 0x061B || cp == 0x061F || cp == 0x066B || cp == 0x066C) return -1;
  if (cp >= 0x00C0 && cp <= 0x00DE && cp != 0x00D7) return cp + 0x20;  // Latin-1 capitals
  if (cp == 0x00A0 || (cp >= 0x2000 && cp <= 0x206F) || (cp >= 0x00A1 && cp <= 0x00BF))
    return -1;  // spaces, dashes, quotes, punctuation
  return cp;
}

constexpr std::array<std::pair<std::string_view, std::string_view>, 32> kAbbreviations{{
    {"st", "street"},      {"str", "street"},   {"av", "avenue"},       {"ave", "avenue"},
    {"blvd", "boulevard"}, {"bl", "boulevard"}, {"rd", "road"},         {"dr", "drive"},
    {"ln", "lane"},        {"ct", "court"},     {"pl", "place"},        {"ter", "terrace"},
    {"wy", "way"},         {"hwy", "highway"},  {"pkwy", "parkway"},    {"cir", "circle"},
    {"aly", "alley"},      {"sq", "square"},    {"expy", "expressway"}, {"fwy", "freeway"},
    {"plz", "plaza"},      {"hl", "hill"},      {"mt", "mount"},        {"ctr", "center"},
    {"centre", "center"},  {"n", "north"},      {"s", "south"},         {"e", "east"},
    {"w", "west"},         {"bd", "boulevard"}, {"al", "alley"},        {"tr", "terrace"},
}};

}  // namespace

std::vector<std::string> Tokens(std::string_view text) {
  std::vector<std::string> out;
  std::string current;
  for (size_t i = 0; i < text.size();) {
    int32_t cp = Fold(NextCodePoint(text, i));
    if (cp == 0) continue;
    if (cp < 0) {
      if (!current.empty()) out.push_back(std::move(current));
      current.clear();
      continue;
    }
    AppendUtf8(current, cp);
  }
  if (!current.empty()) out.push_back(std::move(current));
  return out;
}

std::string Canonical(std::string_view token) {
  for (const auto& [abbr, full] : kAbbreviations)
    if (token == abbr) return std::string(full);
  return std::string(token);
}

std::vector<std::string> CanonicalTokens(std::string_view text) {
  std::vector<std::string> tokens = Tokens(text);
  for (std::string& t : tokens) t = Canonical(t);
  return tokens;
}

bool IsHouseNumber(std::string_view token) {
  size_t digits = 0;
  while (digits < token.size() && token[digits] >= '0' && token[digits] <= '9') ++digits;
  if (digits == 0 || digits > 6) return false;
  std::string_view suffix = token.substr(digits);
  if (suffix.size() > 3) return false;
  for (char c : suffix)
    if (c < 'a' || c > 'z') return false;
  // "6th" names a street, "12a" and "4bis" a house.
  return suffix != "st" && suffix != "nd" && suffix != "rd" && suffix != "th";
}

}  // namespace ncc::geocode
