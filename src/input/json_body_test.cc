#include "input/json_body.h"

#include <gtest/gtest.h>

namespace ncc {
namespace {

TEST(JsonBody, DeepNestingIsRefusedBeforeParsing) {
  std::string deep(100000, '[');
  auto r = ParseJsonBody(deep);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("nested deeper than"), std::string::npos);
  EXPECT_TRUE(
      ParseJsonBody(R"({"a":"[[[[[[[[[[[[[[[[[[[[[[[["})").ok());  // brackets inside strings
}

TEST(JsonBody, MalformedJsonSaysWhere) {
  auto r = ParseJsonBody(R"({"type": "fire", )");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("malformed JSON"), std::string::npos);
}

TEST(JsonBody, FieldErrorsNameThePath) {
  auto j = *ParseJsonBody(R"({"type": 5, "location": {"lat": "x", "lon": 1}})");
  FieldReader f(j, {"type", "location"});
  f.String("type", true);
  EXPECT_EQ(f.status().field(), "type");
  EXPECT_EQ(f.status().message(), "must be a string");
  EXPECT_EQ(f.status().code(), StatusCode::kMalformed);  // answered 400 by the server

  FieldReader g(j, {"type", "location"});
  g.Location("location", true);
  EXPECT_EQ(g.status().field(), "location.lat");

  FieldReader h(j, {"type"});
  EXPECT_EQ(h.status().field(), "location");
  EXPECT_EQ(h.status().message(), "unknown field");
}

TEST(JsonBody, TimestampsAcceptIsoWithZoneOrMillis) {
  auto j = *ParseJsonBody(
      R"({"a": "2020-04-07T09:00:00Z", "b": 1586250000000, "c": "2020-04-07 09:00"})");
  FieldReader f(j, {"a", "b", "c"});
  EXPECT_EQ(f.Timestamp("a", true)->ms, 1586250000000);
  EXPECT_EQ(f.Timestamp("b", true)->ms, 1586250000000);
  EXPECT_FALSE(f.Timestamp("c", true));
  EXPECT_EQ(f.status().field(), "c");
}

}  // namespace
}  // namespace ncc
