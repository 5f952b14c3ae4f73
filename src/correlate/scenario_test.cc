// Runs every scenarios/*.json: given alarms (and operator splits), expect these groups.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "correlate/correlator.h"

namespace ncc::correlate {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

constexpr int64_t kBaseMs = 1'700'000'000'000;

LatLon Offset(LatLon p, double north_m, double east_m) {
  return {p.lat + north_m / 111195.0, p.lon + east_m / (111195.0 * std::cos(p.lat * M_PI / 180))};
}

std::vector<std::string> ScenarioFiles() {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(NCC_CORRELATE_DIR "/scenarios"))
    if (e.path().extension() == ".json") out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

class Scenario : public ::testing::TestWithParam<std::string> {};

TEST_P(Scenario, ProducesExpectedGroups) {
  std::ifstream in(GetParam());
  Json s = Json::parse(in);
  auto rules = LoadRulesFile(NCC_CORRELATE_DIR "/rules/default.json");
  ASSERT_TRUE(rules.ok()) << rules.status().ToString();
  Correlator c(*rules);
  LatLon origin{s["origin"][0].get<double>(), s["origin"][1].get<double>()};
  for (const Json& step : s["steps"]) {
    if (step.contains("split")) {
      std::vector<std::string> ids = step["split"].get<std::vector<std::string>>();
      const AlarmGroup* g = c.GroupOf("", ids.at(0));
      ASSERT_NE(g, nullptr);
      auto d = c.Split(g->id, ids);
      ASSERT_TRUE(d.ok()) << d.status().ToString();
      continue;
    }
    Json a = step["alarm"];
    LatLon p = Offset(origin, a["at"][0].get<double>(), a["at"][1].get<double>());
    a["lat"] = p.lat;
    a["lon"] = p.lon;
    a["time_ms"] = kBaseMs + static_cast<int64_t>(a["t"].get<double>() * 1000);
    auto alarm = ParseAlarm(a);
    ASSERT_TRUE(alarm.ok()) << alarm.status().ToString();
    auto d = c.Ingest(*alarm);
    ASSERT_TRUE(d.ok()) << d.status().ToString();
  }
  std::set<std::vector<std::string>> got;
  for (const auto& [id, g] : c.groups()) {
    std::vector<std::string> ids;
    for (const Alarm& a : g.alarms) ids.push_back(a.id);
    std::sort(ids.begin(), ids.end());
    got.insert(ids);
  }
  std::set<std::vector<std::string>> want;
  for (const Json& g : s["expect"]["groups"]) {
    auto ids = g["alarms"].get<std::vector<std::string>>();
    std::sort(ids.begin(), ids.end());
    want.insert(ids);
    const AlarmGroup* group = c.GroupOf("", ids.front());
    ASSERT_NE(group, nullptr);
    if (g.contains("priority")) {
      EXPECT_EQ(group->priority, g["priority"].get<int>()) << "group of " << ids.front();
    }
    if (g.contains("sources")) {
      EXPECT_EQ(group->independent_sources, g["sources"].get<size_t>())
          << "group of " << ids.front();
    }
  }
  EXPECT_EQ(got, want) << s["description"].get<std::string>();
}

INSTANTIATE_TEST_SUITE_P(Files, Scenario, ::testing::ValuesIn(ScenarioFiles()),
                         [](const auto& param_info) {
                           return fs::path(param_info.param).stem().string();
                         });

}  // namespace
}  // namespace ncc::correlate
