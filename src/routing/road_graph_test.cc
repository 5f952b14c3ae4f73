#include "routing/road_graph.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "routing/graph_builder.h"
#include "routing/routing_service.h"
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

std::string WriteBytes(const std::string& bytes, const std::string& name) {
  std::string path = testing::TempDir() + "/" + name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

// Load checks only the header and the section table (milliseconds for any size); a corrupt
// payload is found by Verify, which RoutingService runs at open or in the background.
TEST(RoutingGraphFileTest, PayloadCorruptionIsFoundByVerifyAndStopsTheService) {
  std::string bytes = SmallGraphBytes();
  bytes[bytes.size() / 2] ^= 0x5a;
  std::string path = WriteBytes(bytes, "corrupt.graph");
  auto g = RoadGraph::Load(path);
  ASSERT_TRUE(g.ok()) << "header and section table are intact";
  Status v = (*g)->Verify();
  EXPECT_EQ(v.code(), StatusCode::kDataLoss);
  EXPECT_NE(v.message().find("checksum mismatch in section"), std::string::npos) << v.message();

  auto at_open = RoutingService::Open(path, {1e9, GraphVerification::kAtOpen});
  EXPECT_EQ(at_open.status().code(), StatusCode::kDataLoss);

  auto svc = RoutingService::Open(path, {1e9, GraphVerification::kBackground});
  ASSERT_TRUE(svc.ok());
  EXPECT_EQ((*svc)->WaitForVerification().code(), StatusCode::kDataLoss);
  EXPECT_EQ((*svc)->Health().code(), StatusCode::kDataLoss);
  LatLon p = (*svc)->graph().Position(0);
  EXPECT_EQ((*svc)->Route(p, p).status().code(), StatusCode::kDataLoss);
  EXPECT_EQ((*svc)->Eta(p, {p}).status().code(), StatusCode::kDataLoss);
  EXPECT_EQ((*svc)->fleet().Upsert(1, p).code(), StatusCode::kDataLoss);
  EXPECT_EQ((*svc)->fleet().ToPoint(p).status().code(), StatusCode::kDataLoss);
  std::filesystem::remove(path);
}

TEST(RoutingGraphFileTest, IntactFileVerifiesInTheBackground) {
  std::string path = WriteBytes(SmallGraphBytes(), "good.graph");
  auto svc = RoutingService::Open(path);
  ASSERT_TRUE(svc.ok()) << svc.status().ToString();
  EXPECT_TRUE((*svc)->WaitForVerification().ok());
  LatLon p = (*svc)->graph().Position(3);
  EXPECT_TRUE((*svc)->Route(p, (*svc)->graph().Position(7)).ok());
  std::filesystem::remove(path);
}

TEST(RoutingGraphFileTest, HeaderCorruptionFailsAtLoad) {
  std::string bytes = SmallGraphBytes();
  bytes[33] ^= 0x01;  // the node count
  std::string path = WriteBytes(bytes, "badheader.graph");
  auto g = RoadGraph::Load(path);
  EXPECT_EQ(g.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(g.status().message().find("header checksum"), std::string::npos);
  bytes = SmallGraphBytes();
  bytes[128 + 3 * 24] ^= 0x08;  // the offset of section 3 (head) in the section table
  RoadGraph::Reseal(bytes);
  g = RoadGraph::FromBytes(bytes);
  EXPECT_EQ(g.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(g.status().message().find("section head"), std::string::npos) << g.status().message();
  std::filesystem::remove(path);
}

// With correct checksums (a file made to pass them), the structural checks still refuse
// anything a query could trip over.
TEST(RoutingGraphFileTest, StructuralFaultsBehindValidChecksumsAreDataLoss) {
  std::string good = SmallGraphBytes();
  uint64_t head_offset;
  std::memcpy(&head_offset, good.data() + 128 + 3 * 24, 8);
  std::string bytes = good;
  uint32_t huge = 0x7fffffff;
  std::memcpy(bytes.data() + head_offset, &huge, 4);  // head[0] out of range
  RoadGraph::Reseal(bytes);
  auto g = RoadGraph::FromBytes(bytes);
  EXPECT_EQ(g.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(g.status().message().find("bad edge"), std::string::npos) << g.status().message();
  RoadGraph::Reseal(good);
  EXPECT_TRUE(RoadGraph::FromBytes(good).ok()) << "Reseal of an intact file changes nothing";
}

TEST(RoutingGraphFileTest, BadMagicIsDataLoss) {
  std::string bytes = SmallGraphBytes();
  bytes[0] = 'X';
  EXPECT_EQ(RoadGraph::FromBytes(bytes).status().code(), StatusCode::kDataLoss);
}

}  // namespace
}  // namespace ncc::routing
