#include "report/html.h"

#include <gtest/gtest.h>

namespace ncc::report {
namespace {

constexpr int64_t kT0 = 1'586'131'200'000;

std::shared_ptr<const LogContent> Content(const std::string& type, int travel_shift) {
  auto c = std::make_shared<LogContent>();
  c->units.push_back({UnitId(1), "E1", "sffd", "engine", Time{kT0}});
  c->available_units.push_back({Time{kT0}, Seq(2), +1});
  for (int k = 0; k < 30; ++k) {
    IncidentTimeline i;
    i.id = IncidentId(k + 1);
    i.agency = "sffd";
    i.type = type;
    i.location = {37.78 + 0.001 * k, -122.42 + 0.0005 * (k % 7)};
    i.created = Time{kT0 + k * 3'600'000};
    i.seqs = {Seq(10 + 10 * k), Seq(18 + 10 * k)};
    UnitResponseRow r;
    r.unit = UnitId(1);
    r.callsign = "E1";
    r.assigned = Time{i.created.ms + 40'000};
    r.en_route = Time{r.assigned.ms + 70'000};
    r.on_scene = Time{r.en_route.ms + (150 + 7 * k + travel_shift) * 1000};
    r.cleared = Time{r.on_scene.ms + 900'000};
    r.seqs = {Seq(12 + 10 * k), Seq(18 + 10 * k)};
    i.rows.push_back(r);
    c->incidents.push_back(i);
    c->open_incidents.push_back({i.created, i.seqs.first, +1});
  }
  c->seqs = {Seq(1), Seq(310)};
  c->events = 310;
  c->first_time = Time{kT0};
  c->last_time = Time{kT0 + 30 * 3'600'000};
  c->chain_head = std::string(64, 'a');
  return c;
}

Report Build(const std::string& type, int shift = 0) {
  ReportOptions o;
  o.bootstrap = {1, 100};
  return BuildReport("/data/run", Content(type, shift), {}, o);
}

void ExpectOffline(const std::string& html) {
  for (const char* banned : {"http://", "https://", "<script", "src=", "href=", "url(", "@import",
                             "<link", "<img", "<iframe"})
    EXPECT_EQ(html.find(banned), std::string::npos) << "found " << banned;
}

TEST(Html, IsSelfContainedAndNamesSeqRanges) {
  std::string html = RenderReport(Build("fire.outside"));
  ExpectOffline(html);
  EXPECT_EQ(html.rfind("<!doctype html>", 0), 0u);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("<style>"), std::string::npos);
  EXPECT_NE(html.find("@page"), std::string::npos);  // print layout
  // The NFPA table's figures and the seq range they came from.
  EXPECT_NE(html.find("From log seq 10–308"), std::string::npos);
  EXPECT_NE(html.find("en_route_before_dispatch"), std::string::npos);
  EXPECT_NE(html.find("NFPA 1710: 240 s"), std::string::npos);
  EXPECT_NE(html.find("log seq 1–310"), std::string::npos);
}

TEST(Html, TextFromTheLogIsEscaped) {
  std::string html = RenderReport(Build("<b onload=x>&"));
  EXPECT_EQ(html.find("<b onload"), std::string::npos);
  EXPECT_NE(html.find("type=&lt;b onload=x&gt;&amp;"), std::string::npos);
}

TEST(Html, CompareIsSelfContainedAndShowsTheDifference) {
  Report a = Build("fire.outside"), b = Build("fire.outside", -60);
  auto diffs = CompareRuns(a, b, {1, 200});
  ASSERT_FALSE(diffs.empty());
  EXPECT_EQ(diffs.front().group, "all");
  bool found = false;
  for (const Difference& d : diffs)
    if (d.group == "all" && d.measure == Measure::kTravel && d.percentile == 90) {
      found = true;
      EXPECT_EQ(*d.b - *d.a, -60);
      ASSERT_TRUE(d.ci);
      EXPECT_LE(d.ci->low, -60);
      EXPECT_GE(d.ci->high, -60);
    }
  EXPECT_TRUE(found);
  std::string html = RenderCompare(a, b, diffs);
  ExpectOffline(html);
  EXPECT_NE(html.find("95 % CI of B − A"), std::string::npos);
  std::string text = CompareText(a, b, diffs);
  EXPECT_NE(text.find("first_unit_travel P90"), std::string::npos) << text;
  EXPECT_NE(text.find("-60.0 s"), std::string::npos) << text;
}

}  // namespace
}  // namespace ncc::report
