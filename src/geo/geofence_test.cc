#include "geo/geofence.h"

#include <gtest/gtest.h>

namespace ncc::geo {
namespace {

Zone Square(std::string id, double lat0, double lon0, double size, ZoneKind kind) {
  Zone z;
  z.id = id;
  z.name = id;
  z.kind = kind;
  z.restricted = kind == ZoneKind::kRestricted;
  z.polygons.emplace_back(
      Ring({{lat0, lon0}, {lat0, lon0 + size}, {lat0 + size, lon0 + size}, {lat0 + size, lon0}}),
      std::vector<Ring>{});
  return z;
}

TEST(Geofences, ZonesAtAndTransitions) {
  Geofences g;
  ASSERT_TRUE(g.Add(Square("sector-1", 25.0, 51.0, 0.5, ZoneKind::kSector)).ok());
  ASSERT_TRUE(g.Add(Square("airport", 25.2, 51.2, 0.05, ZoneKind::kRestricted)).ok());
  ASSERT_TRUE(g.Add(Square("huge", -10, -10, 80, ZoneKind::kBorder)).ok());  // beyond the grid
  EXPECT_EQ(g.Add(Square("airport", 0, 0, 1, ZoneKind::kOther)).code(), StatusCode::kAlreadyExists);

  auto at = g.ZonesAt({25.22, 51.22});
  ASSERT_EQ(at.size(), 3u);
  EXPECT_EQ(at[0]->id, "sector-1");
  EXPECT_EQ(at[1]->id, "airport");

  // Into the airport from elsewhere in the sector.
  auto t = g.Transitions(LatLon{25.1, 51.1}, LatLon{25.22, 51.22});
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].zone->id, "airport");
  EXPECT_EQ(t[0].transition, Transition::kEntered);
  EXPECT_TRUE(t[0].zone->restricted);

  // Out of the airport and the sector at once.
  t = g.Transitions(LatLon{25.22, 51.22}, LatLon{24.0, 51.22});
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0].zone->id, "sector-1");
  EXPECT_EQ(t[0].transition, Transition::kExited);
  EXPECT_EQ(t[1].zone->id, "airport");

  // First fix: only entries.
  t = g.Transitions(std::nullopt, LatLon{25.1, 51.1});
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0].transition, Transition::kEntered);

  // Moving inside: nothing.
  EXPECT_TRUE(g.Transitions(LatLon{25.1, 51.1}, LatLon{25.11, 51.11}).empty());
}

TEST(Geofences, HoleIsOutside) {
  Geofences g;
  Zone z = Square("stadium", 25.0, 51.0, 0.01, ZoneKind::kStadium);
  z.polygons[0] =
      Polygon(z.polygons[0].outer(),
              {Ring({{25.004, 51.004}, {25.004, 51.006}, {25.006, 51.006}, {25.006, 51.004}})});
  ASSERT_TRUE(g.Add(std::move(z)).ok());
  EXPECT_EQ(g.ZonesAt({25.002, 51.002}).size(), 1u);
  EXPECT_TRUE(g.ZonesAt({25.005, 51.005}).empty());
  auto t = g.Transitions(LatLon{25.002, 51.002}, LatLon{25.005, 51.005});
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].transition, Transition::kExited);
}

TEST(Geofences, ZonePointersStayValidAcrossAdds) {
  Geofences g;
  ASSERT_TRUE(g.Add(Square("a", 0, 0, 1, ZoneKind::kSector)).ok());
  const Zone* a = g.Find("a");
  for (int i = 0; i < 200; ++i)
    ASSERT_TRUE(g.Add(Square("z" + std::to_string(i), 10 + i, 10, 0.5, ZoneKind::kOther)).ok());
  EXPECT_EQ(g.Find("a"), a);
  EXPECT_EQ(a->id, "a");
  EXPECT_EQ(g.Find("z150")->id, "z150");
  EXPECT_EQ(g.Find("nope"), nullptr);
}

}  // namespace
}  // namespace ncc::geo
