#include "geo/geojson.h"

#include <gtest/gtest.h>

namespace ncc::geo {
namespace {

constexpr const char* kCollection = R"({
  "type": "FeatureCollection",
  "features": [
    {"type": "Feature",
     "properties": {"id": "hamad-airport", "name": "Hamad International", "kind": "critical_site"},
     "geometry": {"type": "Polygon", "coordinates": [
        [[51.60, 25.24], [51.64, 25.24], [51.64, 25.29], [51.60, 25.29], [51.60, 25.24]],
        [[51.61, 25.25], [51.62, 25.25], [51.62, 25.26], [51.61, 25.25]]]}},
    {"type": "Feature", "id": "sectors-west",
     "properties": {"name": "West sectors", "kind": "sector", "restricted": false},
     "geometry": {"type": "MultiPolygon", "coordinates": [
        [[[51.40, 25.20], [51.45, 25.20], [51.45, 25.25], [51.40, 25.20]]],
        [[[51.30, 25.20], [51.35, 25.20], [51.35, 25.25, 12.0], [51.30, 25.20]]]]}}
  ]})";

TEST(GeoJson, ReadsFeatureCollection) {
  auto zones = ParseZonesGeoJson(kCollection);
  ASSERT_TRUE(zones.ok()) << zones.status().ToString();
  ASSERT_EQ(zones->size(), 2u);
  const Zone& airport = (*zones)[0];
  EXPECT_EQ(airport.id, "hamad-airport");
  EXPECT_EQ(airport.kind, ZoneKind::kCriticalSite);
  EXPECT_TRUE(airport.restricted);
  ASSERT_EQ(airport.polygons.size(), 1u);
  EXPECT_EQ(airport.polygons[0].holes().size(), 1u);
  EXPECT_TRUE(airport.Contains({25.28, 51.63}));
  EXPECT_FALSE(airport.Contains({25.252, 51.618}));  // in the hole
  const Zone& west = (*zones)[1];
  EXPECT_EQ(west.id, "sectors-west");
  EXPECT_FALSE(west.restricted);
  EXPECT_EQ(west.polygons.size(), 2u);
}

TEST(GeoJson, ReadsSingleFeature) {
  auto zones = ParseZonesGeoJson(R"({"type":"Feature","properties":{"id":"s","name":"S",
    "kind":"stadium"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}})");
  ASSERT_TRUE(zones.ok()) << zones.status().ToString();
  EXPECT_EQ((*zones)[0].kind, ZoneKind::kStadium);
}

struct BadCase {
  const char* json;
  const char* field;
};

class GeoJsonRejects : public ::testing::TestWithParam<BadCase> {};

TEST_P(GeoJsonRejects, NamesTheField) {
  auto r = ParseZonesGeoJson(GetParam().json);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().field(), GetParam().field) << r.status().ToString();
}

#define FEATURE(props, geom)                                                         \
  R"({"type":"FeatureCollection","features":[{"type":"Feature","properties":)" props \
  R"(,"geometry":)" geom "}]}"
#define OK_PROPS R"({"id":"a","name":"A","kind":"sector"})"
#define OK_GEOM R"({"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]})"

INSTANTIATE_TEST_SUITE_P(
    Cases, GeoJsonRejects,
    ::testing::Values(
        BadCase{"[]", "type"}, BadCase{"{\"type\":\"Point\"}", "type"}, BadCase{"not json", ""},
        BadCase{R"({"type":"FeatureCollection"})", "features"},
        BadCase{FEATURE(R"({"name":"A","kind":"sector"})", OK_GEOM), "features[0].id"},
        BadCase{FEATURE(R"({"id":"a","kind":"sector"})", OK_GEOM), "features[0].properties.name"},
        BadCase{FEATURE(R"({"id":"a","name":"A","kind":"moon"})", OK_GEOM),
                "features[0].properties.kind"},
        BadCase{FEATURE(R"({"id":"a","name":"A","kind":"sector","restricted":"yes"})", OK_GEOM),
                "features[0].properties.restricted"},
        BadCase{FEATURE(OK_PROPS, R"({"type":"Point","coordinates":[0,0]})"),
                "features[0].geometry.type"},
        BadCase{FEATURE(OK_PROPS, R"({"type":"Polygon","coordinates":[[[0,0],[1,0],[0,0]]]})"),
                "features[0].geometry.coordinates[0]"},
        BadCase{
            FEATURE(OK_PROPS, R"({"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]})"),
            "features[0].geometry.coordinates[0]"},
        BadCase{
            FEATURE(OK_PROPS, R"({"type":"Polygon","coordinates":[[[0,0],[1,0],[1,"x"],[0,0]]]})"),
            "features[0].geometry.coordinates[0][2][1]"},
        BadCase{
            FEATURE(OK_PROPS, R"({"type":"Polygon","coordinates":[[[0,0],[1,0],[1,95],[0,0]]]})"),
            "features[0].geometry.coordinates[0][2][1]"},
        BadCase{
            FEATURE(OK_PROPS, R"({"type":"Polygon","coordinates":[[[0,0],[181,0],[1,5],[0,0]]]})"),
            "features[0].geometry.coordinates[0][1][0]"},
        BadCase{
            FEATURE(OK_PROPS,
                    R"({"type":"Polygon","coordinates":[[[-179,0],[179,0],[179,5],[-179,0]]]})"),
            "features[0].geometry.coordinates[0]"},
        BadCase{
            FEATURE(
                OK_PROPS,
                R"({"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]],[[[0,0],[1,0],[1,1],[0,0]],[[0,0],[0,0],[0,0]]]]})"),
            "features[0].geometry.coordinates[1][1]"}));

TEST(GeoJson, RejectsDuplicateIdsAndDeepNesting) {
  std::string two = R"({"type":"FeatureCollection","features":[)"
                    R"({"type":"Feature","properties":)" OK_PROPS R"(,"geometry":)" OK_GEOM
                    "},"
                    R"({"type":"Feature","properties":)" OK_PROPS R"(,"geometry":)" OK_GEOM "}]}";
  auto r = ParseZonesGeoJson(two);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().field(), "features[1].properties.id");
  std::string deep(100000, '[');
  EXPECT_EQ(ParseZonesGeoJson(deep).status().code(), StatusCode::kInvalidArgument);
}

TEST(GeoJson, EnforcesVertexLimit) {
  GeoJsonLimits limits;
  limits.max_vertices_per_zone = 3;
  auto r = ParseZonesGeoJson(FEATURE(OK_PROPS, OK_GEOM), limits);
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(r.status().field(), "features[0].geometry.coordinates[0]");
}

}  // namespace
}  // namespace ncc::geo
