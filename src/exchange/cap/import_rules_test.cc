#include "exchange/cap/import_rules.h"

#include <gtest/gtest.h>

namespace ncc::cap {
namespace {

CapAlert Alert(std::string category, std::string event, std::string severity, std::string urgency) {
  CapAlert a;
  a.category = std::move(category);
  a.event = std::move(event);
  a.severity = std::move(severity);
  a.urgency = std::move(urgency);
  return a;
}

// Finding 6 of issue 16: every imported alert became type "call", priority 3.
TEST(CapImportRules, DefaultsFollowCategoryAndSeverity) {
  ImportRules rules;
  auto blizzard = rules.For(Alert("Met", "Blizzard Warning", "Severe", "Expected"));
  EXPECT_EQ(blizzard.type, "hazard.weather");
  EXPECT_EQ(blizzard.priority, 2);
  EXPECT_EQ(blizzard.rule, "default");
  auto fire = rules.For(Alert("fire", "Brush fire", "Severe", "Immediate"));
  EXPECT_EQ(fire.type, "fire.alert");
  EXPECT_EQ(fire.priority, 1) << "Immediate raises Severe by one";
  auto other = rules.For(Alert("Other", "Test", "Unknown", "Unknown"));
  EXPECT_EQ(other.type, "call");
  EXPECT_EQ(other.priority, 3);
  EXPECT_EQ(rules.For(Alert("Geo", "Quake", "Minor", "Past")).priority, 4);
}

TEST(CapImportRules, FirstMatchingRuleDecidesEachOfTypeAndPriority) {
  auto rules = ImportRules::Parse(R"({"rules": [
    {"when": {"event": "Tsunami Warning"}, "type": "hazard.tsunami", "priority": 1},
    {"when": {"category": "Met", "severity": "severe"}, "priority": 1},
    {"when": {"category": "Met"}, "type": "weather.warning", "priority": 4}]})");
  ASSERT_TRUE(rules.ok()) << rules.status().message();
  auto tsunami = rules->For(Alert("Geo", "tsunami warning", "Extreme", "Immediate"));
  EXPECT_EQ(tsunami.type, "hazard.tsunami");
  EXPECT_EQ(tsunami.priority, 1);
  EXPECT_EQ(tsunami.rule, "rules[0]");
  auto blizzard = rules->For(Alert("Met", "Blizzard Warning", "Severe", "Expected"));
  EXPECT_EQ(blizzard.priority, 1);
  EXPECT_EQ(blizzard.type, "weather.warning") << "the type comes from the next rule that has one";
  auto fog = rules->For(Alert("Met", "Dense Fog", "Minor", "Expected"));
  EXPECT_EQ(fog.priority, 4);
  auto quake = rules->For(Alert("Geo", "Earthquake", "Severe", "Past"));
  EXPECT_EQ(quake.type, "hazard.geo");
  EXPECT_EQ(quake.rule, "default");
}

TEST(CapImportRules, ErrorsNameTheField) {
  struct Case {
    const char* json;
    const char* field;
  } cases[] = {
      {R"({"rules": [{"when": {"event": "X"}, "priority": 9}]})", "rules[0].priority"},
      {R"({"rules": [{"when": {"event": "X"}, "type": "Fire Alert"}]})", "rules[0].type"},
      {R"({"rules": [{"when": {"colour": "red"}, "priority": 1}]})", "rules[0].when.colour"},
      {R"({"rules": [{"when": {}, "priority": 1}]})", "rules[0].when"},
      {R"({"rules": [{"when": {"event": "X"}}]})", "rules[0]"},
      {R"({"rules": [{"when": {"event": "X"}, "priority": 1, "typo": 1}]})", "rules[0].typo"},
      {R"({"rules": {}})", "rules"},
      {"not json", "rules"},
  };
  for (const Case& c : cases) {
    auto r = ImportRules::Parse(c.json);
    ASSERT_FALSE(r.ok()) << c.json;
    EXPECT_EQ(r.status().field(), c.field) << r.status().message();
  }
}

}  // namespace
}  // namespace ncc::cap
