#include "core/codec.h"

#include <gtest/gtest.h>

#include "core/json_writer.h"
#include "core/stored_event.h"

namespace ncc {
namespace {

Event SampleEvent() {
  IncidentCreated c{IncidentId(7), "fire.structure", 1, {37.7749, -122.4194}, "100 Main St", "",
                    "smoke"};
  return Event{{Seq(3), Time{1586250000123}, "dispatcher-1", "fire", Classification::kRestricted},
               c};
}

TEST(Codec, EventRoundTripsThroughStorage) {
  Event e = SampleEvent();
  StoredEvent s = Encode(e, Hash{});
  auto back = Decode(s);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  const auto& c = std::get<IncidentCreated>(back->body);
  EXPECT_EQ(c.id, IncidentId(7));
  EXPECT_EQ(c.type, "fire.structure");
  EXPECT_EQ(c.location, (LatLon{37.7749, -122.4194}));
  EXPECT_EQ(back->meta.actor, "dispatcher-1");
  EXPECT_EQ(s.hash, ChainHash(s));
}

TEST(Codec, EveryTruncationIsAnErrorNotACrash) {
  StoredEvent s = Encode(SampleEvent(), Hash{});
  for (size_t n = 0; n < s.payload.size(); ++n) {
    StoredEvent cut = s;
    cut.payload.resize(n);
    auto r = Decode(cut);
    EXPECT_FALSE(r.ok()) << "prefix of " << n << " bytes decoded";
    EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  }
}

TEST(Codec, HostileCountDoesNotAllocate) {
  std::string bytes;
  BinaryWriter w(bytes);
  w.Varint(uint64_t{1} << 60);  // a vector that claims 2^60 items
  BinaryReader r(bytes);
  std::vector<std::string> v;
  r.Read(v);
  EXPECT_FALSE(r.ok());
}

TEST(Codec, EnumOutOfRangeIsRefused) {
  std::string bytes;
  BinaryWriter(bytes).Varint(200);
  BinaryReader r(bytes);
  IncidentStatus s;
  r.Read(s);
  EXPECT_FALSE(r.ok());
}

TEST(Codec, HashChangesWithAnyField) {
  StoredEvent s = Encode(SampleEvent(), Hash{});
  StoredEvent t = s;
  t.actor = "someone-else";
  EXPECT_NE(ChainHash(t), s.hash);
  t = s;
  t.prev_hash[0] ^= 1;
  EXPECT_NE(ChainHash(t), s.hash);
  t = s;
  t.payload.back() ^= 1;
  EXPECT_NE(ChainHash(t), s.hash);
}

TEST(Json, EventUsesNamesAndIsoTimes) {
  auto j = EventToJson(SampleEvent());
  EXPECT_EQ(j["type"], "incident_created");
  EXPECT_EQ(j["time"], "2020-04-07T09:00:00.123Z");
  EXPECT_EQ(j["data"]["location"]["lat"], 37.7749);
  EXPECT_EQ(j["classification"], "restricted");
}

TEST(Json, TimeParsesWhatItFormats) {
  Time t;
  ASSERT_TRUE(ParseTime("2020-04-07T09:00:00.123Z", t));
  EXPECT_EQ(t.ms, 1586250000123);
  ASSERT_TRUE(ParseTime("2020-04-07T12:00:00+03:00", t));
  EXPECT_EQ(t.ms, 1586250000000);
  EXPECT_FALSE(ParseTime("2020-04-07T09:00:00", t));  // no zone
  EXPECT_FALSE(ParseTime("2020-13-07T09:00:00Z", t));
  EXPECT_FALSE(ParseTime("yesterday", t));
  EXPECT_EQ(FormatTime(Time{0}), "1970-01-01T00:00:00.000Z");
}

}  // namespace
}  // namespace ncc
