#include "geo/polygon.h"

#include <algorithm>
#include <cmath>

namespace ncc::geo {

void Bbox::Extend(const LatLon& p) {
  min_lat = std::min(min_lat, p.lat);
  max_lat = std::max(max_lat, p.lat);
  min_lon = std::min(min_lon, p.lon);
  max_lon = std::max(max_lon, p.lon);
}

void Bbox::Extend(const Bbox& b) {
  if (b.empty()) return;
  Extend(LatLon{b.min_lat, b.min_lon});
  Extend(LatLon{b.max_lat, b.max_lon});
}

Ring::Ring(std::vector<LatLon> points) : points_(std::move(points)) {
  if (points_.size() >= 2 && points_.front() == points_.back()) points_.pop_back();
  for (const LatLon& p : points_) bbox_.Extend(p);
  size_t n = points_.size();
  if (n < 3) return;
  // About two edges per band on average keeps the index small and the per-test work constant.
  size_t bands = std::clamp<size_t>(n / 2, 1, 4096);
  double height = bbox_.max_lat - bbox_.min_lat;
  band_height_ = height > 0 ? height / static_cast<double>(bands) : 1;
  auto band_of = [&](double lat) {
    auto b = static_cast<int64_t>((lat - bbox_.min_lat) / band_height_);
    return static_cast<size_t>(std::clamp<int64_t>(b, 0, static_cast<int64_t>(bands) - 1));
  };
  std::vector<uint32_t> counts(bands + 1, 0);
  auto for_each_band = [&](size_t i, auto&& fn) {
    const LatLon& a = points_[i];
    const LatLon& b = points_[(i + 1) % n];
    size_t lo = band_of(std::min(a.lat, b.lat)), hi = band_of(std::max(a.lat, b.lat));
    for (size_t k = lo; k <= hi; ++k) fn(k);
  };
  for (size_t i = 0; i < n; ++i) for_each_band(i, [&](size_t k) { ++counts[k + 1]; });
  for (size_t k = 0; k < bands; ++k) counts[k + 1] += counts[k];
  band_start_ = counts;
  band_edges_.resize(counts[bands]);
  std::vector<uint32_t> fill(counts.begin(), counts.end() - 1);
  for (size_t i = 0; i < n; ++i)
    for_each_band(i, [&](size_t k) { band_edges_[fill[k]++] = static_cast<uint32_t>(i); });
}

bool Ring::Contains(const LatLon& p) const {
  if (band_start_.empty() || !bbox_.Contains(p)) return false;
  size_t bands = band_start_.size() - 1;
  auto b = static_cast<int64_t>((p.lat - bbox_.min_lat) / band_height_);
  size_t band = static_cast<size_t>(std::clamp<int64_t>(b, 0, static_cast<int64_t>(bands) - 1));
  size_t n = points_.size();
  bool inside = false;
  for (uint32_t k = band_start_[band]; k < band_start_[band + 1]; ++k) {
    uint32_t i = band_edges_[k];
    const LatLon& a = points_[i];
    const LatLon& c = points_[(i + 1) % n];
    // Half-open rule on latitude so a vertex shared by two edges is counted once.
    if ((a.lat > p.lat) != (c.lat > p.lat)) {
      double x = a.lon + (p.lat - a.lat) * (c.lon - a.lon) / (c.lat - a.lat);
      if (p.lon < x) inside = !inside;
    }
  }
  return inside;
}

Polygon::Polygon(Ring outer, std::vector<Ring> holes)
    : outer_(std::move(outer)), holes_(std::move(holes)) {}

bool Polygon::Contains(const LatLon& p) const {
  if (!outer_.Contains(p)) return false;
  for (const Ring& h : holes_)
    if (h.Contains(p)) return false;
  return true;
}

}  // namespace ncc::geo
