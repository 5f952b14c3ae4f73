#include "monitor/avl_wire.h"

#include <gtest/gtest.h>

namespace ncc::monitor::wire {
namespace {

std::span<const uint8_t> Bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

TEST(AvlWire, RecordsRoundTripAtE7Precision) {
  PositionFix f{UnitId(42), {52.5200066, 13.4049540}, Time{1'790'000'000'123}, 13.37, 271.5};
  std::string d = EncodeDatagram("ncc_ak_x", 7, {&f, 1});
  std::string key;
  uint32_t id = 0;
  std::vector<PositionFix> out;
  ASSERT_TRUE(ParseDatagram(Bytes(d), key, id, out).ok());
  EXPECT_EQ(key, "ncc_ak_x");
  EXPECT_EQ(id, 7u);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].unit, f.unit);
  EXPECT_EQ(out[0].time, f.time);
  EXPECT_DOUBLE_EQ(out[0].position.lat, 52.5200066);
  EXPECT_DOUBLE_EQ(out[0].position.lon, 13.4049540);
  EXPECT_DOUBLE_EQ(out[0].speed, 13.37);
  EXPECT_DOUBLE_EQ(out[0].heading, 271.5);
}

TEST(AvlWire, DatagramLengthMustMatchCount) {
  PositionFix f{UnitId(1), {1, 2}, Time{3}, 0, 0};
  std::string d = EncodeDatagram("k", 1, {&f, 1});
  std::string key;
  uint32_t id;
  std::vector<PositionFix> out;
  EXPECT_EQ(ParseDatagram(Bytes(d.substr(0, d.size() - 1)), key, id, out).field(), "count");
  EXPECT_EQ(ParseDatagram(Bytes(d + "x"), key, id, out).field(), "count");
  EXPECT_EQ(ParseDatagram(Bytes("NAVX" + d.substr(4)), key, id, out).field(), "magic");
}

TEST(AvlWire, HelloNeedsMoreBytesThenParses) {
  std::string h = EncodeHello("secret");
  std::string key;
  EXPECT_EQ(*ParseHello(Bytes(h.substr(0, 3)), key), 0u);
  EXPECT_EQ(*ParseHello(Bytes(h.substr(0, 8)), key), 0u);
  EXPECT_EQ(*ParseHello(Bytes(h), key), h.size());
  EXPECT_EQ(key, "secret");
  EXPECT_FALSE(ParseHello(Bytes("GET / HTTP/1.1"), key).ok());
}

TEST(AvlWire, BatchHeaderRefusesEmptyAndGiantBatches) {
  uint32_t id;
  uint16_t count;
  std::string b = EncodeBatch(9, {});
  EXPECT_EQ(ParseBatchHeader(Bytes(b), id, count).status().field(), "count");
  b[5] = static_cast<char>(0x11), b[6] = static_cast<char>(0x27);  // 10001
  EXPECT_EQ(ParseBatchHeader(Bytes(b), id, count).status().field(), "count");
}

TEST(AvlWire, AckRoundTrip) {
  Ack a{5, 3, {{1, 6}, {4, 8}}};
  std::string s = EncodeAck(a);
  Ack b;
  EXPECT_EQ(*ParseAck(Bytes(s.substr(0, 10)), b), 0u);
  ASSERT_EQ(*ParseAck(Bytes(s), b), s.size());
  EXPECT_EQ(b.batch_id, 5u);
  EXPECT_EQ(b.accepted, 3u);
  EXPECT_EQ(b.rejected, a.rejected);
}

}  // namespace
}  // namespace ncc::monitor::wire
