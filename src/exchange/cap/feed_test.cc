#include "exchange/cap/feed.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "exchange/cap/cap_writer.h"
#include "exchange/cap/test_data_for_tests.h"

namespace ncc::cap {
namespace {

// Finding 5 of issue 16: "the root element must be <alert>" for NWS's real Atom index.
TEST(CapFeed, TheRealNwsIndexLinksEveryAlert) {
  if (DataDir().empty()) GTEST_SKIP() << "no NCC_DATA_DIR";
  std::string xml =
      Read(std::filesystem::path(DataDir()) / "cap/ibm-cap/nws_atom_feed_example.xml");
  auto feed = ReadFeed(xml);
  ASSERT_TRUE(feed.ok()) << feed.status().message();
  EXPECT_EQ(feed->kind, "atom");
  size_t entries = 0;
  for (size_t at = xml.find("<entry>"); at != std::string::npos; at = xml.find("<entry>", at + 1))
    ++entries;
  ASSERT_EQ(feed->entries.size(), entries);
  ASSERT_GT(entries, 10u);
  for (const FeedEntry& e : feed->entries) {
    EXPECT_TRUE(e.alert.empty()) << "an index, not the alerts";
    EXPECT_EQ(e.link.rfind("https://alerts.weather.gov/cap/wwacapget.php?x=", 0), 0u) << e.link;
    EXPECT_EQ(e.id, e.link);
    EXPECT_FALSE(e.updated.empty());
  }
}

TEST(CapFeed, AlertsEmbeddedInAnAtomFeedParseOnTheirOwn) {
  Incident i;
  i.id = IncidentId(7);
  i.type = "fire.structure";
  i.priority = 2;
  i.location = {25.2867, 51.5333};
  i.created = Time{1795992000000};
  i.updated = i.created;
  i.summary = "Usulután";
  std::string xml = WriteFeed({i}, {"ncc@qa"}, Time{1795992000000});
  auto feed = ReadFeed(xml);
  ASSERT_TRUE(feed.ok()) << feed.status().message();
  ASSERT_EQ(feed->entries.size(), 1u);
  ASSERT_FALSE(feed->entries[0].alert.empty());
  auto alert = ParseAlert(feed->entries[0].alert);
  ASSERT_TRUE(alert.ok()) << alert.status().message();
  EXPECT_EQ(alert->sender, "ncc@qa");
  EXPECT_DOUBLE_EQ(alert->location.lat, 25.2867);
}

// An EDXL-DE 1.0 envelope whose cap: prefix is declared on the envelope, around a real alert.
TEST(CapFeed, EdxlDeEnvelopesAreUnwrapped) {
  if (DataDir().empty()) GTEST_SKIP() << "no NCC_DATA_DIR";
  std::string alert =
      Read(std::filesystem::path(DataDir()) / "cap/oasiscap/v1dot2_appendix_adot3.xml");
  alert = alert.substr(alert.find("<alert"));
  // Prefixed: <cap:alert>, with the namespace declared only on the envelope.
  size_t open = alert.find('>');
  alert = "<cap:alert" + alert.substr(open);
  for (size_t at = alert.find('<', 1); at != std::string::npos; at = alert.find('<', at + 1))
    if (alert[at + 1] == '/')
      alert.insert(at + 2, "cap:");
    else if (alert[at + 1] != '!' && alert[at + 1] != '?')
      alert.insert(at + 1, "cap:");
  std::string envelope =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<EDXLDistribution xmlns=\"urn:oasis:names:tc:emergency:EDXL:DE:1.0\" "
      "xmlns:cap=\"urn:oasis:names:tc:emergency:cap:1.2\">"
      "<distributionID>d-1</distributionID><senderID>trinet@caltech.edu</senderID>"
      "<dateTimeSent>2003-06-11T20:56:00-07:00</dateTimeSent>"
      "<distributionStatus>Actual</distributionStatus><distributionType>Report</distributionType>"
      "<combinedConfidentiality>UNCLASSIFIED</combinedConfidentiality>"
      "<contentObject><xmlContent><embeddedXMLContent>" +
      alert + "</embeddedXMLContent></xmlContent></contentObject></EDXLDistribution>";
  auto feed = ReadFeed(envelope);
  ASSERT_TRUE(feed.ok()) << feed.status().message();
  EXPECT_EQ(feed->kind, "edxl-de");
  ASSERT_EQ(feed->entries.size(), 1u);
  EXPECT_EQ(feed->entries[0].where, "EDXLDistribution.contentObject[0]");
  auto parsed = ParseAlert(feed->entries[0].alert);
  ASSERT_TRUE(parsed.ok()) << parsed.status().message() << "\n" << feed->entries[0].alert;
  EXPECT_EQ(parsed->identifier, "TRI13970876.2");
  EXPECT_DOUBLE_EQ(parsed->location.lat, 32.9525);
}

TEST(CapFeed, RssItemsLinkTheirAlerts) {
  auto feed = ReadFeed(
      "<rss version=\"2.0\"><channel><title>t</title><item><title>a</title>"
      "<link>http://127.0.0.1:9/a.xml</link><guid>g-1</guid><pubDate>Wed, 15 Aug 2018 22:57:00 "
      "GMT</pubDate></item><item><link>http://127.0.0.1:9/b.xml</link></item></channel></rss>");
  ASSERT_TRUE(feed.ok()) << feed.status().message();
  ASSERT_EQ(feed->entries.size(), 2u);
  EXPECT_EQ(feed->entries[0].id, "g-1");
  EXPECT_EQ(feed->entries[1].id, "http://127.0.0.1:9/b.xml");
}

TEST(CapFeed, ErrorsNameTheElement) {
  struct Case {
    std::string xml, field;
  } cases[] = {
      {"<html/>", "alert"},
      {"<EDXLDistribution xmlns=\"urn:oasis:names:tc:emergency:EDXL:DE:1.0\"><contentObject>"
       "</contentObject></EDXLDistribution>",
       "EDXLDistribution.contentObject"},
      {"<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><id>x</id></entry></feed>",
       "feed.entry[0]"},
      {"<rss><channel><item><title>x</title></item></channel></rss>", "rss.channel.item[0]"},
      {"<feed xmlns=\"http://www.w3.org/2005/Atom\">&xxe;</feed>", "alert"},
      {"<!DOCTYPE feed><feed/>", "alert"},
  };
  for (const Case& c : cases) {
    auto f = ReadFeed(c.xml);
    ASSERT_FALSE(f.ok()) << c.xml;
    EXPECT_EQ(f.status().field(), c.field) << f.status().message();
  }
  std::string many = "<feed xmlns=\"http://www.w3.org/2005/Atom\">";
  for (int k = 0; k < 1001; ++k) many += "<entry><link href=\"http://x/\"/></entry>";
  EXPECT_EQ(ReadFeed(many + "</feed>").status().code(), StatusCode::kResourceExhausted);
  // The alert's shape limits hold for whole feeds too (they were skipped for feeds before).
  std::string deep = "<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><content>";
  for (int k = 0; k < 40; ++k) deep += "<x>";
  for (int k = 0; k < 40; ++k) deep += "</x>";
  deep += "</content></entry></feed>";
  EXPECT_EQ(ReadFeed(deep).status().code(), StatusCode::kResourceExhausted);
  CapLimits small;
  small.max_elements = 50;
  std::string wide = "<feed xmlns=\"http://www.w3.org/2005/Atom\">";
  for (int k = 0; k < 30; ++k) wide += "<entry><link href=\"http://x/\"/></entry>";
  EXPECT_EQ(ReadFeed(wide + "</feed>", small).status().code(), StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace ncc::cap
