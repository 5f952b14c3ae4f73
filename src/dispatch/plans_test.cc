#include "dispatch/plans.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace ncc::dispatch {
namespace {

constexpr const char* kGood = R"(# a comment
[turnout]
civil_defence = 80s
* = 1m

[substitutes]
engine = ladder

[plan default]
need = 1 patrol from police
target.* = 3m 90 15m

[plan fire.structure]
name = Structure fire   # trailing comment
need = 2 engine from civil_defence
need = 1 ladder from civil_defence
need = 1 ambulance
target.1 = 60 80s 6m
target.* = 90 90 10m
substitute.ambulance = ambulance_als
)";

TEST(Plans, ParsesTheDocumentedFormat) {
  auto set = PlanSet::Parse(kGood, "t.conf");
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  const Plan* p = set->Find("fire.structure");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->name, "Structure fire");
  ASSERT_EQ(p->needs.size(), 3u);
  EXPECT_EQ(p->needs[0].Describe(), "2 engine from civil_defence");
  EXPECT_EQ(p->needs[2].Describe(), "1 ambulance");
  EXPECT_EQ(set->TargetsFor(*p, 1).on_scene_s, 360);
  EXPECT_EQ(set->TargetsFor(*p, 3).dispatch_s, 90);
  EXPECT_EQ(set->TurnoutSeconds("civil_defence"), 80);
  EXPECT_EQ(set->TurnoutSeconds("police"), 60);
  EXPECT_EQ(set->SubstitutesFor(*p, "engine"), std::vector<std::string>{"ladder"});
  EXPECT_EQ(set->SubstitutesFor(*p, "ambulance"), std::vector<std::string>{"ambulance_als"});
}

TEST(Plans, UnknownTypesFallBackToParentThenDefaultAndSaySo) {
  auto set = PlanSet::Parse(kGood, "t.conf");
  ASSERT_TRUE(set.ok());
  auto exact = set->For("fire.structure");
  EXPECT_EQ(exact.plan->type, "fire.structure");
  EXPECT_TRUE(exact.note.empty());
  auto child = set->For("fire.structure.highrise");
  EXPECT_EQ(child.plan->type, "fire.structure");
  EXPECT_NE(child.note.find("used the plan of fire.structure"), std::string::npos);
  auto unknown = set->For("alien.landing");
  EXPECT_EQ(unknown.plan->type, "default");
  EXPECT_NE(unknown.note.find("used the default plan"), std::string::npos);
}

struct BadCase {
  const char* text;
  const char* where;  // "file:line:"
  const char* field;
};

TEST(Plans, InvalidFilesNameFileLineAndField) {
  const BadCase cases[] = {
      {"[plan default]\nneed = two patrol\n", "bad.conf:2:", "need"},
      {"[plan default]\nneed = 1 patrol\nneed = 0 engine\n", "bad.conf:3:", "need"},
      {"[plan default]\nneed = 1 Patrol\n", "bad.conf:2:", "need"},
      {"[plan default]\nneed = 1 patrol by police\n", "bad.conf:2:", "need"},
      {"[plan default]\nneed = 1 patrol\ntarget.7 = 1 2 3\n", "bad.conf:3:", "target.7"},
      {"[plan default]\nneed = 1 patrol\ntarget.1 = 60 90\n", "bad.conf:3:", "target.1"},
      {"[plan default]\nneed = 1 patrol\ntarget.1 = 60 90 5h\n", "bad.conf:3:", "target.1"},
      {"[plan default]\nneed = 1 patrol\ncolour = red\n", "bad.conf:3:", "colour"},
      {"need = 1 patrol\n", "bad.conf:1:", "need"},
      {"[plans default]\n", "bad.conf:1:", "section"},
      {"[plan Fire]\n", "bad.conf:1:", "plan"},
      {"[plan a]\nneed = 1 x\n[plan a]\n", "bad.conf:3:", "plan"},
      {"\n\n[plan a]\nname = x\n", "bad.conf:3:", "need"},
      {"[turnout]\npolice = soon\n", "bad.conf:2:", "police"},
      {"[substitutes]\nengine = Ladder\n", "bad.conf:2:", "engine"},
      {"[plan a]\nneed 1 x\n", "bad.conf:2:", "line"},
  };
  for (const BadCase& c : cases) {
    auto set = PlanSet::Parse(c.text, "bad.conf");
    ASSERT_FALSE(set.ok()) << c.text;
    EXPECT_EQ(set.status().field(), c.field) << c.text << " -> " << set.status().ToString();
    EXPECT_EQ(set.status().message().rfind(c.where, 0), 0u)
        << c.text << " -> " << set.status().ToString();
  }
}

TEST(Plans, LoadRequiresADefaultPlanWithTargets) {
  auto missing = PlanSet::Load("/nonexistent/plans.conf");
  EXPECT_FALSE(missing.ok());
  std::string dir = ::testing::TempDir() + "/plans_no_default";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  { std::ofstream(dir + "/a.conf") << "[plan fire]\nneed = 1 engine\n"; }
  auto no_default = PlanSet::Load(dir);
  ASSERT_FALSE(no_default.ok());
  EXPECT_NE(no_default.status().message().find("no [plan default]"), std::string::npos);
  { std::ofstream(dir + "/b.conf") << "[plan default]\nneed = 1 patrol\n"; }
  auto no_targets = PlanSet::Load(dir);
  ASSERT_FALSE(no_targets.ok());
  EXPECT_EQ(no_targets.status().field(), "target.*");
  EXPECT_NE(no_targets.status().message().find("b.conf:1:"), std::string::npos);
  { std::ofstream(dir + "/c.conf") << "[plan fire]\nneed = 1 engine\n"; }
  auto twice = PlanSet::Load(dir);
  ASSERT_FALSE(twice.ok());
  EXPECT_NE(twice.status().message().find("already defined at"), std::string::npos);
}

TEST(Plans, TheShippedDefaultPlansLoad) {
  auto set = PlanSet::Load(std::string(NCC_SOURCE_DIR) + "/config/plans");
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  for (const char* type :
       {"fire.structure", "medical.cardiac", "police.robbery", "traffic.collision.injury",
        "marine.distress", "security.intrusion", "default"}) {
    const Plan* p = set->Find(type);
    ASSERT_NE(p, nullptr) << type;
    for (int prio = 1; prio <= 5; ++prio)
      EXPECT_GT(set->TargetsFor(*p, prio).on_scene_s, 0) << type;
  }
  const Plan* fire = set->Find("fire.structure");
  int units = 0;
  for (const Need& n : fire->needs) units += n.count;
  EXPECT_EQ(units, 5);  // 2 engines + 1 ladder + 1 ambulance + 1 patrol
}

}  // namespace
}  // namespace ncc::dispatch
