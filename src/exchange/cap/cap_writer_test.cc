#include "exchange/cap/cap_writer.h"

#include <gtest/gtest.h>

namespace ncc::cap {
namespace {

Incident Sample() {
  Incident i;
  i.id = IncidentId(12);
  i.type = "fire.structure";
  i.priority = 1;
  i.location = {25.285447, 51.531040};
  i.address = "Corniche & West Bay <tower 3>";
  i.summary = "Smoke from 12th floor\nsecond line";
  i.agency = "fire";
  i.classification = Classification::kPublic;
  i.created = Time{1795992000000};  // 2026-11-29T22:40:00Z
  i.updated = i.created;
  i.last_seq = Seq(40);
  return i;
}

TEST(CapWriter, TimeHasSecondsAndAnOffsetNeverZ) {
  EXPECT_EQ(CapTime(Time{1795992000123}), "2026-11-29T22:40:00-00:00");
}

TEST(CapWriter, NewIncidentIsAnAlertWithItsFirstIdentifier) {
  std::string xml = WriteAlert(Sample(), {"ncc@qa"});
  EXPECT_NE(xml.find("<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\">"), std::string::npos);
  EXPECT_NE(xml.find("<identifier>ncc-ncc@qa-incident-12</identifier>"), std::string::npos);
  EXPECT_NE(xml.find("<msgType>Alert</msgType>"), std::string::npos);
  EXPECT_NE(xml.find("<scope>Public</scope>"), std::string::npos);
  EXPECT_EQ(xml.find("<restriction>"), std::string::npos);
  EXPECT_EQ(xml.find("<references>"), std::string::npos);
  EXPECT_NE(xml.find("<category>Fire</category>"), std::string::npos);
  EXPECT_NE(xml.find("<urgency>Immediate</urgency>"), std::string::npos);
  EXPECT_NE(xml.find("<severity>Extreme</severity>"), std::string::npos);
  EXPECT_NE(xml.find("<headline>Smoke from 12th floor</headline>"), std::string::npos);
  // Markup in text is escaped, never passed through.
  EXPECT_NE(xml.find("<areaDesc>Corniche &amp; West Bay &lt;tower 3&gt;</areaDesc>"),
            std::string::npos);
  EXPECT_NE(xml.find("<circle>25.285447,51.531040 0</circle>"), std::string::npos);
}

TEST(CapWriter, ChangedIncidentIsAnUpdateReferencingTheFirstAlert) {
  Incident i = Sample();
  i.updated = Time{i.created.ms + 60'000};
  i.last_seq = Seq(57);
  i.status = IncidentStatus::kClosed;
  i.classification = Classification::kConfidential;
  i.shared_with = {"police"};
  std::string xml = WriteAlert(i, {"ncc@qa"});
  EXPECT_NE(xml.find("<identifier>ncc-ncc@qa-incident-12-57</identifier>"), std::string::npos);
  EXPECT_NE(xml.find("<msgType>Update</msgType>"), std::string::npos);
  EXPECT_NE(xml.find("<references>ncc@qa,ncc-ncc@qa-incident-12,2026-11-29T22:40:00-00:00"
                     "</references>"),
            std::string::npos);
  EXPECT_NE(xml.find("<scope>Restricted</scope>"), std::string::npos);
  EXPECT_NE(xml.find("<restriction>ncc classification confidential; owning agency fire; shared "
                     "with police"),
            std::string::npos);
  EXPECT_NE(xml.find("<urgency>Past</urgency>"), std::string::npos);
  EXPECT_NE(xml.find("<responseType>AllClear</responseType>"), std::string::npos);
}

TEST(CapWriter, CancelledIncidentIsACancel) {
  Incident i = Sample();
  i.updated = Time{i.created.ms + 1000};
  i.status = IncidentStatus::kCancelled;
  EXPECT_NE(WriteAlert(i, {}).find("<msgType>Cancel</msgType>"), std::string::npos);
}

TEST(CapWriter, ControlCharactersDoNotBreakTheDocument) {
  Incident i = Sample();
  i.summary = std::string("a\x01") + "b";
  std::string xml = WriteAlert(i, {});
  EXPECT_EQ(xml.find('\x01'), std::string::npos);
  EXPECT_NE(xml.find("<description>a b</description>"), std::string::npos);
}

TEST(CapWriter, FeedCarriesOneWholeAlertPerEntry) {
  Incident a = Sample(), b = Sample();
  b.id = IncidentId(13);
  std::string xml = WriteFeed({a, b}, {"ncc@qa"}, Time{1795992000000});
  EXPECT_NE(xml.find("<feed xmlns=\"http://www.w3.org/2005/Atom\">"), std::string::npos);
  EXPECT_NE(xml.find("<updated>2026-11-29T22:40:00.000Z</updated>"), std::string::npos);
  EXPECT_NE(xml.find("<id>urn:ncc:ncc-ncc@qa-incident-13</id>"), std::string::npos);
  size_t alerts = 0;
  for (size_t at = xml.find("<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\">");
       at != std::string::npos; at = xml.find("<alert xmlns=", at + 1))
    ++alerts;
  EXPECT_EQ(alerts, 2u);
  EXPECT_EQ(WriteFeed({}, {}, Time{0}).find("<entry>"), std::string::npos);
}

TEST(CapWriter, CategoriesFollowTheTypeFamily) {
  EXPECT_EQ(CategoryOf("fire.structure"), "Fire");
  EXPECT_EQ(CategoryOf("medical.cardiac"), "Health");
  EXPECT_EQ(CategoryOf("police.robbery"), "Security");
  EXPECT_EQ(CategoryOf("traffic.collision"), "Transport");
  EXPECT_EQ(CategoryOf("panic"), "Other");
}

TEST(CapWriter, SenderMayNotBreakIdentifiersOrReferences) {
  EXPECT_TRUE(CheckSender("ncc@moi.gov.qa").ok());
  EXPECT_EQ(CheckSender("a,b").field(), "cap-sender");
  EXPECT_FALSE(CheckSender("a b").ok());
  EXPECT_FALSE(CheckSender("").ok());
}

}  // namespace
}  // namespace ncc::cap
