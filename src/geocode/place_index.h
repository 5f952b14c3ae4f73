// The places a caller can name, read from the same OSM extract as the roads: named streets (with
// the OSM nodes they pass, so two streets' crossing can be found), house numbers (addr:*) and
// named places (amenities, shops, landmarks, localities). Built once, then read-only: any number
// of threads may search one index at the same time.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/geo_point.h"
#include "core/status.h"

namespace ncc::geocode {

// One name of a place, as written and as canonical tokens.
struct Name {
  std::string text;
  std::vector<std::string> tokens;
};

// Every way of the extract with the same name, as one street.
struct Street {
  std::vector<Name> names;     // name, then name:en, name:ar, alt_name, ...
  std::vector<int64_t> nodes;  // OSM nodes of its ways, sorted, unique
  LatLon at;                   // the street's node nearest to the middle of its nodes
};

struct Address {
  std::string number;       // as tagged, lower-case ("12a")
  uint32_t street;          // index into streets, or kNoStreet when addr:street names none
  std::string street_text;  // addr:street as tagged
  LatLon at;
};

struct NamedPlace {
  std::vector<Name> names;
  std::string what;  // the tag that made it a place: "amenity=hospital", "place=suburb", ...
  LatLon at;
};

inline constexpr uint32_t kNoStreet = UINT32_MAX;

struct PlaceIndex {
  std::vector<Street> streets;
  std::vector<Address> addresses;
  std::vector<NamedPlace> places;
  std::unordered_map<int64_t, LatLon> node_at;  // nodes of named streets
  // Canonical token → entries naming it (streets first, then places), sorted by token for
  // prefix look-ups as the caller types.
  struct Posting {
    std::string token;
    uint32_t entry;  // < streets.size(): a street; else places[entry - streets.size()]
  };
  std::vector<Posting> postings;
  std::unordered_map<uint32_t, std::vector<uint32_t>> addresses_by_street;
};

// Reads an OSM file (PBF or XML, optionally .gz/.bz2). Errors: NotFound (no file),
// InvalidArgument (unknown file type, or nothing named in it), DataLoss (corrupt file).
StatusOr<PlaceIndex> ReadPlaces(const std::string& path);

// Fills `postings` and `addresses_by_street` from the rest (ReadPlaces calls it; tests that
// build an index by hand call it too).
void IndexPlaces(PlaceIndex& index);

}  // namespace ncc::geocode
