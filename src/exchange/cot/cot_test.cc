// The CoT format: real ATAK recordings parse, the details/ fragment and hostile documents are
// refused with the attribute named, the writer escapes user text and round-trips, the framer
// splits a stream and enforces its limits.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "exchange/cot/cot_event.h"
#include "exchange/cot/framer.h"
#include "exchange/cot/records.h"

namespace ncc::cot {
namespace {

namespace fs = std::filesystem;

std::string AtakDir() {
  const char* dir = std::getenv("NCC_DATA_DIR");
  return dir ? std::string(dir) + "/cot/atak" : "";
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const char* kReport =
    "<?xml version='1.0' encoding='UTF-8' standalone='yes'?><event version='2.0' "
    "uid='ANDROID-R52JB0CDC4E' type='a-f-G-U-C' time='2020-02-08T18:10:46.207Z' "
    "start='2020-02-08T18:10:46.207Z' stale='2020-02-08T18:11:13.207Z' how='h-e'><point "
    "lat='25.28' lon='51.52' hae='9999999.0' ce='9999999.0' le='9999999.0' /><detail><contact "
    "endpoint='192.168.1.9:4242:tcp' callsign='corvTab'/><__group name='Yellow' role='Team "
    "Member'/><track speed='3.5' course='271.0'/><remarks>hi &amp; bye</remarks></detail></event>";

std::string WithAttr(std::string doc, const std::string& from, const std::string& to) {
  size_t at = doc.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return doc.replace(at, from.size(), to);
}

TEST(CotParse, ReadsTheFieldsNccMaps) {
  auto e = ParseEvent(kReport);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->uid, "ANDROID-R52JB0CDC4E");
  EXPECT_EQ(e->type, "a-f-G-U-C");
  EXPECT_EQ(e->how, "h-e");
  EXPECT_EQ(e->time_ms, 1581185446207);
  EXPECT_EQ(e->stale_ms - e->start_ms, 27000);
  EXPECT_DOUBLE_EQ(e->point.lat, 25.28);
  EXPECT_DOUBLE_EQ(e->point.lon, 51.52);
  EXPECT_DOUBLE_EQ(e->point.hae, kUnknown);
  EXPECT_EQ(e->callsign, "corvTab");
  EXPECT_EQ(e->group_name, "Yellow");
  EXPECT_EQ(e->group_role, "Team Member");
  ASSERT_TRUE(e->speed && e->course);
  EXPECT_DOUBLE_EQ(*e->speed, 3.5);
  EXPECT_DOUBLE_EQ(*e->course, 271.0);
  EXPECT_EQ(e->remarks, "hi & bye");
}

TEST(CotParse, EveryRealAtakEventParses) {
  std::string dir = AtakDir();
  if (dir.empty() || !fs::exists(dir + "/cot")) GTEST_SKIP() << "no data folder";
  size_t files = 0, positions = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir + "/cot")) {
    if (!entry.is_regular_file() || entry.path().extension() != ".xml") continue;
    ++files;
    auto e = ParseEvent(ReadFile(entry.path()));
    ASSERT_TRUE(e.ok()) << entry.path() << ": " << e.status().ToString();
    // Each file sits in a folder named after its type.
    EXPECT_EQ(e->type, entry.path().parent_path().filename().string()) << entry.path();
    EXPECT_FALSE(e->uid.empty());
    EXPECT_GE(e->stale_ms, e->start_ms);
    if (e->type == "a-f-G-U-C") {
      ++positions;
      EXPECT_FALSE(e->callsign.empty()) << entry.path();
    }
  }
  EXPECT_EQ(files, 659u);
  EXPECT_EQ(positions, 502u);
}

