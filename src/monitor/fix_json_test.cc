#include "monitor/fix_json.h"

#include <gtest/gtest.h>

#include "monitor/mqtt_bridge.h"

namespace ncc::monitor {
namespace {

TEST(FixJson, OneFixOrAnArrayWithPerItemErrors) {
  auto one = ParseFixPayload(R"({"lat":52.5,"lon":13.4,"time":"2026-11-29T10:00:00Z","speed":3})",
                             UnitId(7));
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one->fixes.size(), 1u);
  EXPECT_EQ(one->fixes[0].unit, UnitId(7));
  EXPECT_DOUBLE_EQ(one->fixes[0].speed, 3);
  auto many = ParseFixPayload(
      R"([{"lat":1,"lon":2,"time":5},{"lat":"x","lon":2,"time":5},{"lon":2,"time":5},{"lat":1,"lon":2,"time":5,"alt":9}])",
      UnitId(7));
  ASSERT_TRUE(many.ok());
  EXPECT_EQ(many->fixes.size(), 1u);
  ASSERT_EQ(many->bad.size(), 3u);
  EXPECT_EQ(many->bad[0].field, "[1].lat");
  EXPECT_EQ(many->bad[1].field, "[2].lat");
  EXPECT_EQ(many->bad[2].field, "[3].alt");
}

TEST(FixJson, WholePayloadErrors) {
  EXPECT_EQ(ParseFixPayload("nope", UnitId(1)).status().field(), "payload");
  EXPECT_EQ(
      ParseFixPayload(std::string(20, '[') + std::string(20, ']'), UnitId(1)).status().field(),
      "payload");
  EXPECT_EQ(ParseFixPayload(R"({"lat":1,"lon":2,"time":5,"unit":8})", UnitId(7))->bad[0].field,
            "unit");
}

// Found by positions_body_fuzz (fuzz/regressions/positions_body_fuzz/empty-member-name): a member
// with an empty name was refused naming the field "", so the rejection pointed at no field
// ("fixes[0]." over HTTP). It is named "" in quotes.
TEST(FixJson, AnEmptyMemberNameIsNamed) {
  const std::string bytes = "{\"\":7}";  // the fuzzer's input, without its Content-Type byte
  auto lone = ReadFixObject(nlohmann::json::parse(bytes), UnitId(), "");
  ASSERT_FALSE(lone.ok());
  EXPECT_EQ(lone.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(lone.status().field(), "\"\"");
  EXPECT_EQ(lone.status().message(), "unknown field");
  auto mqtt = ParseFixPayload("[" + bytes + "]", UnitId(7));
  ASSERT_TRUE(mqtt.ok());
  ASSERT_EQ(mqtt->bad.size(), 1u);
  EXPECT_EQ(mqtt->bad[0].field, "[0].\"\"");
}

TEST(MqttTopic, AvlTopicNamesAgencyAndUnit) {
  std::string agency;
  UnitId unit;
  ASSERT_TRUE(MqttBridge::ParseAvlTopic("ncc/avl/police/12", agency, unit));
  EXPECT_EQ(agency, "police");
  EXPECT_EQ(unit, UnitId(12));
  EXPECT_FALSE(MqttBridge::ParseAvlTopic("ncc/avl/police/0", agency, unit));
  EXPECT_FALSE(MqttBridge::ParseAvlTopic("ncc/avl//12", agency, unit));
  EXPECT_FALSE(MqttBridge::ParseAvlTopic("ncc/avl/police/12/x", agency, unit));
  EXPECT_FALSE(MqttBridge::ParseAvlTopic("ncc/alarm/x", agency, unit));
}

}  // namespace
}  // namespace ncc::monitor
