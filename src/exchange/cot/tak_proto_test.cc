// TAK protocol v1: the 0xbf <varint> framing, and TakMessage <-> the XML event, on the real
// ATAK recordings ($NCC_DATA_DIR/cot/atak) and hostile messages written here.
#include "exchange/cot/tak_proto.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "takmessage.pb.h"

namespace ncc::cot {
namespace {

namespace fs = std::filesystem;
namespace pb = atakmap::commoncommo::protobuf::v1;

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> Drain(ProtoFramer& f) {
  std::vector<std::string> out;
  for (;;) {
    auto next = f.Next();
    EXPECT_TRUE(next.ok()) << next.status().ToString();
    if (!next.ok() || !*next) return out;
    out.push_back(**next);
  }
}

pb::TakMessage Message(std::string xml_detail) {
  pb::TakMessage m;
  pb::CotEvent& e = *m.mutable_cotevent();
  e.set_type("b-t-f");
  e.set_uid("GeoChat.A.incident-3.1");
  e.set_how("h-g-i-g-o");
  e.set_sendtime(1700000000000);
  e.set_starttime(1700000000000);
  e.set_staletime(1700000060000);
  e.set_lat(25.3);
  e.set_lon(51.5);
  e.set_hae(kUnknown);
  e.set_ce(kUnknown);
  e.set_le(kUnknown);
  e.mutable_detail()->set_xmldetail(std::move(xml_detail));
  e.mutable_detail()->mutable_contact()->set_callsign("Alpha <1>");
  return m;
}

TEST(TakProtoFramer, FramesArriveWholeWhateverTheReadBoundaries) {
  std::string small(5, 'a'), large(300, 'b');  // 300 needs a two-byte varint
  std::string stream = FrameTakMessage(small) + FrameTakMessage(large) + FrameTakMessage("");
  EXPECT_EQ(static_cast<unsigned char>(stream[0]), 0xbf);
  EXPECT_EQ(stream[1], 5);
  EXPECT_EQ(static_cast<unsigned char>(stream[8]), 0xac);  // 300 = 0b10'0101100
  EXPECT_EQ(stream[9], 2);
  ProtoFramer f;
  std::vector<std::string> got;
  for (char c : stream) {  // one byte per read
    f.Append(std::string_view(&c, 1));
    for (auto& p : Drain(f)) got.push_back(p);
  }
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0], small);
  EXPECT_EQ(got[1], large);
  EXPECT_EQ(got[2], "");
  EXPECT_EQ(f.consumed(), stream.size());
}

TEST(TakProtoFramer, ABadMagicByteIsAStickyError) {
  ProtoFramer f;
  f.Append(FrameTakMessage("ok") + "<event");
  auto first = f.Next();
  ASSERT_TRUE(first.ok() && *first);
  auto bad = f.Next();
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().field(), "stream");
  EXPECT_NE(bad.status().message().find("0xbf at stream byte 4"), std::string::npos);
  f.Append(FrameTakMessage("later"));
  EXPECT_FALSE(f.Next().ok());
}

TEST(TakProtoFramer, OversizedAndOverlongLengthsAreRefused) {
  ProtoFramer f(1000);
  f.Append(std::string("\xbf\xe9\x07", 3));  // 1001, before any payload byte arrives
  auto big = f.Next();
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.status().code(), StatusCode::kResourceExhausted);
  ProtoFramer g;
  g.Append("\xbf" + std::string(11, '\x80'));
  auto overlong = g.Next();
  ASSERT_FALSE(overlong.ok());
  EXPECT_NE(overlong.status().message().find("10-byte varint"), std::string::npos);
  ProtoFramer h;
  h.Append(std::string("\xbf\x80\x80", 3));  // an unfinished varint: wait
  auto wait = h.Next();
  ASSERT_TRUE(wait.ok());
  EXPECT_FALSE(*wait);
}

TEST(TakProto, RealAtakRecordingsSurviveTheRoundTrip) {
  const char* data = std::getenv("NCC_DATA_DIR");
  ASSERT_NE(data, nullptr);
  size_t n = 0;
  for (const auto& entry : fs::recursive_directory_iterator(std::string(data) + "/cot/atak/cot")) {
    if (entry.path().extension() != ".xml") continue;
    std::string xml = ReadFile(entry.path());
    auto original = ParseEvent(xml);
    ASSERT_TRUE(original.ok()) << entry.path() << original.status().ToString();
    auto payload = XmlToTakMessage(xml);
    ASSERT_TRUE(payload.ok()) << entry.path();
    auto back = TakMessageToXml(*payload);
    ASSERT_TRUE(back.ok() && *back) << entry.path() << back.status().ToString();
    auto e = ParseEvent(**back);
    ASSERT_TRUE(e.ok()) << entry.path() << e.status().ToString() << **back;
    EXPECT_EQ(e->uid, original->uid);
    EXPECT_EQ(e->type, original->type);
    EXPECT_EQ(e->how, original->how);
    EXPECT_EQ(e->time_ms, original->time_ms);
    EXPECT_EQ(e->stale_ms, original->stale_ms);
    EXPECT_DOUBLE_EQ(e->point.lat, original->point.lat);
    EXPECT_DOUBLE_EQ(e->point.hae, original->point.hae);
    EXPECT_EQ(e->callsign, original->callsign);
    EXPECT_EQ(e->group_name, original->group_name);
    EXPECT_EQ(e->speed, original->speed);
    EXPECT_EQ(e->remarks, original->remarks);
    EXPECT_EQ(e->chatroom, original->chatroom);
    EXPECT_EQ(e->links, original->links);
    ++n;
  }
  EXPECT_GT(n, 100u);
}

