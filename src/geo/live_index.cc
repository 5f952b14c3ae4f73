#include "geo/live_index.h"

#include <algorithm>
#include <cmath>

namespace ncc::geo {
namespace {

constexpr double kEarthRadius = 6371008.8;  // same as DistanceMeters
constexpr double kRad = M_PI / 180.0;
constexpr double kMetersPerDegLat = kEarthRadius * kRad;

uint64_t CellKey(int32_t row, int32_t col) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(row)) << 32) | static_cast<uint32_t>(col);
}

bool Closer(const Neighbor& a, const Neighbor& b) {
  return a.meters != b.meters ? a.meters < b.meters : a.unit < b.unit;
}

}  // namespace

const char* FixOutcomeName(FixOutcome o) {
  switch (o) {
    case FixOutcome::kAccepted:
      return "accepted";
    case FixOutcome::kStaleOlder:
      return "stale_older";
    case FixOutcome::kDuplicate:
      return "duplicate";
    case FixOutcome::kImpossibleJump:
      return "impossible_jump";
    case FixOutcome::kInvalid:
      return "invalid";
  }
  return "unknown";
}

LiveIndex::LiveIndex(LiveIndexOptions options) : options_(options) {
  options_.cell_meters = std::clamp(options_.cell_meters, 10.0, 1'000'000.0);
  cell_lat_deg_ = options_.cell_meters / kMetersPerDegLat;
  double c = std::cos(std::clamp(options_.reference_lat, -85.0, 85.0) * kRad);
  cell_lon_deg_ = std::min(360.0, cell_lat_deg_ / c);
}

int32_t LiveIndex::RowOf(double lat) const {
  return static_cast<int32_t>(std::floor(lat / cell_lat_deg_));
}
int32_t LiveIndex::ColOf(double lon) const {
  return static_cast<int32_t>(std::floor(lon / cell_lon_deg_));
}

uint32_t LiveIndex::FindCell(int32_t row, int32_t col) const {
  return cell_of_.Find(CellKey(row, col));
}

uint32_t LiveIndex::CellFor(int32_t row, int32_t col) {
  uint32_t c = FindCell(row, col);
  if (c != FlatIdMap::kMissing) return c;
  c = static_cast<uint32_t>(cells_.size());
  cells_.push_back(Cell{row, col, {}});
  cell_of_.Put(CellKey(row, col), c);
  return c;
}

void LiveIndex::Unplace(uint32_t slot) {
  Slot& s = units_[slot];
  if (s.cell == kNoCell) return;
  std::vector<CellEntry>& v = cells_[s.cell].entries;
  v[s.pos_in_cell] = v.back();
  units_[v[s.pos_in_cell].slot].pos_in_cell = s.pos_in_cell;
  v.pop_back();
  s.cell = kNoCell;
}

void LiveIndex::SyncEntry(uint32_t slot) {
  const Slot& s = units_[slot];
  if (s.cell == kNoCell) return;
  CellEntry& e = cells_[s.cell].entries[s.pos_in_cell];
  e.lat = s.lat;
  e.lon = s.lon;
  e.attrs = s.attrs;
  e.usable = !s.suspect;
}

void LiveIndex::Place(uint32_t slot, double lat, double lon) {
  Slot& s = units_[slot];
  int32_t row = RowOf(lat), col = ColOf(lon);
  // Most fixes stay in their cell: no hash lookup then.
  if (s.cell == kNoCell || cells_[s.cell].row != row || cells_[s.cell].col != col) {
    uint32_t cell = CellFor(row, col);
    Unplace(slot);
    std::vector<CellEntry>& v = cells_[cell].entries;
    s.cell = cell;
    s.pos_in_cell = static_cast<uint32_t>(v.size());
    v.push_back(CellEntry{lat, lon, s.id, slot, s.attrs, false});
  }
  s.lat = lat;
  s.lon = lon;
}

uint32_t LiveIndex::SlotFor(UnitId unit) {
  uint32_t slot = slot_of_.Find(unit.value);
  if (slot != FlatIdMap::kMissing) return slot;
  slot = static_cast<uint32_t>(units_.size());
  units_.push_back(Slot{});
  units_.back().id = unit.value;
  slot_of_.Put(unit.value, slot);
  return slot;
}

