// The hub of TAK clients: which incident a chat or marker names, what kind an event is, and
// who a relayed document reaches (the key's visibility, <marti><dest>, never the sender).
#include "exchange/cot/hub.h"

#include <gtest/gtest.h>

#include "core/commands.h"
#include "exchange/cot/tak_proto.h"

namespace ncc::cot {
namespace {

CotEvent Chat(std::string chatroom) {
  CotEvent e;
  e.uid = "GeoChat.A.room.1";
  e.type = "b-t-f";
  e.how = "h-g-i-g-o";
  e.chatroom = std::move(chatroom);
  e.chat_sender = "Alpha";
  e.remarks = "need support";
  return e;
}

auth::Principal Key(std::string agency, Classification clearance) {
  auth::Principal p;
  p.kind = auth::Principal::Kind::kGateway;
  p.user = "gateway:tak-" + agency;
  p.agency = std::move(agency);
  p.clearance = clearance;
  p.lanes = {auth::Lane::kCot};
  return p;
}

TEST(TakHub, TheConventionNamesAnIncident) {
  EXPECT_EQ(NamedIncident(Chat("incident-12")), IncidentId(12));
  for (const char* room :
       {"All Chat Rooms", "incident-", "incident-0", "incident-+3", "incident-12x", "incident- 4",
        "Incident-4", "incident-99999999999999999999"})
    EXPECT_FALSE(NamedIncident(Chat(room))) << room;
  CotEvent by_id = Chat("Ops");
  by_id.chat_id = "ncc-incident-7";
  EXPECT_EQ(NamedIncident(by_id), IncidentId(7));
  CotEvent marker;
  marker.type = "b-m-p-s-m";
  marker.links = {"ANDROID-1", "ncc-incident-42"};
  EXPECT_EQ(NamedIncident(marker), IncidentId(42));
  marker.links = {"ANDROID-1"};
  EXPECT_FALSE(NamedIncident(marker));
}

TEST(TakHub, KindsOfEvents) {
  CotEvent e;
  auto kind = [&](std::string type, std::string how) {
    e.type = std::move(type);
    e.how = std::move(how);
    return KindOf(e);
  };
  EXPECT_EQ(kind("b-t-f", "h-g-i-g-o"), Kind::kChat);
  EXPECT_EQ(kind("a-f-G-U-C", "m-g"), Kind::kOwnPosition);
  EXPECT_EQ(kind("a-f-G-U-C", "h-e"), Kind::kOwnPosition);
  EXPECT_EQ(kind("a-f-G-U-C", "h-g-i-g-o"), Kind::kMarker);  // a friendly marker placed by hand
  EXPECT_EQ(kind("a-h-G", "h-g-i-g-o"), Kind::kMarker);
  EXPECT_EQ(kind("a-u-G", "m-g"), Kind::kMarker);
  EXPECT_EQ(kind("b-m-p-s-m", "h-g-i-g-o"), Kind::kMarker);
  EXPECT_EQ(kind("u-d-f", "h-e"), Kind::kMarker);
  EXPECT_EQ(kind("t-x-takp-q", "m-g"), Kind::kNegotiation);
  EXPECT_EQ(kind("t-x-c-t", "h-g-i-g-o"), Kind::kOther);
  EXPECT_EQ(kind("b-f-t-r", "h-e"), Kind::kOther);
}

TEST(TakHub, TextsForTheIncident) {
  EXPECT_EQ(ChatMessageText(Chat("incident-1")), "Alpha: need support");
  CotEvent silent = Chat("incident-1");
  silent.remarks.clear();
  EXPECT_FALSE(ChatMessageText(silent));
  CotEvent longer = Chat("incident-1");
  longer.remarks = std::string(Limits::kMessage, 'x') + "\xc3\xa9";
  longer.remarks.insert(Limits::kMessage - 8, "\xc3\xa9");  // "é" across the cut
  auto cut = ChatMessageText(longer);
  ASSERT_TRUE(cut);
  EXPECT_LE(cut->size(), Limits::kMessage);
  EXPECT_NE(static_cast<unsigned char>(cut->back()), 0xc3);
  CotEvent marker;
  marker.uid = "m1";
  marker.type = "a-h-G";
  marker.callsign = "Hostile 1";
  marker.point.lat = 25.2854;
  marker.point.lon = 51.531;
  marker.remarks = "two vehicles";
  EXPECT_EQ(MarkerNoteText(marker),
            "TAK marker \"Hostile 1\" (a-h-G) at 25.285400,51.531000: two vehicles");
}

struct Inbox {
  std::vector<std::string> got;
  Hub::Deliver deliver() {
    return [this](RelayedPtr d) { got.push_back(d->xml()); };
  }
};

TEST(TakHub, RelaysToTheOtherClientsWhoseKeysMaySeeIt) {
  Hub hub;
  Inbox a, b, fire, low;
  uint64_t ia = hub.Join(Key("police", Classification::kConfidential), a.deliver());
  hub.Join(Key("police", Classification::kConfidential), b.deliver());
  hub.Join(Key("fire", Classification::kSecret), fire.deliver());
  hub.Join(Key("police", Classification::kPublic), low.deliver());
  auth::RecordLabel police{"police", Classification::kRestricted, {}};
  EXPECT_EQ(hub.Relay(ia, police, Chat("All Chat Rooms"), "<event uid='1'/>"), 1u);
  EXPECT_TRUE(a.got.empty()) << "the sender got its own message back";
  EXPECT_EQ(b.got, std::vector<std::string>{"<event uid='1'/>"});
  EXPECT_TRUE(fire.got.empty()) << "another agency's key";
  EXPECT_TRUE(low.got.empty()) << "a key cleared below the label";
  // Shared with fire: a gateway works for its own agency only, as on the feed.
  auth::RecordLabel shared{"police", Classification::kRestricted, {"fire"}};
  EXPECT_EQ(hub.Relay(ia, shared, Chat("incident-1"), "<event uid='2'/>"), 1u);
  EXPECT_TRUE(fire.got.empty());
  auth::RecordLabel secret{"police", Classification::kSecret, {}};
  EXPECT_EQ(hub.Relay(ia, secret, Chat("incident-2"), "<event uid='3'/>"), 0u);
  EXPECT_EQ(hub.clients(), 4u);
}

TEST(TakHub, MartiDestinationsLimitTheRelayToTheNamedContacts) {
  Hub hub;
  Inbox a, b, c;
  uint64_t ia = hub.Join(Key("police", Classification::kRestricted), a.deliver());
  uint64_t ib = hub.Join(Key("police", Classification::kRestricted), b.deliver());
  uint64_t ic = hub.Join(Key("police", Classification::kRestricted), c.deliver());
  hub.Identify(ib, "ANDROID-B", "Bravo");
  hub.Identify(ic, "ANDROID-C", "Charlie");
  auth::RecordLabel police{"police", Classification::kRestricted, {}};
  CotEvent direct = Chat("Bravo");
  direct.dest_uids = {"ANDROID-B"};
  EXPECT_EQ(hub.Relay(ia, police, direct, "to-b"), 1u);
  direct.dest_uids.clear();
  direct.dest_callsigns = {"Charlie"};
  EXPECT_EQ(hub.Relay(ia, police, direct, "to-c"), 1u);
  EXPECT_EQ(b.got, std::vector<std::string>{"to-b"});
  EXPECT_EQ(c.got, std::vector<std::string>{"to-c"});
  hub.Leave(ib);
  EXPECT_EQ(hub.Relay(ia, police, Chat("All Chat Rooms"), "all"), 1u);
  EXPECT_EQ(c.got.back(), "all");
  EXPECT_EQ(b.got.size(), 1u) << "a client that left gets nothing";
}

TEST(TakHub, TheV1FormIsMadeOnceAndFramed) {
  Relayed doc(
      "<event uid='u' type='b-t-f' how='h-e' time='2020-02-08T18:10:46.207Z' "
      "start='2020-02-08T18:10:46.207Z' stale='2020-02-08T18:11:13.207Z'><point lat='1' "
      "lon='2'/><detail><remarks>hi</remarks></detail></event>");
  const std::string& framed = doc.framed_proto();
  ASSERT_FALSE(framed.empty());
  EXPECT_EQ(static_cast<unsigned char>(framed[0]), kTakMagic);
  EXPECT_EQ(&framed, &doc.framed_proto());
}

}  // namespace
}  // namespace ncc::cot

