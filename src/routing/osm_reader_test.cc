// Hostile and broken OSM input must come back as a Status, never a crash.
#include "routing/osm_reader.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "routing/road_profile.h"
#include "routing/test_data.h"

namespace ncc::routing {
namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

std::string WriteTemp(const std::string& name, const std::string& bytes) {
  std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

TEST(RoutingOsmReaderTest, MissingFileIsNotFound) {
  EXPECT_EQ(ReadOsm("/nonexistent/none.osm.pbf").status().code(), StatusCode::kNotFound);
}

TEST(RoutingOsmReaderTest, UnknownSuffixIsInvalidArgument) {
  std::string path = WriteTemp("roads.txt", "hello");
  EXPECT_EQ(ReadOsm(path).status().code(), StatusCode::kInvalidArgument);
}

TEST(RoutingOsmReaderTest, GarbagePbfIsDataLoss) {
  std::string path = WriteTemp("garbage.osm.pbf", std::string(4096, '\x7f'));
  auto r = ReadOsm(path);
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss) << r.status().ToString();
}

TEST(RoutingOsmReaderTest, TruncatedPbfIsDataLoss) {
  NCC_REQUIRE_OSM_DATA();
  std::string bytes = Slurp(testing_support::OsmDir() + "/monaco.osm.pbf");
  ASSERT_GT(bytes.size(), 100000u);
  for (size_t len : {size_t{10}, size_t{1000}, bytes.size() / 2}) {
    std::string path = WriteTemp("truncated.osm.pbf", bytes.substr(0, len));
    auto r = ReadOsm(path);
    EXPECT_EQ(r.status().code(), StatusCode::kDataLoss) << len << ": " << r.status().ToString();
  }
}

TEST(RoutingOsmReaderTest, CorruptPbfBlobIsDataLoss) {
  NCC_REQUIRE_OSM_DATA();
  std::string bytes = Slurp(testing_support::OsmDir() + "/monaco.osm.pbf");
  for (size_t i = bytes.size() / 3; i < bytes.size() / 3 + 64; ++i) bytes[i] ^= 0x55;
  auto r = ReadOsm(WriteTemp("corrupt.osm.pbf", bytes));
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss) << r.status().ToString();
}

TEST(RoutingOsmReaderTest, TruncatedXmlIsDataLoss) {
  std::string xml =
      "<?xml version='1.0'?><osm version='0.6'><node id='1' lat='1' lon='1'/><way id='2'>"
      "<nd ref='1'/><tag k='highway' v='prim";
  auto r = ReadOsm(WriteTemp("cut.osm", xml));
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss) << r.status().ToString();
}

TEST(RoutingOsmReaderTest, XmlEntityExpansionIsRejected) {
  std::string xml =
      "<?xml version='1.0'?><!DOCTYPE osm [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;'>]>"
      "<osm version='0.6'><node id='1' lat='1' lon='1'><tag k='x' v='&b;'/></node></osm>";
  auto r = ReadOsm(WriteTemp("entities.osm", xml));
  EXPECT_FALSE(r.ok());
}

TEST(RoutingOsmReaderTest, SmallXmlNetworkWithRestriction) {
  std::string xml = R"(<?xml version='1.0'?><osm version='0.6'>
<node id='1' lat='0.000' lon='0.000'/><node id='2' lat='0.000' lon='0.001'/>
<node id='3' lat='0.001' lon='0.001'/><node id='4' lat='0.000' lon='0.002'/>
<way id='10'><nd ref='1'/><nd ref='2'/><tag k='highway' v='residential'/></way>
<way id='11'><nd ref='2'/><nd ref='3'/><tag k='highway' v='residential'/><tag k='oneway' v='-1'/></way>
<way id='12'><nd ref='2'/><nd ref='4'/><tag k='highway' v='service'/><tag k='access' v='private'/></way>
<relation id='20'><member type='way' ref='10' role='from'/><member type='node' ref='2' role='via'/>
<member type='way' ref='11' role='to'/><tag k='type' v='restriction'/><tag k='restriction' v='no_left_turn'/></relation>
</osm>)";
  auto r = ReadOsm(WriteTemp("tiny.osm", xml));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->osm_way.size(), 2u);  // the private service road is not ours
  ASSERT_EQ(r->segments.size(), 2u);
  EXPECT_TRUE(r->segments[1].backward);
  EXPECT_FALSE(r->segments[1].forward);  // oneway=-1
  ASSERT_EQ(r->restrictions.size(), 1u);
  EXPECT_FALSE(r->restrictions[0].only);
}

TEST(RoutingProfileTest, MaxspeedForms) {
  EXPECT_EQ(ParseMaxspeedKmh("50"), 50);
  EXPECT_NEAR(*ParseMaxspeedKmh("30 mph"), 48.28, 0.01);
  EXPECT_EQ(ParseMaxspeedKmh("RU:urban"), std::nullopt);
  EXPECT_EQ(ParseMaxspeedKmh("none"), std::nullopt);
  EXPECT_EQ(ParseMaxspeedKmh("99999"), std::nullopt);
}

}  // namespace
}  // namespace ncc::routing
