// The alarm groups that can still take alarms, indexed by place and by last alarm time, so that
// correlating one alarm costs in proportion to the groups near it, even in an alarm storm.
// Thread: owned by one Correlator; not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <unordered_map>
#include <vector>

#include "core/ids.h"
#include "geo/polygon.h"

namespace ncc::correlate {

using GroupId = Id<struct AlarmGroupTag>;

class OpenGroups {
 public:
  // `cell_m`: grid cell size, about the farthest any rule reaches.
  explicit OpenGroups(double cell_m);

  // Adds the group or records that its bounds grew / its last alarm moved.
  void Upsert(GroupId id, const geo::Bbox& bounds, int64_t last_ms);
  bool IsOpen(GroupId id) const { return groups_.count(id) > 0; }
  // Closes one group (its incident was closed); false if it was not open.
  bool Close(GroupId id);
  // Closes every group whose last alarm is before `cutoff_ms`.
  void CloseBefore(int64_t cutoff_ms);
  // Open groups whose bounds may intersect `reach`, ascending id (a superset: callers check).
  std::vector<GroupId> Near(const geo::Bbox& reach) const;

 private:
  struct Rect {
    int64_t r0 = 0, r1 = -1, c0 = 0, c1 = -1;
    int64_t Cells() const { return (r1 - r0 + 1) * (c1 - c0 + 1); }
    bool Has(int64_t r, int64_t c) const { return r >= r0 && r <= r1 && c >= c0 && c <= c1; }
  };
  struct Entry {
    int64_t last_ms = 0;
    Rect rect;
    bool wide = false;  // too many cells: listed in wide_ instead
  };
  Rect RectOf(const geo::Bbox& b) const;
  static uint64_t Key(int64_t r, int64_t c) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(r)) << 32) | static_cast<uint32_t>(c);
  }
  void Unregister(GroupId id, const Entry& e);

  double cell_deg_;
  std::map<GroupId, Entry> groups_;
  std::set<std::pair<int64_t, GroupId>> by_last_;
  std::unordered_map<uint64_t, std::vector<GroupId>> cells_;
  std::vector<GroupId> wide_;
};

}  // namespace ncc::correlate