namespace ncc::cot {
namespace {

TEST(TakHub, TheParserReadsWhatTheHubNeeds) {
  auto e = ParseEvent(
      "<event version=\"2.0\" uid=\"p\" type=\"t-x-takp-q\" how=\"m-g\" "
      "time=\"2026-12-03T19:00:00Z\" start=\"2026-12-03T19:00:00Z\" "
      "stale=\"2026-12-03T19:01:00Z\"><point lat=\"0\" lon=\"0\" hae=\"9999999\" ce=\"9999999\" "
      "le=\"9999999\"/><detail><TakControl><TakRequest version=\"1\"/></TakControl><__chat "
      "chatroom=\"incident-4\" id=\"ncc-incident-4\" senderCallsign=\"A\"/><link uid=\"L1\"/>"
      "<marti><dest uid=\"U1\"/><dest callsign=\"C1\"/></marti></detail></event>");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->tak_request, 1);
  EXPECT_EQ(e->chatroom, "incident-4");
  EXPECT_EQ(e->chat_id, "ncc-incident-4");
  EXPECT_EQ(e->chat_sender, "A");
  EXPECT_EQ(e->links, std::vector<std::string>{"L1"});
  EXPECT_EQ(e->dest_uids, std::vector<std::string>{"U1"});
  EXPECT_EQ(e->dest_callsigns, std::vector<std::string>{"C1"});
  auto bad = ParseEvent(
      "<event uid=\"p\" type=\"t-x-takp-q\" time=\"2026-12-03T19:00:00Z\" "
      "start=\"2026-12-03T19:00:00Z\" stale=\"2026-12-03T19:01:00Z\"><point lat=\"0\" lon=\"0\"/>"
      "<detail><TakControl><TakRequest version=\"1.5\"/></TakControl></detail></event>");
  EXPECT_EQ(bad.status().field(), "TakRequest@version");
}

}  // namespace
}  // namespace ncc::cot
