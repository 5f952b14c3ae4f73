#include "routing/road_graph.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "routing/graph_builder.h"
#include "routing/synthetic.h"

namespace ncc::routing {
namespace {

std::string SmallGraphBytes() {
  return RoadGraph::Serialize(BuildGraph(SyntheticRoadGrid(12, 5)).arrays);
}

TEST(RoutingGraphFileTest, RoundTripsThroughAFile) {
  std::string path = testing::TempDir() + "/rt.graph";
  BuiltGraph b = BuildGraph(SyntheticRoadGrid(12, 5));
  ASSERT_TRUE(RoadGraph::Write(b.arrays, path).ok());
  auto g = RoadGraph::Load(path);
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  EXPECT_EQ((*g)->node_count(), b.arrays.lat_e7.size());
  EXPECT_EQ((*g)->edge_count(), b.arrays.head.size());
  std::filesystem::remove(path);
}

TEST(RoutingGraphFileTest, MissingFileIsNotFound) {
  auto g = RoadGraph::Load("/nonexistent/x.graph");
  EXPECT_EQ(g.status().code(), StatusCode::kNotFound);
}

TEST(RoutingGraphFileTest, WrongVersionIsRejected) {
  std::string bytes = SmallGraphBytes();
  uint32_t v = 99;
  std::memcpy(bytes.data() + 8, &v, 4);
  auto g = RoadGraph::FromBytes(bytes);
  EXPECT_EQ(g.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(g.status().message().find("version 99"), std::string::npos);
}

TEST(RoutingGraphFileTest, FlippedPayloadByteFailsTheChecksum) {
  std::string bytes = SmallGraphBytes();
  bytes[bytes.size() / 2] ^= 0x5a;
  auto g = RoadGraph::FromBytes(bytes);
  EXPECT_EQ(g.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(g.status().message().find("checksum"), std::string::npos);
}

TEST(RoutingGraphFileTest, TruncatedFileIsDataLossAtEveryLength) {
  std::string bytes = SmallGraphBytes();
  for (size_t len :
       {size_t{0}, size_t{10}, size_t{127}, size_t{128}, bytes.size() / 2, bytes.size() - 1}) {
    auto g = RoadGraph::FromBytes(std::string_view(bytes).substr(0, len));
    EXPECT_EQ(g.status().code(), StatusCode::kDataLoss) << len;
  }
}

TEST(RoutingGraphFileTest, BadMagicIsDataLoss) {
  std::string bytes = SmallGraphBytes();
  bytes[0] = 'X';
  EXPECT_EQ(RoadGraph::FromBytes(bytes).status().code(), StatusCode::kDataLoss);
}

}  // namespace
}  // namespace ncc::routing
