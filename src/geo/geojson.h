// Reads zones from GeoJSON (RFC 7946): a Feature or a FeatureCollection whose geometries are
// Polygon or MultiPolygon. Input is untrusted (operators upload it), so validation is strict and
// every error names the offending field, e.g. "features[2].geometry.coordinates[0][5][1]".
//
// Each feature needs properties {"id": string, "name": string, "kind": one of critical_site |
// restricted | sector | stadium | border | other, "restricted": bool (optional; default true for
// restricted and critical_site)}. The feature-level "id" is used when properties.id is absent.
// Rings must be closed, have at least 4 positions, and span at most 180 degrees of longitude
// (zones across the antimeridian are not supported: split them in two). That holes lie inside
// their outer ring is not checked.
// Thread: pure function; any thread.
#pragma once

#include <string_view>
#include <vector>

#include "core/status.h"
#include "geo/geofence.h"

namespace ncc::geo {

struct GeoJsonLimits {
  size_t max_bytes = 16u << 20;
  size_t max_depth = 16;  // nesting of arrays/objects; a MultiPolygon needs 8 inside a collection
  size_t max_features = 10'000;
  size_t max_polygons_per_zone = 1'000;
  size_t max_rings_per_polygon = 1'000;
  size_t max_vertices_per_zone = 100'000;
  size_t max_total_vertices = 2'000'000;
};

StatusOr<std::vector<Zone>> ParseZonesGeoJson(std::string_view text,
                                              const GeoJsonLimits& limits = {});

}  // namespace ncc::geo
