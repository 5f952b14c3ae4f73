// The live spatial index of units (AVL): where every unit is now, updated in place at millions
// of fixes per second, answering nearest-k, radius, polygon and staleness queries.
//
// Shape: a uniform grid of cells in degrees (cell height `cell_meters`, width scaled by the cosine
// of `reference_lat`); each unit owns one slot, each non-empty cell a vector of slot numbers with
// swap-remove, so a move costs O(1) and a fix that stays in its cell touches only its slot.
//
// Thread: one thread (the AVL lane) calls everything; there is no internal locking.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "core/geo_point.h"
#include "core/ids.h"
#include "core/status.h"
#include "geo/flat_id_map.h"
#include "geo/polygon.h"

namespace ncc::geo {

// What became of a fix. Values are stable (they appear in metrics and logs).
enum class FixOutcome : uint8_t {
  kAccepted = 0,        // position and time now current
  kStaleOlder = 1,      // older than the unit's current fix: ignored, never overwrites
  kDuplicate = 2,       // same time as the current fix: ignored
  kImpossibleJump = 3,  // implied speed from the last trusted fix above the limit: held back
  kInvalid = 4,         // NaN or out-of-range coordinates, or a zero UnitId
};
const char* FixOutcomeName(FixOutcome o);

struct LiveIndexOptions {
  double cell_meters = 500;
  // Cell widths in longitude are cell_meters at this latitude (use the service area's centre).
  double reference_lat = 0;
  // Fixes implying more than this speed from the last trusted fix are held back (360 km/h covers
  // helicopters; ground units never get close).
  double max_speed_mps = 100;
  // Jumps shorter than this are GPS noise, not teleports, whatever the time between fixes.
  double jump_tolerance_m = 100;
};

// Caller-defined attribute bits per unit (e.g. bit 0 = available, bits 1..7 = kind). A unit
// matches when it has every bit of `require_all` and none of `exclude_any`.
struct UnitFilter {
  uint8_t require_all = 0;
  uint8_t exclude_any = 0;
  bool Matches(uint8_t attrs) const {
    return (attrs & require_all) == require_all && (attrs & exclude_any) == 0;
  }
};

struct Neighbor {
  UnitId unit;
  double meters = 0;  // haversine distance from the query point
  LatLon position;
  Time time;
};

// A unit's current state as the index holds it.
struct UnitPosition {
  UnitId unit;
  LatLon position;
  Time time;          // time of the current (trusted) fix
  Time last_seen;     // time of the newest fix received, held back or not
  float speed = 0;    // m/s as reported
  float heading = 0;  // degrees as reported with that fix
  uint8_t attrs = 0;
  bool suspect = false;  // the newest fix was an impossible jump and is held back
};

class LiveIndex {
 public:
  explicit LiveIndex(LiveIndexOptions options = {});

  // Applies one fix. Older and same-time fixes never overwrite the current one. A fix implying an
  // impossible speed from the last trusted fix is held back (kImpossibleJump, unit flagged
  // suspect); if the next fix agrees with the held-back one (plausible speed between them), the
  // unit really moved and that next fix is accepted.
  FixOutcome Update(UnitId unit, LatLon position, Time time, float speed = 0, float heading = 0);

  // Sets the attribute bits used by UnitFilter; creates the unit (without position) if unknown.
  void SetAttributes(UnitId unit, uint8_t attrs);
  // Forgets a unit; returns false if it was unknown.
  bool Remove(UnitId unit);

  std::optional<UnitPosition> Get(UnitId unit) const;
  // Every unit the index knows (for a console's initial snapshot), by UnitId.
  std::vector<UnitPosition> All() const;
  size_t size() const { return units_.size(); }

  // The k units nearest to `center` (haversine) that match `filter`, nearest first; ties broken by
  // UnitId. Units without a position or marked suspect are never returned.
  std::vector<Neighbor> Nearest(LatLon center, size_t k, UnitFilter filter = {}) const;
  // Every matching unit within `meters` of `center`, nearest first.
  std::vector<Neighbor> WithinRadius(LatLon center, double meters, UnitFilter filter = {}) const;
  // Every matching unit inside `polygon`, by UnitId.
  std::vector<UnitId> WithinPolygon(const Polygon& polygon, UnitFilter filter = {}) const;
  // Units whose newest fix (held back or not) is older than now - max_age, or that never had one,
  // by UnitId.
  std::vector<UnitId> Stale(Time now, int64_t max_age_ms) const;

  // A unit's whole state (a held-back jump included), to put back exactly: the AVL lane undoes
  // a group of fixes whose track store write failed. Saving an unknown unit saves its absence.
  struct Saved;
  Saved Save(UnitId unit) const;
  void Restore(const Saved& saved);

 private:
  static constexpr uint32_t kNoCell = UINT32_MAX;

  struct Slot {
    uint64_t id = 0;
    double lat = 0, lon = 0;
    int64_t t_ms = INT64_MIN;  // INT64_MIN: no position yet
    int64_t seen_ms = INT64_MIN;
    // The held-back fix of a suspected jump, to confirm or refute it with the next fix.
    double jump_lat = 0, jump_lon = 0;
    int64_t jump_ms = INT64_MIN;
    float speed = 0;
    float heading = 0;
    uint8_t attrs = 0;
    bool suspect = false;
    uint32_t cell = kNoCell;
    uint32_t pos_in_cell = 0;
  };

 public:
  struct Saved {
    uint64_t id = 0;
    bool present = false;
    Slot slot;
  };

 private:
  // Positions are copied into the cell so a query scans contiguous memory instead of chasing
  // slot numbers across the whole table.
  struct CellEntry {
    double lat = 0, lon = 0;
    uint64_t id = 0;  // a copy, so ranking never touches the slot table
    uint32_t slot = 0;
    uint8_t attrs = 0;
    bool usable = false;  // has a trusted position and is not suspect
  };
  struct Cell {
    int32_t row = 0, col = 0;
    std::vector<CellEntry> entries;
  };

  int32_t RowOf(double lat) const;
  int32_t ColOf(double lon) const;
  uint32_t CellFor(int32_t row, int32_t col);  // creates the cell
  uint32_t FindCell(int32_t row, int32_t col) const;
  void Place(uint32_t slot, double lat, double lon);
  void Unplace(uint32_t slot);
  uint32_t SlotFor(UnitId unit);
  void SyncEntry(uint32_t slot);  // copies the slot's state into its cell entry
  Neighbor ToNeighbor(const CellEntry& e, double meters) const;
  // Visits units of every cell overlapping the box.
  template <typename Fn>
  void ForEachInBox(const Bbox& box, Fn&& fn) const;

  LiveIndexOptions options_;
  double cell_lat_deg_, cell_lon_deg_;
  std::vector<Slot> units_;
  FlatIdMap slot_of_;
  std::vector<Cell> cells_;
  FlatIdMap cell_of_;  // key: (row, col) packed
};

}  // namespace ncc::geo
