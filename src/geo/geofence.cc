#include "geo/geofence.h"

#include <algorithm>
#include <cmath>

namespace ncc::geo {
namespace {
constexpr int64_t kMaxCellsPerZone = 40'000;
}

const char* ZoneKindName(ZoneKind k) {
  switch (k) {
    case ZoneKind::kCriticalSite:
      return "critical_site";
    case ZoneKind::kRestricted:
      return "restricted";
    case ZoneKind::kSector:
      return "sector";
    case ZoneKind::kStadium:
      return "stadium";
    case ZoneKind::kBorder:
      return "border";
    case ZoneKind::kOther:
      return "other";
  }
  return "other";
}

std::optional<ZoneKind> ZoneKindFromName(std::string_view name) {
  for (ZoneKind k : {ZoneKind::kCriticalSite, ZoneKind::kRestricted, ZoneKind::kSector,
                     ZoneKind::kStadium, ZoneKind::kBorder, ZoneKind::kOther})
    if (name == ZoneKindName(k)) return k;
  return std::nullopt;
}

bool Zone::Contains(const LatLon& p) const {
  for (const Polygon& poly : polygons)
    if (poly.Contains(p)) return true;
  return false;
}

Bbox Zone::bbox() const {
  Bbox b;
  for (const Polygon& poly : polygons) b.Extend(poly.bbox());
  return b;
}

Geofences::Geofences(double cell_deg) : cell_deg_(std::clamp(cell_deg, 1e-4, 10.0)) {}

uint64_t Geofences::Key(int64_t row, int64_t col) const {
  return (static_cast<uint64_t>(static_cast<uint32_t>(row)) << 32) | static_cast<uint32_t>(col);
}

Status Geofences::Add(Zone zone) {
  if (Find(zone.id)) return AlreadyExists("zone id already exists", "id");
  Bbox box = zone.bbox();
  if (box.empty()) return InvalidArgument("zone has no polygon", "geometry");
  auto index = static_cast<uint32_t>(zones_.size());
  by_id_.emplace(zone.id, index);
  zones_.push_back(std::move(zone));
  boxes_.push_back(box);
  auto r0 = static_cast<int64_t>(std::floor(box.min_lat / cell_deg_));
  auto r1 = static_cast<int64_t>(std::floor(box.max_lat / cell_deg_));
  auto c0 = static_cast<int64_t>(std::floor(box.min_lon / cell_deg_));
  auto c1 = static_cast<int64_t>(std::floor(box.max_lon / cell_deg_));
  if ((r1 - r0 + 1) * (c1 - c0 + 1) > kMaxCellsPerZone) {
    big_zones_.push_back(index);
    return Status::Ok();
  }
  for (int64_t r = r0; r <= r1; ++r)
    for (int64_t c = c0; c <= c1; ++c) {
      uint32_t slot = cell_index_.Find(Key(r, c));
      if (slot == FlatIdMap::kMissing) {
        slot = static_cast<uint32_t>(cell_zones_.size());
        cell_zones_.emplace_back();
        cell_index_.Put(Key(r, c), slot);
      }
      cell_zones_[slot].push_back(index);
    }
  return Status::Ok();
}

const Zone* Geofences::Find(std::string_view id) const {
  auto it = by_id_.find(std::string(id));
  return it == by_id_.end() ? nullptr : &zones_[it->second];
}

std::vector<uint32_t> Geofences::IndicesAt(const LatLon& p) const {
  std::vector<uint32_t> out;
  auto test = [&](uint32_t i) {
    if (boxes_[i].Contains(p) && zones_[i].Contains(p)) out.push_back(i);
  };
  auto r = static_cast<int64_t>(std::floor(p.lat / cell_deg_));
  auto c = static_cast<int64_t>(std::floor(p.lon / cell_deg_));
  uint32_t slot = cell_index_.Find(Key(r, c));
  static const std::vector<uint32_t> kNone;
  const std::vector<uint32_t>& cell = slot == FlatIdMap::kMissing ? kNone : cell_zones_[slot];
  // Both lists are ascending (zones are numbered as added): merge them to keep that order.
  size_t a = 0, b = 0;
  while (a < big_zones_.size() || b < cell.size()) {
    if (b == cell.size() || (a < big_zones_.size() && big_zones_[a] < cell[b]))
      test(big_zones_[a++]);
    else
      test(cell[b++]);
  }
  return out;
}

std::vector<const Zone*> Geofences::ZonesAt(const LatLon& p) const {
  std::vector<const Zone*> out;
  for (uint32_t i : IndicesAt(p)) out.push_back(&zones_[i]);
  return out;
}

std::vector<ZoneTransition> Geofences::Transitions(const std::optional<LatLon>& from,
                                                   const LatLon& to) const {
  std::vector<uint32_t> before;
  if (from) before = IndicesAt(*from);
  std::vector<uint32_t> after = IndicesAt(to);  // both sorted: insertion order
  std::vector<ZoneTransition> out;
  for (uint32_t z : before)
    if (!std::binary_search(after.begin(), after.end(), z))
      out.push_back({&zones_[z], Transition::kExited});
  for (uint32_t z : after)
    if (!std::binary_search(before.begin(), before.end(), z))
      out.push_back({&zones_[z], Transition::kEntered});
  return out;
}

}  // namespace ncc::geo
