#include "geocode/geocoder.h"

#include <gtest/gtest.h>

#include "geocode/text.h"

namespace ncc::geocode {
namespace {

Name N(const std::string& text) {
  return {text, CanonicalTokens(text)};
}

// Two streets crossing at node 2, a third that stops 20 m short of the first, a house, a
// hospital with an Arabic name.
PlaceIndex SmallTown() {
  PlaceIndex idx;
  idx.node_at = {{1, {25.0000, 51.0000}}, {2, {25.0010, 51.0000}}, {3, {25.0020, 51.0000}},
                 {4, {25.0010, 50.9990}}, {5, {25.0010, 51.0010}}, {6, {25.0000, 51.0002}},
                 {7, {25.0000, 51.0010}}};
  idx.streets.push_back({{N("Main Street")}, {1, 2, 3}, {25.0010, 51.0000}});
  idx.streets.push_back({{N("Corniche Road"), N("طريق الكورنيش")}, {2, 4, 5}, {25.0010, 51.0}});
  idx.streets.push_back({{N("Short Lane")}, {6, 7}, {25.0000, 51.0006}});
  idx.addresses.push_back({"12", 0, "Main Street", {25.0005, 51.0001}});
  idx.addresses.push_back({"14", 0, "Main Street", {25.0007, 51.0001}});
  idx.places.push_back({{N("Hamad General Hospital"), N("مستشفى حمد العام")},
                        "amenity=hospital",
                        {25.0030, 51.0030}});
  IndexPlaces(idx);
  return idx;
}

std::vector<Match> Find(const PlaceIndex& idx, const std::string& q) {
  auto r = Search(idx, {q, 10, std::nullopt});
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : std::vector<Match>{};
}

TEST(Geocoder, CrossingByAnySeparator) {
  PlaceIndex idx = SmallTown();
  for (const char* q :
       {"MAIN ST/CORNICHE RD", "main st & corniche road", "Main and Corniche", "corniche @ main"}) {
    auto m = Find(idx, q);
    ASSERT_FALSE(m.empty()) << q;
    EXPECT_EQ(m[0].kind, "intersection") << q;
    EXPECT_NEAR(m[0].at.lat, 25.0010, 1e-9) << q;
    EXPECT_NEAR(m[0].at.lon, 51.0000, 1e-9) << q;
  }
}

TEST(Geocoder, StreetsThatAlmostMeetCrossAtTheirGap) {
  auto m = Find(SmallTown(), "Main St / Short Ln");
  ASSERT_FALSE(m.empty());
  EXPECT_EQ(m[0].kind, "intersection");
  EXPECT_NEAR(m[0].at.lon, 51.0001, 1e-6);
}

TEST(Geocoder, HouseBlockAndMissingNumber) {
  PlaceIndex idx = SmallTown();
  auto house = Find(idx, "12 main st");
  ASSERT_FALSE(house.empty());
  EXPECT_EQ(house[0].kind, "address");
  EXPECT_EQ(house[0].at.lat, 25.0005);

  auto block = Find(idx, "0 Block of MAIN ST");
  ASSERT_FALSE(block.empty());
  EXPECT_EQ(block[0].kind, "block");
  EXPECT_NEAR(block[0].at.lat, 25.0006, 1e-9);  // the middle of 12 and 14

  auto missing = Find(idx, "700 main street");
  ASSERT_FALSE(missing.empty());
  EXPECT_EQ(missing[0].kind, "street");
  EXPECT_NE(missing[0].note.find("700"), std::string::npos);
}

TEST(Geocoder, LandmarkAsTheCallerTypesInEitherLanguage) {
  PlaceIndex idx = SmallTown();
  auto typing = Find(idx, "hamad hosp");
  ASSERT_FALSE(typing.empty());
  EXPECT_EQ(typing[0].kind, "place");
  EXPECT_EQ(typing[0].what, "amenity=hospital");
  auto arabic = Find(idx, "مستشفي حمد");
  ASSERT_FALSE(arabic.empty());
  EXPECT_EQ(arabic[0].label, "مستشفى حمد العام");
  auto street = Find(idx, "الكورنيش");
  ASSERT_FALSE(street.empty());
  EXPECT_EQ(street[0].label, "طريق الكورنيش");
}

TEST(Geocoder, NothingMatchesIsAnEmptyAnswerNotAnError) {
  EXPECT_TRUE(Find(SmallTown(), "nowhere at all").empty());
}

TEST(Geocoder, Coordinates) {
  auto m = Find(SmallTown(), "37.79, -122.41");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].kind, "coordinates");
  EXPECT_EQ(m[0].at.lat, 37.79);
  EXPECT_EQ(m[0].at.lon, -122.41);
}

TEST(Geocoder, RefusesBadQueriesNamingTheField) {
  PlaceIndex idx = SmallTown();
  auto empty = Search(idx, {"  ,, ", 10, std::nullopt});
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().field(), "q");
  auto long_q = Search(idx, {std::string(kMaxQueryBytes + 1, 'a'), 10, std::nullopt});
  ASSERT_FALSE(long_q.ok());
  EXPECT_EQ(long_q.status().field(), "q");
  auto limit = Search(idx, {"main", 0, std::nullopt});
  ASSERT_FALSE(limit.ok());
  EXPECT_EQ(limit.status().field(), "limit");
  auto near = Search(idx, {"main", 5, LatLon{99, 0}});
  ASSERT_FALSE(near.ok());
  EXPECT_EQ(near.status().field(), "near.lat");
}

TEST(Geocoder, NearPrefersTheCloserOfEqualNames) {
  PlaceIndex idx;
  idx.node_at = {{1, {25, 51}}, {2, {26, 52}}};
  idx.places.push_back({{N("Fire Station")}, "amenity=fire_station", {25, 51}});
  idx.places.push_back({{N("Fire Station")}, "amenity=fire_station", {26, 52}});
  IndexPlaces(idx);
  auto m = Search(idx, {"fire station", 10, LatLon{26, 52}});
  ASSERT_TRUE(m.ok());
  ASSERT_EQ(m->size(), 2u);
  EXPECT_EQ((*m)[0].at.lat, 26);
}

}  // namespace
}  // namespace ncc::geocode
