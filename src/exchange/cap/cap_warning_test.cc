#include "exchange/cap/cap_warning.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "exchange/cap/cap_parser.h"
#include "exchange/cap/test_data_for_tests.h"

namespace ncc::cap {
namespace {

const char* kFlood = R"({
  "category": "Met", "urgency": "Immediate", "severity": "Severe", "certainty": "Likely",
  "audience": "residents of the Corniche",
  "expires": "2026-12-03T18:00:00Z",
  "area": {"description": "Corniche, Doha",
           "polygon": [[25.30, 51.52], [25.31, 51.53], [25.29, 51.54]]},
  "info": [
    {"language": "ar", "event": "تحذير من الفيضانات", "headline": "فيضانات متوقعة على الكورنيش",
     "instruction": "ابتعدوا عن الواجهة البحرية"},
    {"language": "en", "event": "Flood warning", "headline": "Flooding expected on the Corniche",
     "description": "Storm surge & heavy rain <tonight>", "instruction": "Keep away from the seafront"}
  ]})";

IssuedWarning Issue(const WarningRequest& r, uint64_t id) {
  IssuedWarning w;
  w.id = id;
  w.sent = Time{1796313600000};
  w.sender_name = "civil_defence";
  w.request = r;
  return w;
}

TEST(CapWarning, ArabicAndEnglishBlocksAroundOnePolygon) {
  auto r = ReadWarningRequest(kFlood);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->area.polygon.size(), 4u);  // the ring closed
  std::string xml = WriteWarning(Issue(*r, 3), {"ncc@test.example"});
  EXPECT_NE(xml.find("<language>ar</language>"), std::string::npos);
  EXPECT_NE(xml.find("<language>en-US</language>"), std::string::npos);
  EXPECT_NE(xml.find("فيضانات متوقعة على الكورنيش"), std::string::npos);
  EXPECT_NE(xml.find("Storm surge &amp; heavy rain &lt;tonight&gt;"), std::string::npos);
  EXPECT_NE(xml.find("<polygon>25.300000,51.520000 25.310000,51.530000 25.290000,51.540000 "
                     "25.300000,51.520000</polygon>"),
            std::string::npos);
  EXPECT_NE(xml.find("<scope>Public</scope>"), std::string::npos);
  // ncc's own CAP reader takes it back: placed at the polygon, from this sender.
  auto back = ParseAlert(xml);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->identifier, "ncc-ncc@test.example-warning-3");
  EXPECT_EQ(back->msg_type, "Alert");
  EXPECT_NEAR(back->location.lat, 25.30, 0.01);
}

TEST(CapWarning, UpdateAndCancelReferenceTheOriginal) {
  auto r = ReadWarningRequest(R"({"msg_type": "Cancel", "references": 3, "category": "Met",
      "urgency": "Past", "severity": "Minor", "certainty": "Observed"})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  IssuedWarning w = Issue(*r, 4);
  w.references = {{"ncc@test.example", "ncc-ncc@test.example-warning-3", Time{1796313000000}}};
  std::string xml = WriteWarning(w, {"ncc@test.example"});
  EXPECT_NE(xml.find("<msgType>Cancel</msgType>"), std::string::npos);
  EXPECT_NE(xml.find("<references>ncc@test.example,ncc-ncc@test.example-warning-3,"),
            std::string::npos);
  auto back = ParseAlert(xml);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->references.size(), 1u);
  EXPECT_EQ(back->references[0].identifier, "ncc-ncc@test.example-warning-3");
  // A circle instead of a polygon.
  auto c = ReadWarningRequest(R"({"msg_type": "Update", "references": 3, "category": "Safety",
      "urgency": "Expected", "severity": "Moderate", "certainty": "Possible",
      "area": {"description": "Pearl", "circle": {"lat": 25.37, "lon": 51.55, "radius_km": 2.5}},
      "info": [{"language": "en", "event": "Gas leak", "headline": "Stay indoors"}]})");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_NE(WriteWarning(Issue(*c, 5), {}).find("<circle>25.370000,51.550000 2.500</circle>"),
            std::string::npos);
}

