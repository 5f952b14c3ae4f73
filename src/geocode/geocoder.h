// Address and landmark search over a PlaceIndex, for call intake: "UNION ST/BUCHANAN ST" (a
// crossing), "3200 Block of FILLMORE ST" or "12 Rue Grimaldi" (a house or block), "Hôpital"
// (a landmark, as the caller types), "37.79,-122.41" (coordinates). Stateless: any thread.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/geo_point.h"
#include "core/status.h"
#include "geocode/place_index.h"

namespace ncc::geocode {

struct Match {
  std::string label;  // what to show: the name as the map writes it
  // "address", "block" (house numbers of the block), "intersection", "street", "place",
  // "coordinates"
  std::string kind;
  std::string what;  // for a place: its tag ("amenity=hospital"); else empty
  LatLon at;
  double score = 0;  // 0..1, higher is better; matches come best first
  std::string note;  // why the point is approximate, when it is ("no house numbers ...")
};

struct Query {
  std::string text;
  size_t limit = 10;
  std::optional<LatLon> near;  // prefer matches close to here (the map's centre)
};

inline constexpr size_t kMaxQueryBytes = 200;
inline constexpr size_t kMaxLimit = 50;

// Errors: InvalidArgument naming "q" (empty, too long, nothing searchable) or "limit".
StatusOr<std::vector<Match>> Search(const PlaceIndex& index, const Query& query);

}  // namespace ncc::geocode