FixOutcome LiveIndex::Update(UnitId unit, LatLon p, Time time, float speed, float heading) {
  if (!unit || !std::isfinite(p.lat) || !std::isfinite(p.lon) || std::abs(p.lat) > 90 ||
      std::abs(p.lon) > 180)
    return FixOutcome::kInvalid;
  uint32_t slot = SlotFor(unit);
  Slot& s = units_[slot];
  int64_t t = time.ms;
  if (s.t_ms != INT64_MIN) {
    if (t < s.t_ms) return FixOutcome::kStaleOlder;
    if (t == s.t_ms) return FixOutcome::kDuplicate;
    auto implausible = [&](double lat, double lon, int64_t from_ms) {
      // Cheap planar estimate first: GPS-noise-sized moves (nearly every fix) skip the trig.
      double dy = (p.lat - lat) * kMetersPerDegLat, dx = (p.lon - lon) * kMetersPerDegLat;
      if (dy * dy + dx * dx < 0.8 * options_.jump_tolerance_m * options_.jump_tolerance_m)
        return false;
      double d = DistanceMeters(LatLon{lat, lon}, p);
      if (d <= options_.jump_tolerance_m) return false;
      double dt = static_cast<double>(t - from_ms) / 1000.0;
      return d > options_.max_speed_mps * dt;
    };
    if (implausible(s.lat, s.lon, s.t_ms)) {
      // A second fix that agrees with the held-back one means the unit really is there.
      bool confirmed =
          s.suspect && t > s.jump_ms && !implausible(s.jump_lat, s.jump_lon, s.jump_ms);
      if (!confirmed) {
        s.suspect = true;
        s.jump_lat = p.lat;
        s.jump_lon = p.lon;
        s.jump_ms = t;
        s.seen_ms = std::max(s.seen_ms, t);
        SyncEntry(slot);
        return FixOutcome::kImpossibleJump;
      }
    }
  }
  Place(slot, p.lat, p.lon);
  s.t_ms = t;
  s.seen_ms = std::max(s.seen_ms, t);
  s.speed = speed;
  s.heading = heading;
  s.suspect = false;
  SyncEntry(slot);
  return FixOutcome::kAccepted;
}

LiveIndex::Saved LiveIndex::Save(UnitId unit) const {
  Saved out;
  out.id = unit.value;
  uint32_t slot = slot_of_.Find(unit.value);
  if (slot == FlatIdMap::kMissing) return out;
  out.present = true;
  out.slot = units_[slot];
  return out;
}

void LiveIndex::Restore(const Saved& saved) {
  if (!saved.present) {
    Remove(UnitId{saved.id});
    return;
  }
  uint32_t slot = SlotFor(UnitId{saved.id});
  Slot& s = units_[slot];
  // Everything but where the slot sits now, then re-placed from the saved position.
  const uint32_t cell = s.cell, pos_in_cell = s.pos_in_cell;
  s = saved.slot;
  s.cell = cell;
  s.pos_in_cell = pos_in_cell;
  if (s.t_ms == INT64_MIN)
    Unplace(slot);
  else
    Place(slot, s.lat, s.lon);
  SyncEntry(slot);
}

void LiveIndex::SetAttributes(UnitId unit, uint8_t attrs) {
  uint32_t slot = SlotFor(unit);
  units_[slot].attrs = attrs;
  SyncEntry(slot);
}

bool LiveIndex::Remove(UnitId unit) {
  uint32_t slot = slot_of_.Find(unit.value);
  if (slot == FlatIdMap::kMissing) return false;
  Unplace(slot);
  slot_of_.Erase(unit.value);
  uint32_t last = static_cast<uint32_t>(units_.size() - 1);
  if (slot != last) {
    // Move the last slot into the hole and repoint its map entry and cell entry.
    units_[slot] = units_[last];
    slot_of_.Put(units_[slot].id, slot);
    if (units_[slot].cell != kNoCell)
      cells_[units_[slot].cell].entries[units_[slot].pos_in_cell].slot = slot;
  }
  units_.pop_back();
  return true;
}