// Every CAP alert written validates against the OASIS CAP 1.2 schema (xmllint, as the export
// test does), when the data folder and xmllint are there.
TEST(CapWarning, ValidatesAgainstTheCapSchema) {
  std::filesystem::path xsd = std::filesystem::path(DataDir()) / "cap" / "ibm-cap" / "CAP-v1.2.xsd";
  if (DataDir().empty() || !std::filesystem::exists(xsd) ||
      std::system("command -v xmllint >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "no CAP XSD or xmllint";
  const char* kUpdate = R"({"msg_type": "Update", "references": 9, "category": "Safety",
      "urgency": "Expected", "severity": "Moderate", "certainty": "Possible",
      "area": {"description": "Pearl", "circle": {"lat": 25.37, "lon": 51.55, "radius_km": 2.5}},
      "info": [{"language": "en", "event": "Gas leak", "headline": "Stay indoors"}]})";
  const char* kCancel = R"({"msg_type": "Cancel", "references": 9, "category": "Met",
      "urgency": "Past", "severity": "Minor", "certainty": "Observed"})";
  auto file =
      std::filesystem::temp_directory_path() / ("ncc_warning_" + std::to_string(getpid()) + ".xml");
  std::string cmd =
      "xmllint --noout --nonet --schema '" + xsd.string() + "' '" + file.string() + "' 2>/dev/null";
  for (const char* body : {kFlood, kUpdate, kCancel}) {
    auto r = ReadWarningRequest(body);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    IssuedWarning w = Issue(*r, 10);
    if (r->references)
      w.references = {{"ncc@test.example", "ncc-ncc@test.example-warning-9", Time{1796313000000}}};
    std::ofstream(file) << WriteWarning(w, {"ncc@test.example"});
    EXPECT_EQ(std::system(cmd.c_str()), 0) << Read(file);
  }
  // The check can fail: an alert without its required <sent>.
  std::string broken = WriteWarning(Issue(*ReadWarningRequest(kFlood), 11), {});
  size_t at = broken.find("<sent>");
  broken.erase(at, broken.find("</sent>") + 7 - at);
  std::ofstream(file) << broken;
  EXPECT_NE(std::system(cmd.c_str()), 0);
  std::filesystem::remove(file);
}

TEST(CapWarning, BadRequestsNameTheField) {
  const std::pair<const char*, const char*> cases[] = {
      {"[]", "body"},
      {R"({"colour": 1})", "colour"},
      {R"({"msg_type": "Ack"})", "msg_type"},
      {R"({"msg_type": "Update", "category": "Met"})", "references"},
      {R"({"references": 2, "category": "Met"})", "references"},
      {R"({"category": "Weather", "urgency": "Immediate", "severity": "Severe", "certainty": "Likely"})",
       "category"},
      {R"({"category": "Met", "urgency": "Now", "severity": "Severe", "certainty": "Likely"})",
       "urgency"},
      {R"({"category": "Met", "urgency": "Immediate", "severity": "Severe", "certainty": "Likely"})",
       "area"},
      {R"({"category": "Met", "urgency": "Immediate", "severity": "Severe", "certainty": "Likely",
           "area": {"description": "x", "polygon": [[25, 51], [25.1, 51], [95, 51]]}})",
       "area.polygon[2].lat"},
      {R"({"category": "Met", "urgency": "Immediate", "severity": "Severe", "certainty": "Likely",
           "area": {"description": "x", "polygon": [[25, 51], [25.1, 51]]}})",
       "area.polygon"},
      {R"({"category": "Met", "urgency": "Immediate", "severity": "Severe", "certainty": "Likely",
           "area": {"description": "x", "circle": {"lat": 25, "lon": 51, "radius_km": 0}}})",
       "area.circle.radius_km"},
      {R"({"category": "Met", "urgency": "Immediate", "severity": "Severe", "certainty": "Likely",
           "area": {"description": "x", "circle": {"lat": 25, "lon": 51, "radius_km": 1}}})",
       "info"},
      {R"({"category": "Met", "urgency": "Immediate", "severity": "Severe", "certainty": "Likely",
           "area": {"description": "x", "circle": {"lat": 25, "lon": 51, "radius_km": 1}},
           "info": [{"language": "fr", "event": "e", "headline": "h"}]})",
       "info[0].language"},
      {R"({"category": "Met", "urgency": "Immediate", "severity": "Severe", "certainty": "Likely",
           "area": {"description": "x", "circle": {"lat": 25, "lon": 51, "radius_km": 1}},
           "info": [{"language": "en", "event": "e", "headline": "h"},
                    {"language": "en", "event": "e", "headline": "h"}]})",
       "info[1].language"},
      {R"({"category": "Met", "urgency": "Immediate", "severity": "Severe", "certainty": "Likely",
           "expires": "tomorrow"})",
       "expires"},
  };
  for (const auto& [body, field] : cases) {
    auto r = ReadWarningRequest(body);
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.status().field(), field) << body << ": " << r.status().ToString();
  }
}

}  // namespace
}  // namespace ncc::cap
