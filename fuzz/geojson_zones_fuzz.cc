// libFuzzer: the GeoJSON zone reader (operator uploads are untrusted), then the geofence index
// built from whatever it accepts.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "geo/geofence.h"
#include "geo/geojson.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto zones = ncc::geo::ParseZonesGeoJson(text);
  if (!zones.ok()) return 0;
  ncc::geo::Geofences fences;
  for (auto& z : *zones) (void)fences.Add(std::move(z));
  for (double lat = -1; lat <= 1; lat += 0.5)
    for (double lon = -1; lon <= 1; lon += 0.5)
      (void)fences.Transitions(ncc::LatLon{lat, lon}, ncc::LatLon{lon, lat});
  return 0;
}