TEST(TakProto, TypedDetailIsTypedAndTheRestIsXmlDetail) {
  auto payload = XmlToTakMessage(
      "<event uid='u' type='a-f-G-U-C' how='m-g' time='2020-02-08T18:10:46.207Z' "
      "start='2020-02-08T18:10:46.207Z' stale='2020-02-08T18:11:13.207Z'><point lat='1' lon='2' "
      "hae='3' ce='4' le='5'/><detail><contact callsign='C0rv0' endpoint='*:-1:stcp'/><__group "
      "name='Cyan' role='Team Member'/><track speed='1.5' course='90'/><takv os='29'/>"
      "</detail></event>");
  ASSERT_TRUE(payload.ok());
  pb::TakMessage m;
  ASSERT_TRUE(m.ParseFromString(*payload));
  EXPECT_EQ(m.cotevent().detail().contact().callsign(), "C0rv0");
  EXPECT_EQ(m.cotevent().detail().group().name(), "Cyan");
  EXPECT_DOUBLE_EQ(m.cotevent().detail().track().course(), 90);
  EXPECT_EQ(m.cotevent().detail().xmldetail(), "<takv os=\"29\"/>");
  EXPECT_EQ(m.cotevent().sendtime(), 1581185446207u);
  EXPECT_DOUBLE_EQ(m.cotevent().le(), 5);
}

TEST(TakProto, AMessageIsTheSameEventAsXml) {
  std::string detail =
      "<__chat chatroom='incident-3' id='ncc-incident-3' senderCallsign='Alpha'/>"
      "<remarks>need &amp; more</remarks>";
  auto xml = TakMessageToXml(Message(detail).SerializeAsString());
  ASSERT_TRUE(xml.ok() && *xml) << xml.status().ToString();
  auto e = ParseEvent(**xml);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->type, "b-t-f");
  EXPECT_EQ(e->callsign, "Alpha <1>");
  EXPECT_EQ(e->chatroom, "incident-3");
  EXPECT_EQ(e->remarks, "need & more");
  EXPECT_EQ(e->time_ms, 1700000000000);
  EXPECT_EQ(e->stale_ms, 1700000060000);
}

TEST(TakProto, HostileMessagesAreRefusedNamingThePart) {
  auto garbage = TakMessageToXml(std::string("\xff\xff\xff\xff", 4));
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.status().field(), "takmessage");
  // xmlDetail that closes the event and opens another is not content of <detail>.
  auto escape = TakMessageToXml(
      Message("</detail></event><event uid='x' type='a-f-G'><detail>").SerializeAsString());
  ASSERT_FALSE(escape.ok());
  EXPECT_EQ(escape.status().field(), "xmlDetail");
  auto doctype =
      TakMessageToXml(Message("<!DOCTYPE x [<!ENTITY e 'y'>]><a>&e;</a>").SerializeAsString());
  ASSERT_FALSE(doctype.ok());
  EXPECT_EQ(doctype.status().field(), "xmlDetail");
  pb::TakMessage nan = Message("");
  nan.mutable_cotevent()->set_lat(std::nan(""));
  auto bad_lat = TakMessageToXml(nan.SerializeAsString());
  ASSERT_FALSE(bad_lat.ok());
  EXPECT_EQ(bad_lat.status().field(), "cotEvent.lat");
  pb::TakMessage late = Message("");
  late.mutable_cotevent()->set_staletime(UINT64_MAX);
  auto bad_time = TakMessageToXml(late.SerializeAsString());
  ASSERT_FALSE(bad_time.ok());
  EXPECT_EQ(bad_time.status().field(), "cotEvent.staleTime");
  // Out-of-range values come through to ParseEvent, which names them as for XML.
  pb::TakMessage far = Message("");
  far.mutable_cotevent()->set_lat(123);
  auto xml = TakMessageToXml(far.SerializeAsString());
  ASSERT_TRUE(xml.ok() && *xml);
  EXPECT_EQ(ParseEvent(**xml).status().field(), "point@lat");
}

TEST(TakProto, TakControlAloneIsNoEvent) {
  pb::TakMessage m;
  m.mutable_takcontrol()->set_minprotoversion(1);
  m.mutable_takcontrol()->set_maxprotoversion(1);
  auto xml = TakMessageToXml(m.SerializeAsString());
  ASSERT_TRUE(xml.ok());
  EXPECT_FALSE(*xml);
}

}  // namespace
}  // namespace ncc::cot
