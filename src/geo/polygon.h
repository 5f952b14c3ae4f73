// Planar polygons on lat/lon with holes, and the bounding boxes used to prefilter them.
// Edges are straight in degrees (as GeoJSON RFC 7946 says); rings spanning the antimeridian are
// not supported: the GeoJSON reader rejects any ring wider than 180 degrees of longitude.
// Thread: immutable after construction; any thread may read.
#pragma once

#include <vector>

#include "core/geo_point.h"

namespace ncc::geo {

struct Bbox {
  double min_lat = 90, min_lon = 180, max_lat = -90, max_lon = -180;
  void Extend(const LatLon& p);
  void Extend(const Bbox& b);
  bool Contains(const LatLon& p) const {
    return p.lat >= min_lat && p.lat <= max_lat && p.lon >= min_lon && p.lon <= max_lon;
  }
  bool Intersects(const Bbox& b) const {
    return min_lat <= b.max_lat && b.min_lat <= max_lat && min_lon <= b.max_lon &&
           b.min_lon <= max_lon;
  }
  bool empty() const { return min_lat > max_lat; }
};

// A closed ring stored without the repeated closing vertex, with its edges bucketed by latitude
// band so a point test only looks at edges that cross the point's latitude.
class Ring {
 public:
  Ring() = default;
  explicit Ring(std::vector<LatLon> points);  // closing vertex optional
  // Even-odd test; a point exactly on an edge may land on either side.
  bool Contains(const LatLon& p) const;
  const std::vector<LatLon>& points() const { return points_; }
  const Bbox& bbox() const { return bbox_; }

 private:
  std::vector<LatLon> points_;
  Bbox bbox_;
  double band_height_ = 0;
  std::vector<uint32_t> band_start_;  // CSR offsets into band_edges_, one per band + 1
  std::vector<uint32_t> band_edges_;  // edge i joins points_[i] and points_[i+1 mod n]
};

// One outer ring and any number of holes.
class Polygon {
 public:
  Polygon() = default;
  Polygon(Ring outer, std::vector<Ring> holes);
  bool Contains(const LatLon& p) const;
  const Ring& outer() const { return outer_; }
  const std::vector<Ring>& holes() const { return holes_; }
  const Bbox& bbox() const { return outer_.bbox(); }

 private:
  Ring outer_;
  std::vector<Ring> holes_;
};

}  // namespace ncc::geo