TEST(CotParse, DetailFragmentsAreRefusedPrecisely) {
  std::string dir = AtakDir();
  if (dir.empty() || !fs::exists(dir + "/details")) GTEST_SKIP() << "no data folder";
  // The one truncated fragment: not well-formed, with the byte offset.
  auto cut = ParseEvent(ReadFile(dir + "/details/__group/__group-002.xml"));
  ASSERT_FALSE(cut.ok());
  EXPECT_EQ(cut.status().field(), "xml");
  EXPECT_NE(cut.status().message().find("not well-formed XML at byte"), std::string::npos)
      << cut.status().message();
  // A whole <detail> child is well-formed but is no event.
  auto part = ParseEvent(ReadFile(dir + "/details/__group/__group-001.xml"));
  ASSERT_FALSE(part.ok());
  EXPECT_EQ(part.status().field(), "event");
  EXPECT_EQ(part.status().message(), "root element is <__group>, expected <event>");
}

TEST(CotParse, BadValuesNameTheAttribute) {
  struct Case {
    std::string from, to, field;
  };
  std::vector<Case> cases = {
      {"lat='25.28'", "lat='91'", "point@lat"},
      {"lat='25.28'", "lat='nan'", "point@lat"},
      {"lat='25.28'", "lat='25.28x'", "point@lat"},
      {"lat='25.28'", "", "point@lat"},
      {"lon='51.52'", "lon='-180.5'", "point@lon"},
      {"hae='9999999.0'", "hae='inf'", "point@hae"},
      {"time='2020-02-08T18:10:46.207Z'", "time='2020-02-30T18:10:46Z'", "event@time"},
      {"time='2020-02-08T18:10:46.207Z'", "time='yesterday'", "event@time"},
      {"stale='2020-02-08T18:11:13.207Z'", "stale='2020-02-08T18:00:00Z'", "event@stale"},
      {"uid='ANDROID-R52JB0CDC4E'", "uid=''", "event@uid"},
      {"type='a-f-G-U-C'", "type='a f'", "event@type"},
      {"speed='3.5'", "speed='fast'", "track@speed"},
      {"<point", "<pointless", "point"},
  };
  for (const auto& c : cases) {
    auto e = ParseEvent(WithAttr(kReport, c.from, c.to));
    ASSERT_FALSE(e.ok()) << c.to;
    EXPECT_EQ(e.status().field(), c.field) << c.to << ": " << e.status().ToString();
  }
}

TEST(CotParse, HostileDocumentsAreRefused) {
  // Entity expansion (billion laughs) and external entities (XXE) never get that far.
  std::string laughs =
      "<?xml version='1.0'?><!DOCTYPE event [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b "
      "'&a;&a;&a;&a;&a;&a;&a;&a;'>]><event uid='&b;'/>";
  auto e = ParseEvent(laughs);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().field(), "xml");
  std::string xxe = "<!DOCTYPE event [<!ENTITY x SYSTEM 'file:///etc/passwd'>]><event uid='&x;'/>";
  EXPECT_FALSE(ParseEvent(xxe).ok());
  EXPECT_EQ(ParseEvent("<event/><event/>").status().field(), "xml");
  EXPECT_EQ(ParseEvent("").status().field(), "xml");
  EXPECT_EQ(ParseEvent(std::string(kMaxEventBytes + 1, ' ')).status().code(),
            StatusCode::kResourceExhausted);
  std::string long_uid = WithAttr(kReport, "uid='ANDROID-R52JB0CDC4E'",
                                  "uid='" + std::string(kMaxStringBytes + 1, 'u') + "'");
  EXPECT_EQ(ParseEvent(long_uid).status().field(), "event@uid");
}

