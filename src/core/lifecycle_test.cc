#include "core/lifecycle.h"

#include <gtest/gtest.h>

#include <set>
#include <utility>

namespace ncc {
namespace {

// The legal moves written out by hand, independent of the switch in lifecycle.cc: every pair
// not listed here must be refused.
const std::set<std::pair<std::string, std::string>> kLegalIncident = {
    {"new", "triaged"},         {"new", "dispatched"},       {"new", "cancelled"},
    {"new", "merged"},          {"triaged", "dispatched"},   {"triaged", "cancelled"},
    {"triaged", "merged"},      {"dispatched", "en_route"},  {"dispatched", "on_scene"},
    {"dispatched", "resolved"}, {"dispatched", "cancelled"}, {"en_route", "on_scene"},
    {"en_route", "resolved"},   {"en_route", "cancelled"},   {"on_scene", "resolved"},
    {"resolved", "closed"},     {"resolved", "on_scene"},
};

const std::set<std::pair<std::string, std::string>> kLegalUnit = {
    {"available", "dispatched"},  {"available", "out_of_service"}, {"dispatched", "en_route"},
    {"dispatched", "on_scene"},   {"dispatched", "available"},     {"dispatched", "out_of_service"},
    {"en_route", "on_scene"},     {"en_route", "available"},       {"on_scene", "transporting"},
    {"on_scene", "available"},    {"transporting", "at_hospital"}, {"transporting", "available"},
    {"at_hospital", "available"}, {"out_of_service", "available"},
};

TEST(IncidentLifecycle, EveryPairMatchesTheTable) {
  int legal = 0;
  for (int a = 0; a < kIncidentStatusCount; ++a) {
    for (int b = 0; b < kIncidentStatusCount; ++b) {
      auto from = static_cast<IncidentStatus>(a), to = static_cast<IncidentStatus>(b);
      bool expected = kLegalIncident.count({std::string(Name(from)), std::string(Name(to))}) > 0;
      Status s = CheckTransition(from, to);
      EXPECT_EQ(s.ok(), expected) << Name(from) << " -> " << Name(to);
      if (!expected) {
        EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
        EXPECT_EQ(s.message(), "illegal incident transition " + std::string(Name(from)) + " -> " +
                                   std::string(Name(to)));
        EXPECT_EQ(s.field(), "status");
      }
      legal += expected;
    }
  }
  EXPECT_EQ(legal, static_cast<int>(kLegalIncident.size()));
}

TEST(UnitLifecycle, EveryPairMatchesTheTable) {
  int legal = 0;
  for (int a = 0; a < kUnitStatusCount; ++a) {
    for (int b = 0; b < kUnitStatusCount; ++b) {
      auto from = static_cast<UnitStatus>(a), to = static_cast<UnitStatus>(b);
      bool expected = kLegalUnit.count({std::string(Name(from)), std::string(Name(to))}) > 0;
      Status s = CheckTransition(from, to);
      EXPECT_EQ(s.ok(), expected) << Name(from) << " -> " << Name(to);
      if (!expected) {
        EXPECT_EQ(s.message(), "illegal unit transition " + std::string(Name(from)) + " -> " +
                                   std::string(Name(to)));
      }
      legal += expected;
    }
  }
  EXPECT_EQ(legal, static_cast<int>(kLegalUnit.size()));
}

TEST(Lifecycle, NamesRoundTrip) {
  for (int a = 0; a < kIncidentStatusCount; ++a)
    EXPECT_EQ(ParseIncidentStatus(Name(static_cast<IncidentStatus>(a))),
              static_cast<IncidentStatus>(a));
  for (int a = 0; a < kUnitStatusCount; ++a)
    EXPECT_EQ(ParseUnitStatus(Name(static_cast<UnitStatus>(a))), static_cast<UnitStatus>(a));
  for (int a = 0; a < kClassificationCount; ++a)
    EXPECT_EQ(ParseClassification(Name(static_cast<Classification>(a))),
              static_cast<Classification>(a));
  EXPECT_FALSE(ParseIncidentStatus("open"));
  EXPECT_FALSE(ParseUnitStatus(""));
  EXPECT_FALSE(ParseClassification("top_secret"));
}

}  // namespace
}  // namespace ncc
