#include "correlate/open_groups.h"

#include <algorithm>
#include <cmath>

namespace ncc::correlate {
namespace {
constexpr int64_t kMaxCellsPerGroup = 4096;
}

OpenGroups::OpenGroups(double cell_m) : cell_deg_(std::max(cell_m, 50.0) / 111000.0) {}

OpenGroups::Rect OpenGroups::RectOf(const geo::Bbox& b) const {
  return Rect{static_cast<int64_t>(std::floor(b.min_lat / cell_deg_)),
              static_cast<int64_t>(std::floor(b.max_lat / cell_deg_)),
              static_cast<int64_t>(std::floor(b.min_lon / cell_deg_)),
              static_cast<int64_t>(std::floor(b.max_lon / cell_deg_))};
}

void OpenGroups::Upsert(GroupId id, const geo::Bbox& bounds, int64_t last_ms) {
  auto [it, added] = groups_.try_emplace(id);
  Entry& e = it->second;
  if (!added) by_last_.erase({e.last_ms, id});
  e.last_ms = last_ms;
  by_last_.insert({last_ms, id});
  if (e.wide) return;
  Rect now = RectOf(bounds);
  if (now.Cells() > kMaxCellsPerGroup) {
    Unregister(id, e);
    e.wide = true;
    wide_.insert(std::upper_bound(wide_.begin(), wide_.end(), id), id);
    return;
  }
  // Register only the cells the grown bounds added.
  for (int64_t r = now.r0; r <= now.r1; ++r)
    for (int64_t c = now.c0; c <= now.c1; ++c)
      if (!e.rect.Has(r, c)) cells_[Key(r, c)].push_back(id);
  e.rect = now;
}

void OpenGroups::Unregister(GroupId id, const Entry& e) {
  for (int64_t r = e.rect.r0; r <= e.rect.r1; ++r)
    for (int64_t c = e.rect.c0; c <= e.rect.c1; ++c) {
      auto cell = cells_.find(Key(r, c));
      if (cell == cells_.end()) continue;
      std::erase(cell->second, id);
      if (cell->second.empty()) cells_.erase(cell);
    }
}

bool OpenGroups::Close(GroupId id) {
  auto it = groups_.find(id);
  if (it == groups_.end()) return false;
  by_last_.erase({it->second.last_ms, id});
  if (it->second.wide)
    std::erase(wide_, id);
  else
    Unregister(id, it->second);
  groups_.erase(it);
  return true;
}

void OpenGroups::CloseBefore(int64_t cutoff_ms) {
  while (!by_last_.empty() && by_last_.begin()->first < cutoff_ms) {
    GroupId id = by_last_.begin()->second;
    by_last_.erase(by_last_.begin());
    auto it = groups_.find(id);
    if (it->second.wide)
      std::erase(wide_, id);
    else
      Unregister(id, it->second);
    groups_.erase(it);
  }
}

std::vector<GroupId> OpenGroups::Near(const geo::Bbox& reach) const {
  std::vector<GroupId> out;
  Rect r = RectOf(reach);
  if (r.Cells() > static_cast<int64_t>(cells_.size())) {
    for (const auto& [id, e] : groups_) out.push_back(id);
    return out;
  }
  out = wide_;
  for (int64_t row = r.r0; row <= r.r1; ++row)
    for (int64_t col = r.c0; col <= r.c1; ++col)
      if (auto cell = cells_.find(Key(row, col)); cell != cells_.end())
        out.insert(out.end(), cell->second.begin(), cell->second.end());
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace ncc::correlate
