#include "routing/synthetic.h"

#include <cmath>
#include <random>

#include "core/geo_point.h"

namespace ncc::routing {

DirectedGraph SyntheticRoadGrid(uint32_t side, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> unit(0, 1);
  DirectedGraph g;
  // Centred on an empty stretch of sea off Doha so nobody mistakes it for real streets.
  const double lat0 = 25.0, lon0 = 52.0, step = 0.0009;  // ~100 m
  for (uint32_t y = 0; y < side; ++y)
    for (uint32_t x = 0; x < side; ++x) {
      double lat = lat0 + (y + (unit(rng) - 0.5) * 0.4) * step;
      double lon = lon0 + (x + (unit(rng) - 0.5) * 0.4) * step;
      g.lat_e7.push_back(static_cast<int32_t>(std::lround(lat * 1e7)));
      g.lon_e7.push_back(static_cast<int32_t>(std::lround(lon * 1e7)));
    }
  // Road classes as in a city: expressways every 64th line, arterials every 8th, streets.
  auto link = [&](uint32_t a, uint32_t b, int line) {
    bool expressway = line % 64 == 0, arterial = line % 8 == 0;
    if (!arterial && unit(rng) < 0.06) return;  // missing block
    double kmh =
        expressway ? 90 + 20 * unit(rng) : (arterial ? 50 + 20 * unit(rng) : 20 + 20 * unit(rng));
    LatLon pa{g.lat_e7[a] / 1e7, g.lon_e7[a] / 1e7}, pb{g.lat_e7[b] / 1e7, g.lon_e7[b] / 1e7};
    double m = DistanceMeters(pa, pb);
    uint32_t ms = static_cast<uint32_t>(std::max(1.0, std::round(m / (kmh / 3.6) * 1000)));
    uint32_t dm = static_cast<uint32_t>(std::round(m * 10));
    double r = unit(rng);
    bool oneway = !arterial && r < 0.15;
    if (!oneway || r < 0.075) g.edges.push_back({a, b, ms, dm});
    if (!oneway || r >= 0.075) g.edges.push_back({b, a, ms, dm});
  };
  for (uint32_t y = 0; y < side; ++y)
    for (uint32_t x = 0; x < side; ++x) {
      uint32_t v = y * side + x;
      if (x + 1 < side) link(v, v + 1, static_cast<int>(y));
      if (y + 1 < side) link(v, v + side, static_cast<int>(x));
    }
  KeepLargestComponent(g, nullptr);
  return g;
}

}  // namespace ncc::routing
