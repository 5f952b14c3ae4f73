#include "routing/snapper.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <tuple>

namespace ncc::routing {
namespace {

constexpr double kMetersPerDegree = 6371008.8 * M_PI / 180.0;
constexpr int64_t kBlock = kSnapBlock;  // cells per block side

struct Candidate {
  double dist2 = INFINITY;
  int32_t key[4] = {0, 0, 0, 0};  // the segment's endpoints, ordered, to group directions
};

int64_t FloorDiv(int64_t a, int64_t b) {
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}

}  // namespace

Snapper::Snapper(const RoadGraph& graph) : g_(graph) {}

StatusOr<Snap> Snapper::Nearest(const LatLon& p, double max_distance_m,
                                const std::string& field) const {
  NCC_RETURN_IF_ERROR(ValidateLatLon(p, field));
  const SnapGrid& grid = g_.grid;
  if (g_.edge_count() == 0 || grid.nx == 0 || grid.ny == 0)
    return InvalidArgument("the road graph is empty", field);
  const double coslat = std::cos(p.lat * M_PI / 180.0);
  const double cell_deg = grid.cell_e7 / kFixedPointScale;
  // A lower bound of a cell's extent in metres anywhere in the grid.
  double max_abs_lat = std::max(std::abs(grid.lat0_e7 / kFixedPointScale),
                                std::abs(grid.lat0_e7 / kFixedPointScale + grid.ny * cell_deg));
  double cell_m =
      cell_deg * kMetersPerDegree * std::cos(std::min(max_abs_lat, 89.0) * M_PI / 180.0);
  const int64_t cx =
      static_cast<int64_t>(std::floor((p.lon * kFixedPointScale - grid.lon0_e7) / grid.cell_e7));
  const int64_t cy =
      static_cast<int64_t>(std::floor((p.lat * kFixedPointScale - grid.lat0_e7) / grid.cell_e7));
  const int64_t nx = grid.nx, ny = grid.ny;
  auto outside = [](int64_t c, int64_t n) { return c < 0 ? -c : (c >= n ? c - n + 1 : 0); };
  int64_t r0 = std::max(outside(cx, nx), outside(cy, ny));
  int64_t r_end = r0 + std::max(nx, ny) + 1;
  Candidate best;
  std::vector<EdgeHit> hits;
  // Metres from p to the nearest point of cell (x, y), from the same local projection.
  const double px = (p.lon * kFixedPointScale - grid.lon0_e7) / grid.cell_e7;
  const double py = (p.lat * kFixedPointScale - grid.lat0_e7) / grid.cell_e7;
  const double cell_x_m = cell_deg * coslat * kMetersPerDegree,
               cell_y_m = cell_deg * kMetersPerDegree;
  auto cell_dist2 = [&](int64_t x, int64_t y) {
    double dx = std::max({0.0, x - px, px - (x + 1)}) * cell_x_m;
    double dy = std::max({0.0, y - py, py - (y + 1)}) * cell_y_m;
    return dx * dx + dy * dy;
  };
  auto consider_cell = [&](int64_t x, int64_t y) {
    // Far corners of the search square cannot hold anything nearer than the best so far.
    if (!hits.empty() && cell_dist2(x, y) > best.dist2 * 1.0001 + 1e-6) return;
    uint32_t c = static_cast<uint32_t>(y * nx + x);
    for (uint32_t i = g_.cell_first[c]; i < g_.cell_first[c + 1]; ++i) {
      uint32_t e = g_.cell_edges[i];
      uint32_t t = g_.tail[e], h = g_.head[e];
      double ax = (g_.lon_e7[t] / kFixedPointScale - p.lon) * coslat * kMetersPerDegree;
      double ay = (g_.lat_e7[t] / kFixedPointScale - p.lat) * kMetersPerDegree;
      double bx = (g_.lon_e7[h] / kFixedPointScale - p.lon) * coslat * kMetersPerDegree;
      double by = (g_.lat_e7[h] / kFixedPointScale - p.lat) * kMetersPerDegree;
      double dx = bx - ax, dy = by - ay, len2 = dx * dx + dy * dy;
      double f = len2 > 0 ? std::clamp(-(ax * dx + ay * dy) / len2, 0.0, 1.0) : 0.0;
      double qx = ax + f * dx, qy = ay + f * dy, d2 = qx * qx + qy * qy;
      int32_t k[4] = {g_.lat_e7[t], g_.lon_e7[t], g_.lat_e7[h], g_.lon_e7[h]};
      if (std::tie(k[0], k[1]) > std::tie(k[2], k[3])) {
        std::swap(k[0], k[2]);
        std::swap(k[1], k[3]);
      }
      auto add = [&] {
        if (std::none_of(hits.begin(), hits.end(),
                         [&](const EdgeHit& seen) { return seen.edge == e; }))
          hits.push_back({e, t, h, f});
      };
      if (!hits.empty() && std::equal(k, k + 4, best.key)) {
        add();  // the same piece of road in another direction or from another junction copy
      } else if (d2 < best.dist2 - 1e-9) {
        best.dist2 = d2;
        std::copy(k, k + 4, best.key);
        hits.clear();
        add();
      }
    }
  };
  // Near the point: rings of cells, nearest first, until nothing closer can exist.
  bool done = false;
  for (int64_t r = r0; r < std::min(r_end, r0 + 2 * kBlock); ++r) {
    if (!hits.empty() && (r - 1) * cell_m > std::sqrt(best.dist2)) {
      done = true;
      break;
    }
    for (int64_t y = std::max<int64_t>(cy - r, 0); y <= std::min(cy + r, ny - 1); ++y) {
      bool edge_row = y == cy - r || y == cy + r;
      if (edge_row) {
        for (int64_t x = std::max<int64_t>(cx - r, 0); x <= std::min(cx + r, nx - 1); ++x)
          consider_cell(x, y);
      } else {
        if (cx - r >= 0 && cx - r < nx) consider_cell(cx - r, y);
        if (r > 0 && cx + r >= 0 && cx + r < nx) consider_cell(cx + r, y);
      }
    }
  }
  // Far from any road (sea, mountains, outside the extract): rings of blocks, skipping empty
  // blocks whole, so an unsnappable point costs blocks, not cells.
  const int64_t bx = (nx + kBlock - 1) / kBlock, by = (ny + kBlock - 1) / kBlock;
  const int64_t bcx = FloorDiv(cx, kBlock), bcy = FloorDiv(cy, kBlock);
  const int64_t rb0 = std::max(outside(bcx, bx), outside(bcy, by));
  for (int64_t rb = rb0; !done && rb < rb0 + std::max(bx, by) + 1; ++rb) {
    if (!hits.empty() && (rb - 1) * kBlock * cell_m > std::sqrt(best.dist2)) break;
    for (int64_t y = std::max<int64_t>(bcy - rb, 0); y <= std::min(bcy + rb, by - 1); ++y)
      for (int64_t x = std::max<int64_t>(bcx - rb, 0); x <= std::min(bcx + rb, bx - 1); ++x) {
        if (y != bcy - rb && y != bcy + rb && x != bcx - rb && x != bcx + rb)
          x = bcx + rb;  // inside the ring: jump to its right side
        if (x >= bx || !g_.block_used[y * bx + x]) continue;
        for (int64_t cyy = y * kBlock; cyy < std::min((y + 1) * kBlock, ny); ++cyy)
          for (int64_t cxx = x * kBlock; cxx < std::min((x + 1) * kBlock, nx); ++cxx)
            consider_cell(cxx, cyy);
      }
  }
  if (hits.empty()) return InvalidArgument("no road in the graph", field);
  Snap s;
  const EdgeHit& h0 = hits.front();
  LatLon a = g_.Position(h0.tail), b = g_.Position(h0.head);
  s.on_road = {a.lat + h0.fraction * (b.lat - a.lat), a.lon + h0.fraction * (b.lon - a.lon)};
  s.distance_m = DistanceMeters(p, s.on_road);
  if (s.distance_m > max_distance_m) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "nearest road is %.0f m away (limit %.0f m)", s.distance_m,
                  max_distance_m);
    return InvalidArgument(buf, field);
  }
  for (const EdgeHit& h : hits) {
    uint32_t w = g_.weight_ms[h.edge], len = g_.length_dm[h.edge];
    auto part = [](uint32_t v, double f) { return static_cast<uint32_t>(std::lround(v * f)); };
    s.as_source.push_back({h.head, part(w, 1 - h.fraction), part(len, 1 - h.fraction)});
    s.as_target.push_back({h.tail, part(w, h.fraction), part(len, h.fraction)});
  }
  s.hits = std::move(hits);
  return s;
}

}  // namespace ncc::routing
