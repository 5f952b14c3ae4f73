#include "sim/driver.h"

#include <algorithm>
#include <cmath>

namespace ncc::sim {

Drive::Drive(std::vector<LatLon> path, int64_t start_ms, double seconds)
    : path_(std::move(path)), start_ms_(start_ms) {
  cumulative_.assign(path_.size(), 0);
  for (size_t i = 1; i < path_.size(); ++i)
    cumulative_[i] = cumulative_[i - 1] + DistanceMeters(path_[i - 1], path_[i]);
  end_ms_ = start_ms + static_cast<int64_t>(std::llround(std::max(0.0, seconds) * 1000));
  speed_ = seconds > 0 ? meters() / seconds : 0;
}

size_t Drive::LegAt(double m) const {
  auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), m);
  size_t i = static_cast<size_t>(it - cumulative_.begin());
  return i == 0 ? 0 : std::min(i - 1, path_.size() - 2);
}

LatLon Drive::At(int64_t ms) const {
  if (path_.empty()) return {};
  if (path_.size() == 1 || ms >= end_ms_) return path_.back();
  if (ms <= start_ms_) return path_.front();
  double f = double(ms - start_ms_) / double(end_ms_ - start_ms_);
  double m = f * meters();
  size_t i = LegAt(m);
  double leg = cumulative_[i + 1] - cumulative_[i];
  double t = leg > 0 ? (m - cumulative_[i]) / leg : 0;
  return {path_[i].lat + t * (path_[i + 1].lat - path_[i].lat),
          path_[i].lon + t * (path_[i + 1].lon - path_[i].lon)};
}

double Drive::HeadingAt(int64_t ms) const {
  if (path_.size() < 2 || end_ms_ <= start_ms_) return 0;
  double f = std::clamp(double(ms - start_ms_) / double(end_ms_ - start_ms_), 0.0, 1.0);
  size_t i = LegAt(f * meters());
  const LatLon& a = path_[i];
  const LatLon& b = path_[i + 1];
  double y = (b.lon - a.lon) * std::cos(a.lat * M_PI / 180);
  double x = b.lat - a.lat;
  double deg = std::atan2(y, x) * 180 / M_PI;
  if (deg < 0) deg += 360;
  return deg >= 360 ? 0 : deg;
}

PlannedRoute RoutePlanner::Plan(LatLon from, LatLon to) const {
  ++routes_;
  auto r = routing_.RouteBetween(from, to, routing::Algorithm::kCh, /*want_geometry=*/true);
  if (r.ok() && r->cost.reachable() && !r->geometry.empty()) {
    PlannedRoute p;
    p.path = std::move(r->geometry);
    p.seconds = r->cost.time_ms / 1000.0;
    p.meters = r->cost.length_dm / 10.0;
    return p;
  }
  ++fallbacks_;
  PlannedRoute p;
  p.path = {from, to};
  p.meters = DistanceMeters(from, to);
  p.seconds = p.meters / (40 / 3.6);
  p.road = false;
  return p;
}

}  // namespace ncc::sim