TEST(CotTime, ParsesAndFormats) {
  EXPECT_EQ(ParseTime("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(ParseTime("2020-02-08T18:10:46.207Z"), 1581185446207);
  EXPECT_EQ(ParseTime("2020-02-08T18:10:46.2071234Z"), 1581185446207);
  EXPECT_EQ(ParseTime("2020-02-08T21:10:46.207+03:00"), 1581185446207);
  EXPECT_EQ(ParseTime("2024-02-29T00:00:00Z"), 1709164800000);
  EXPECT_EQ(ParseTime("2023-02-29T00:00:00Z"), std::nullopt);
  EXPECT_EQ(ParseTime("2020-02-08T18:10:46"), std::nullopt);
  EXPECT_EQ(ParseTime("2020-02-08T18:10:46.Z"), std::nullopt);
  EXPECT_EQ(ParseTime("2020-02-08 18:10:46Z"), std::nullopt);
  EXPECT_EQ(FormatTime(1581185446207), "2020-02-08T18:10:46.207Z");
  EXPECT_EQ(FormatTime(0), "1970-01-01T00:00:00.000Z");
  for (int64_t ms : {int64_t{1}, int64_t{951782400000}, int64_t{4102444799999}})
    EXPECT_EQ(ParseTime(FormatTime(ms)), ms);
}

TEST(CotWrite, EscapesEveryUserString) {
  EXPECT_EQ(Escape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&apos;");
  EXPECT_EQ(Escape(std::string("x\x01\x1f\x7fy", 5)), "xy");  // controls dropped
  EXPECT_EQ(Escape("t\tn\nr\r"), "t&#9;n&#10;r&#13;");
  EXPECT_EQ(Escape("caf\xc3\xa9"), "caf\xc3\xa9");
  EXPECT_EQ(Escape("bad\xff\xc3"), "bad\xEF\xBF\xBD\xEF\xBF\xBD");            // invalid UTF-8
  EXPECT_EQ(Escape("\xed\xa0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  EXPECT_EQ(Escape("\xf8\x80\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // no such lead
  EXPECT_EQ(Escape("\xc2\x85"), "\xEF\xBF\xBD\xEF\xBF\xBD");                  // C1 control (NEL)
  // The parser refuses what the writer would have to change, naming the attribute.
  std::string bad = kReport;
  bad.replace(bad.find("corvTab"), 7, "corv\xffTab");
  EXPECT_EQ(ParseEvent(bad).status().field(), "contact@callsign");
}

TEST(CotWrite, RoundTripsThroughTheParser) {
  CotEvent e;
  e.uid = "ncc-unit-7\"><event uid='x'>";
  e.type = "a-f-G-E-V-m";
  e.how = "m-g";
  e.time_ms = 1700000000123;
  e.start_ms = 1700000000000;
  e.stale_ms = 1700000300123;
  e.point = {25.2854, 51.531, 12.5, 3, kUnknown};
  e.callsign = "M<1> & \"Q\" 'r'\t\n";
  e.speed = 12.25;
  e.course = 359.5;
  e.remarks = "summary: <script>alert(1)</script> & ]]> \x01 done\r\nline two";
  e.group_name = "police";
  e.group_role = "Team Member";
  std::string xml = Write(e);
  EXPECT_EQ(xml.find("<script>"), std::string::npos);
  auto back = ParseEvent(xml);
  ASSERT_TRUE(back.ok()) << back.status().ToString() << "\n" << xml;
  EXPECT_EQ(back->uid, e.uid);
  EXPECT_EQ(back->type, e.type);
  EXPECT_EQ(back->how, e.how);
  EXPECT_EQ(back->time_ms, e.time_ms);
  EXPECT_EQ(back->start_ms, e.start_ms);
  EXPECT_EQ(back->stale_ms, e.stale_ms);
  EXPECT_EQ(back->point.lat, e.point.lat);
  EXPECT_EQ(back->point.lon, e.point.lon);
  EXPECT_EQ(back->point.hae, e.point.hae);
  EXPECT_EQ(back->callsign, e.callsign);
  EXPECT_EQ(back->speed, e.speed);
  EXPECT_EQ(back->course, e.course);
  EXPECT_EQ(back->group_name, e.group_name);
  EXPECT_EQ(back->group_role, e.group_role);
  std::string expected_remarks = e.remarks;
  expected_remarks.erase(expected_remarks.find('\x01'), 1);  // the control character is dropped
  EXPECT_EQ(back->remarks, expected_remarks);
}

TEST(CotWrite, RecordsBecomeEvents) {
  Unit u;
  u.id = UnitId(4);
  u.callsign = "A&E <1>";
  u.agency = "ambulance";
  u.kind = "ambulance";
  EXPECT_FALSE(UnitEvent(u, 1000, 60000)) << "no position, no event";
  u.position = LatLon{25.3, 51.5};
  u.incident = IncidentId(9);
  auto e = UnitEvent(u, 1000, 60000);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->uid, "ncc-unit-4");
  EXPECT_EQ(e->type, "a-f-G-E-V-m");
  EXPECT_EQ(e->stale_ms, 61000);
  EXPECT_NE(e->remarks.find("incident: 9"), std::string::npos);
  // Finding 10 of issue 16: team and role from TAK's vocabulary, not the agency code; stale
  // counted from the last fix, so a silent unit is not shown as current.
  auto team = UnitEvent(u, 1000, 60000, "ambulance");
  EXPECT_EQ(team->group_name, "White");
  EXPECT_EQ(team->group_role, "Medic");
  EXPECT_EQ(TeamOf("police"), "Blue");
  EXPECT_EQ(TeamOf("something else"), "Cyan");
  EXPECT_EQ(RoleOf("chief"), "Team Lead");
  u.position_time = Time{500'000};
  EXPECT_EQ(UnitEvent(u, 520'000, 60'000)->stale_ms, 560'000) << "60 s after the last fix";
  EXPECT_EQ(UnitEvent(u, 900'000, 60'000)->stale_ms, 900'000) << "silent for 400 s: stale now";
  u.position_time = Time{};
  auto parsed = ParseEvent(Write(*e));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->callsign, "A&E <1>");
  EXPECT_EQ(UnitType("something new"), "a-f-G-U-C");

  Incident i;
  i.id = IncidentId(12);
  i.type = "fire.structure";
  i.priority = 1;
  i.location = {25.29, 51.53};
  i.summary = "smoke from <roof> & \"garage\"";
  auto inc = IncidentEvent(i, 5000, 60000);
  EXPECT_EQ(inc.type, kIncidentType);
  EXPECT_EQ(inc.stale_ms, 65000);
  auto back = ParseEvent(Write(inc));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_NE(back->remarks.find("smoke from <roof> & \"garage\""), std::string::npos);
  i.status = IncidentStatus::kClosed;
  EXPECT_EQ(IncidentEvent(i, 5000, 60000).stale_ms, 5000) << "closed: stale at once";
}

TEST(CotFramer, SplitsAStreamFedByteByByte) {
  std::string one = kReport;
  std::string two = WithAttr(kReport, "callsign='corvTab'", "callsign='second'");
  std::string stream = "\r\n" + one + "\n  " + two + "<event uid='x'></event >";
  Framer f;
  std::vector<std::string> docs;
  for (char c : stream) {
    f.Append(std::string_view(&c, 1));
    for (;;) {
      auto next = f.Next();
      ASSERT_TRUE(next.ok()) << next.status().ToString();
      if (!*next) break;
      docs.push_back(**next);
    }
  }
  ASSERT_EQ(docs.size(), 3u);
  EXPECT_EQ(docs[0], one);
  EXPECT_EQ(docs[1], two);
  EXPECT_EQ(docs[2], "<event uid='x'></event >");
  EXPECT_EQ(f.buffered(), 0u);
}

TEST(CotFramer, GarbageAndOversizedEventsStopTheStream) {
  Framer f;
  f.Append(std::string(kReport) + "GET / HTTP/1.1\r\n");
  auto first = f.Next();
  ASSERT_TRUE(first.ok() && *first) << "the event before the garbage is kept";
  auto bad = f.Next();
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().field(), "stream");
  EXPECT_NE(bad.status().message().find("stream byte " + std::to_string(strlen(kReport))),
            std::string::npos)
      << bad.status().message();
  f.Append(kReport);
  EXPECT_FALSE(f.Next().ok()) << "errors are sticky";

  Framer small(1024);
  small.Append("<event uid='big'>" + std::string(2000, 'x'));
  auto big = small.Next();
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.status().code(), StatusCode::kResourceExhausted);

  // Exactly at the limit is fine; one byte over is not, even with the end tag in the buffer.
  std::string doc = "<event>" + std::string(100, 'y') + "</event>";
  Framer exact(doc.size());
  exact.Append(doc);
  auto ok = exact.Next();
  ASSERT_TRUE(ok.ok() && *ok);
  Framer over(doc.size() - 1);
  over.Append(doc);
  EXPECT_FALSE(over.Next().ok());
}

}  // namespace
}  // namespace ncc::cot