std::optional<UnitPosition> LiveIndex::Get(UnitId unit) const {
  uint32_t slot = slot_of_.Find(unit.value);
  if (slot == FlatIdMap::kMissing) return std::nullopt;
  const Slot& s = units_[slot];
  UnitPosition u;
  u.unit = unit;
  u.position = {s.lat, s.lon};
  u.time = Time{s.t_ms == INT64_MIN ? 0 : s.t_ms};
  u.last_seen = Time{s.seen_ms == INT64_MIN ? 0 : s.seen_ms};
  u.speed = s.speed;
  u.heading = s.heading;
  u.attrs = s.attrs;
  u.suspect = s.suspect;
  return u;
}

std::vector<UnitPosition> LiveIndex::All() const {
  std::vector<UnitPosition> out;
  out.reserve(units_.size());
  for (const Slot& s : units_) out.push_back(*Get(UnitId{s.id}));
  std::sort(out.begin(), out.end(),
            [](const UnitPosition& a, const UnitPosition& b) { return a.unit < b.unit; });
  return out;
}

Neighbor LiveIndex::ToNeighbor(const CellEntry& e, double meters) const {
  return Neighbor{UnitId{e.id}, meters, LatLon{e.lat, e.lon}, Time{units_[e.slot].t_ms}};
}

std::vector<Neighbor> LiveIndex::Nearest(LatLon q, size_t k, UnitFilter filter) const {
  std::vector<Neighbor> heap;  // max-heap on (meters, unit): the worst of the best k on top
  if (k == 0 || cells_.empty()) return heap;
  heap.reserve(k + 1);
  // A planar estimate rejects most candidates without trigonometry. Within 20 km and below 80
  // degrees of latitude it is within 5% of the haversine distance, so rejecting only what the
  // estimate puts more than 1/0.95 beyond the current k-th best never drops a true neighbour.
  const double cos_q = std::cos(q.lat * kRad);
  const bool planar_ok = std::abs(q.lat) < 80;
  auto consider_cell = [&](const Cell& cell) {
    for (const CellEntry& e : cell.entries) {
      if (!e.usable || !filter.Matches(e.attrs)) continue;
      if (planar_ok && heap.size() == k && heap.front().meters < 20000) {
        double dy = (e.lat - q.lat) * kMetersPerDegLat;
        double dx = (e.lon - q.lon) * kMetersPerDegLat * cos_q;
        double worst = heap.front().meters;
        if ((dy * dy + dx * dx) * 0.9025 > worst * worst) continue;  // 0.95^2
      }
      Neighbor n{UnitId{e.id}, DistanceMeters(q, LatLon{e.lat, e.lon}), LatLon{e.lat, e.lon},
                 Time{}};
      if (heap.size() < k) {
        heap.push_back(n);
        std::push_heap(heap.begin(), heap.end(), Closer);
      } else if (Closer(n, heap.front())) {
        std::pop_heap(heap.begin(), heap.end(), Closer);
        heap.back() = n;
        std::push_heap(heap.begin(), heap.end(), Closer);
      }
    }
  };
  const int32_t qr = RowOf(q.lat), qc = ColOf(q.lon);
  int64_t visited = 0;
  for (int32_t r = 0;; ++r) {
    if (r == 0) {
      if (uint32_t c = FindCell(qr, qc); c != FlatIdMap::kMissing) consider_cell(cells_[c]);
    } else {
      for (int32_t dc = -r; dc <= r; ++dc) {
        for (int32_t row : {qr - r, qr + r})
          if (uint32_t c = FindCell(row, qc + dc); c != FlatIdMap::kMissing)
            consider_cell(cells_[c]);
      }
      for (int32_t dr = -r + 1; dr <= r - 1; ++dr) {
        for (int32_t col : {qc - r, qc + r})
          if (uint32_t c = FindCell(qr + dr, col); c != FlatIdMap::kMissing)
            consider_cell(cells_[c]);
      }
    }
    visited += r == 0 ? 1 : 8 * static_cast<int64_t>(r);
    // Lower bound on the distance to anything outside the (2r+1)^2 block: haversine is at least
    // R*dlat, and at least 2R*asin(cos(lat_max)*sin(dlon/2)) within the block's latitude band.
    double south = (qr - r) * cell_lat_deg_, north = (qr + r + 1) * cell_lat_deg_;
    double west = (qc - r) * cell_lon_deg_, east = (qc + r + 1) * cell_lon_deg_;
    double dlat = std::min(q.lat - south, north - q.lat) * kRad;
    double dlon = std::min({q.lon - west, east - q.lon, 180.0}) * kRad;
    double lat_max = std::min(90.0, std::max(std::abs(south), std::abs(north))) * kRad;
    double bound = std::min(kEarthRadius * dlat,
                            2 * kEarthRadius * std::asin(std::cos(lat_max) * std::sin(dlon / 2)));
    if (heap.size() == k && heap.front().meters < bound) break;
    if (south <= -90 && north >= 90 && west <= -180 && east >= 180) break;
    if (visited > static_cast<int64_t>(cells_.size()) * 2) {
      // Sparse data far away: ring walking costs more than scanning the cells that exist.
      for (const Cell& cell : cells_)
        if (std::max(std::abs(cell.row - qr), std::abs(cell.col - qc)) > r) consider_cell(cell);
      break;
    }
  }
  std::sort_heap(heap.begin(), heap.end(), Closer);
  for (Neighbor& n : heap) n.time = Time{units_[slot_of_.Find(n.unit.value)].t_ms};
  return heap;
}

