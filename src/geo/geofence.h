// Geofences: named zones (critical sites, restricted areas, sectors, stadiums, borders) made of
// polygons with holes, and the enter/exit transitions a unit makes when it moves.
//
// Lookup: a uniform grid over the zones' bounding boxes narrows a point to the few zones whose
// box covers its cell, then each polygon's bbox and latitude-banded edges decide.
//
// Thread: build with Add() on one thread; once built, const methods may be called from any
// number of threads concurrently (no mutation, no caches).
#pragma once

#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/geo_point.h"
#include "core/status.h"
#include "geo/flat_id_map.h"
#include "geo/polygon.h"

namespace ncc::geo {

// Stored in configuration and events by name (see ZoneKindName); the numbers are not persisted.
enum class ZoneKind : uint8_t {
  kCriticalSite,
  kRestricted,
  kSector,
  kStadium,
  kBorder,
  kOther,
};
const char* ZoneKindName(ZoneKind k);
std::optional<ZoneKind> ZoneKindFromName(std::string_view name);

struct Zone {
  std::string id;    // unique, 1..64 characters
  std::string name;  // for display
  ZoneKind kind = ZoneKind::kOther;
  bool restricted = false;  // entering raises an alarm
  std::vector<Polygon> polygons;
  bool Contains(const LatLon& p) const;
  Bbox bbox() const;
};

enum class Transition : uint8_t { kEntered, kExited };

struct ZoneTransition {
  const Zone* zone = nullptr;  // owned by the Geofences it came from; stable across Add()
  Transition transition = Transition::kEntered;
};

class Geofences {
 public:
  // `cell_deg`: grid cell size in degrees (0.01 is ~1 km).
  explicit Geofences(double cell_deg = 0.01);

  // Adds a zone; AlreadyExists if its id is taken, InvalidArgument if it has no polygon.
  Status Add(Zone zone);
  size_t size() const { return zones_.size(); }
  const Zone* Find(std::string_view id) const;
  // The i-th zone in insertion order, i < size().
  const Zone& At(size_t i) const { return zones_[i]; }

  // Zones containing `p`, in insertion order.
  std::vector<const Zone*> ZonesAt(const LatLon& p) const;
  // Zones left and entered moving from `from` (nullopt: first fix, nothing left) to `to`:
  // exits first, then entries, each in insertion order.
  std::vector<ZoneTransition> Transitions(const std::optional<LatLon>& from,
                                          const LatLon& to) const;

 private:
  uint64_t Key(int64_t row, int64_t col) const;
  std::vector<uint32_t> IndicesAt(const LatLon& p) const;

  double cell_deg_;
  std::deque<Zone> zones_;  // deque: Zone pointers handed out stay valid
  std::unordered_map<std::string, uint32_t> by_id_;
  std::vector<Bbox> boxes_;
  // Zones whose box is too large for the grid (over kMaxCellsPerZone cells) are tested always.
  std::vector<uint32_t> big_zones_;
  FlatIdMap cell_index_;  // cell key -> index into cell_zones_
  std::vector<std::vector<uint32_t>> cell_zones_;
};

}  // namespace ncc::geo
