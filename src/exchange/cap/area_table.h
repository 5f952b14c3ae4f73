// The table that places CAP areas given only by geocode (SAME, FIPS6, UGC, ...) or by name
// (areaDesc): a GeoJSON FeatureCollection the centre loads with `ncc serve --cap-areas FILE`
// (docs/exchange.md). Each feature is one area:
//
//   {"type": "Feature",
//    "properties": {"name": "Southern Cook", "geocodes": {"UGC": ["MNZ020"], "FIPS6": "027031"}},
//    "geometry": {"type": "Polygon" | "MultiPolygon" | "Point", "coordinates": ...}}
//
// An area is placed at the vertex centroid of its outer ring (of its largest polygon), as the
// parser places a CAP <polygon>. Names match case-insensitively.
// Thread: immutable once loaded; any thread.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "core/geo_point.h"
#include "core/status.h"

namespace ncc::cap {

class AreaTable {
 public:
  struct Area {
    std::string name;
    LatLon centre;
  };

  // InvalidArgument naming the feature ("features[3].geometry") for anything malformed, a
  // code given twice, or more than 100,000 features.
  static StatusOr<AreaTable> Parse(std::string_view geojson);
  static StatusOr<AreaTable> Load(const std::string& path);  // + NotFound for a missing file

  // The area of geocode `value` in scheme `value_name` ("SAME", "UGC"; case-insensitive), or
  // nullptr.
  const Area* FindCode(std::string_view value_name, std::string_view value) const;
  const Area* FindName(std::string_view area_desc) const;
  size_t size() const { return areas_.size(); }

 private:
  std::map<std::string, Area> areas_;                                 // by upper-cased name
  std::map<std::pair<std::string, std::string>, std::string> codes_;  // (SCHEME, value) -> name
};

}  // namespace ncc::cap
