// How place names and queries are compared: both are cut into the same canonical tokens, so
// "GEARY BLVD", "Geary Boulevard" and "geary blvd." meet, and Arabic names match with or without
// diacritics and whatever form of alef the caller typed. Pure functions, any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ncc::geocode {

// Lower-cased ASCII, Arabic folded (diacritics and tatweel dropped; أ إ آ ٱ → ا, ة → ه,
// ى → ي; Arabic-Indic digits → 0-9), every other character kept; split on anything that is
// neither a letter nor a digit. Invalid UTF-8 bytes separate tokens and are dropped.
std::vector<std::string> Tokens(std::string_view text);

// A token with its street-type abbreviation written out ("st" → "street", "av"/"ave" →
// "avenue", "blvd" → "boulevard", ...) and ordinals unified ("6th" stays "6th").
std::string Canonical(std::string_view token);

// Tokens() then Canonical() of each.
std::vector<std::string> CanonicalTokens(std::string_view text);

// True for a token that is a house number: digits, optionally up to three letters ("12a",
// "4bis"), but not an ordinal ("6th").
bool IsHouseNumber(std::string_view token);

}  // namespace ncc::geocode
