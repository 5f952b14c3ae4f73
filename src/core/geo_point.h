// A WGS84 position. Validation lives here so every entry point rejects the same way.
#pragma once

#include <cmath>
#include <string>

#include "core/status.h"

namespace ncc {

struct LatLon {
  double lat = 0;
  double lon = 0;
  bool operator==(const LatLon&) const = default;
  template <typename V>
  void Fields(V& v) {
    v("lat", lat);
    v("lon", lon);
  }
};

// Rejects NaN, infinities and out-of-range values, naming `field` (e.g. "location.lat").
inline Status ValidateLatLon(const LatLon& p, const std::string& field) {
  if (!std::isfinite(p.lat) || p.lat < -90 || p.lat > 90)
    return InvalidArgument("latitude must be a number in [-90, 90]", field + ".lat");
  if (!std::isfinite(p.lon) || p.lon < -180 || p.lon > 180)
    return InvalidArgument("longitude must be a number in [-180, 180]", field + ".lon");
  return Status::Ok();
}

// Great-circle distance in metres (haversine, mean Earth radius).
inline double DistanceMeters(const LatLon& a, const LatLon& b) {
  constexpr double kEarthRadius = 6371008.8;
  constexpr double kRad = M_PI / 180.0;
  double dlat = (b.lat - a.lat) * kRad, dlon = (b.lon - a.lon) * kRad;
  double h = std::sin(dlat / 2) * std::sin(dlat / 2) + std::cos(a.lat * kRad) *
                                                           std::cos(b.lat * kRad) *
                                                           std::sin(dlon / 2) * std::sin(dlon / 2);
  return 2 * kEarthRadius * std::asin(std::min(1.0, std::sqrt(h)));
}

}  // namespace ncc
