#include "geocode/text.h"

#include <gtest/gtest.h>

namespace ncc::geocode {
namespace {

using V = std::vector<std::string>;

TEST(GeocodeText, LowerCasesSplitsAndWritesOutStreetTypes) {
  EXPECT_EQ(CanonicalTokens("GEARY BLVD"), (V{"geary", "boulevard"}));
  EXPECT_EQ(CanonicalTokens("Geary Boulevard"), (V{"geary", "boulevard"}));
  EXPECT_EQ(CanonicalTokens("  masonic  av. "), (V{"masonic", "avenue"}));
  EXPECT_EQ(CanonicalTokens("O'Farrell St"), (V{"ofarrell", "street"}));
  EXPECT_EQ(CanonicalTokens("6TH AVE"), (V{"6th", "avenue"}));
  EXPECT_EQ(CanonicalTokens("Rue-Grimaldi"), (V{"rue", "grimaldi"}));
}

TEST(GeocodeText, FoldsArabicSpellings) {
  // With and without harakat, hamza on the alef, teh marbuta and alef maksura.
  EXPECT_EQ(Tokens("مُسْتَشْفَى حَمَد"), Tokens("مستشفي حمد"));
  EXPECT_EQ(Tokens("أحمد"), Tokens("احمد"));
  EXPECT_EQ(Tokens("مدرسة"), Tokens("مدرسه"));
  EXPECT_EQ(Tokens("شارع ١٢"), (V{"شارع", "12"}));
  EXPECT_EQ(Tokens("شارع، الكورنيش"), Tokens("شارع الكورنيش"));
}

TEST(GeocodeText, InvalidUtf8SeparatesAndIsDropped) {
  EXPECT_EQ(Tokens("ab\xff"
                   "cd"),
            (V{"ab", "cd"}));
  EXPECT_EQ(Tokens("ab\xc3"), (V{"ab"}));  // cut sequence at the end
  EXPECT_TRUE(Tokens("\x80\x80\x80").empty());
}

TEST(GeocodeText, HouseNumbers) {
  EXPECT_TRUE(IsHouseNumber("12"));
  EXPECT_TRUE(IsHouseNumber("12a"));
  EXPECT_TRUE(IsHouseNumber("4bis"));
  EXPECT_FALSE(IsHouseNumber("6th"));
  EXPECT_FALSE(IsHouseNumber("22nd"));
  EXPECT_FALSE(IsHouseNumber("12abcd"));
  EXPECT_FALSE(IsHouseNumber("a12"));
  EXPECT_FALSE(IsHouseNumber("1234567"));
  EXPECT_FALSE(IsHouseNumber(""));
}

}  // namespace
}  // namespace ncc::geocode