template <typename Fn>
void LiveIndex::ForEachInBox(const Bbox& box, Fn&& fn) const {
  int32_t r0 = RowOf(box.min_lat), r1 = RowOf(box.max_lat);
  int32_t c0 = ColOf(box.min_lon), c1 = ColOf(box.max_lon);
  double span = (static_cast<double>(r1) - r0 + 1) * (static_cast<double>(c1) - c0 + 1);
  if (span > static_cast<double>(cells_.size())) {
    for (const Cell& cell : cells_)
      if (cell.row >= r0 && cell.row <= r1 && cell.col >= c0 && cell.col <= c1)
        for (const CellEntry& e : cell.entries) fn(e);
    return;
  }
  for (int32_t r = r0; r <= r1; ++r)
    for (int32_t c = c0; c <= c1; ++c)
      if (uint32_t i = FindCell(r, c); i != FlatIdMap::kMissing)
        for (const CellEntry& e : cells_[i].entries) fn(e);
}

std::vector<Neighbor> LiveIndex::WithinRadius(LatLon q, double meters, UnitFilter filter) const {
  std::vector<Neighbor> out;
  if (!(meters >= 0)) return out;
  double dlat = meters / kMetersPerDegLat;
  Bbox box;
  box.min_lat = std::max(-90.0, q.lat - dlat);
  box.max_lat = std::min(90.0, q.lat + dlat);
  double c = std::cos(std::max(std::abs(box.min_lat), std::abs(box.max_lat)) * kRad);
  double dlon = c > 1e-9 ? dlat / c : 360.0;
  box.min_lon = dlon >= 180 ? -180 : std::max(-180.0, q.lon - dlon);
  box.max_lon = dlon >= 180 ? 180 : std::min(180.0, q.lon + dlon);
  ForEachInBox(box, [&](const CellEntry& e) {
    if (!e.usable || !filter.Matches(e.attrs)) return;
    double d = DistanceMeters(q, LatLon{e.lat, e.lon});
    if (d <= meters) out.push_back(ToNeighbor(e, d));
  });
  std::sort(out.begin(), out.end(), Closer);
  return out;
}

std::vector<UnitId> LiveIndex::WithinPolygon(const Polygon& polygon, UnitFilter filter) const {
  std::vector<UnitId> out;
  if (polygon.bbox().empty()) return out;
  ForEachInBox(polygon.bbox(), [&](const CellEntry& e) {
    if (e.usable && filter.Matches(e.attrs) && polygon.Contains(LatLon{e.lat, e.lon}))
      out.push_back(UnitId{e.id});
  });
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<UnitId> LiveIndex::Stale(Time now, int64_t max_age_ms) const {
  std::vector<UnitId> out;
  for (const Slot& s : units_)
    if (s.seen_ms == INT64_MIN || now.ms - s.seen_ms > max_age_ms) out.push_back(UnitId{s.id});
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace ncc::geo
