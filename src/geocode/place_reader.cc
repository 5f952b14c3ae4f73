// The only file of the room that includes libosmium: it is heavy to compile.
#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>
#include <osmium/handler.hpp>
#include <osmium/handler/node_locations_for_ways.hpp>
#include <osmium/index/map/flex_mem.hpp>
#include <osmium/io/any_input.hpp>
#include <osmium/visitor.hpp>

#include "geocode/place_index.h"
#include "geocode/text.h"

namespace ncc::geocode {
namespace {

using LocationIndex =
    osmium::index::map::FlexMem<osmium::unsigned_object_id_type, osmium::Location>;

// Tags whose value makes a named object a place worth finding, in order of preference.
constexpr const char* kPlaceKeys[] = {"amenity",  "emergency", "healthcare",       "tourism",
                                      "leisure",  "shop",      "office",           "historic",
                                      "aeroway",  "railway",   "public_transport", "place",
                                      "building", "man_made",  "natural",          "landuse"};
constexpr const char* kNameKeys[] = {"name",     "name:en",    "name:ar",       "alt_name",
                                     "old_name", "short_name", "official_name", "loc_name"};

std::vector<Name> NamesOf(const osmium::TagList& tags) {
  std::vector<Name> names;
  for (const char* key : kNameKeys) {
    const char* v = tags.get_value_by_key(key);
    if (!v || !*v) continue;
    Name n{v, CanonicalTokens(v)};
    if (n.tokens.empty()) continue;
    bool seen = false;
    for (const Name& m : names) seen |= m.tokens == n.tokens;
    if (!seen) names.push_back(std::move(n));
  }
  return names;
}

std::string PlaceTag(const osmium::TagList& tags) {
  for (const char* key : kPlaceKeys) {
    const char* v = tags.get_value_by_key(key);
    if (v && *v && std::strcmp(v, "no") != 0) return std::string(key) + "=" + v;
  }
  return {};
}

bool Centroid(const osmium::WayNodeList& nodes, LatLon* at) {
  double lat = 0, lon = 0;
  size_t n = 0;
  for (const osmium::NodeRef& ref : nodes) {
    if (!ref.location().valid()) continue;
    lat += ref.location().lat();
    lon += ref.location().lon();
    ++n;
  }
  if (n == 0) return false;
  *at = {lat / n, lon / n};
  return true;
}

class PlaceHandler : public osmium::handler::Handler {
 public:
  explicit PlaceHandler(PlaceIndex& index) : index_(index) {}

  void node(const osmium::Node& node) {
    if (!node.location().valid() || node.tags().empty()) return;
    LatLon at{node.location().lat(), node.location().lon()};
    Place(node.tags(), at);
  }

  void way(const osmium::Way& way) {
    const osmium::TagList& tags = way.tags();
    if (tags.empty()) return;
    const char* highway = tags.get_value_by_key("highway");
    if (highway && tags.get_value_by_key("name")) return AddStreetWay(way);
    LatLon at;
    if (Centroid(way.nodes(), &at)) Place(tags, at);
  }

  // Merges ways of one name into streets, and ties addresses to them.
  void Finish() {
    for (auto& [key, s] : pending_) {
      if (s.nodes.empty()) continue;  // every node outside the extract: nowhere to put it
      std::sort(s.nodes.begin(), s.nodes.end());
      s.nodes.erase(std::unique(s.nodes.begin(), s.nodes.end()), s.nodes.end());
      s.at = MiddleNode(s.nodes);
      street_of_[key] = static_cast<uint32_t>(index_.streets.size());
      index_.streets.push_back(std::move(s));
    }
    for (Address& a : index_.addresses) {
      auto it = street_of_.find(Key(CanonicalTokens(a.street_text)));
      a.street = it == street_of_.end() ? kNoStreet : it->second;
    }
  }

 private:
  static std::string Key(const std::vector<std::string>& tokens) {
    std::string k;
    for (const std::string& t : tokens) k += t + ' ';
    return k;
  }

  void AddStreetWay(const osmium::Way& way) {
    std::vector<Name> names = NamesOf(way.tags());
    if (names.empty()) return;
    Street& s = pending_[Key(names.front().tokens)];
    for (Name& n : names) {
      bool seen = false;
      for (const Name& m : s.names) seen |= m.tokens == n.tokens;
      if (!seen) s.names.push_back(std::move(n));
    }
    for (const osmium::NodeRef& ref : way.nodes()) {
      if (!ref.location().valid()) continue;
      s.nodes.push_back(ref.ref());
      index_.node_at[ref.ref()] = {ref.location().lat(), ref.location().lon()};
    }
  }

  void Place(const osmium::TagList& tags, const LatLon& at) {
    const char* number = tags.get_value_by_key("addr:housenumber");
    const char* street = tags.get_value_by_key("addr:street");
    if (number && *number && street && *street) {
      auto tokens = Tokens(number);
      if (!tokens.empty()) index_.addresses.push_back({tokens.front(), kNoStreet, street, at});
    }
    if (!tags.get_value_by_key("name")) return;
    std::string what = PlaceTag(tags);
    if (what.empty()) return;
    std::vector<Name> names = NamesOf(tags);
    if (!names.empty()) index_.places.push_back({std::move(names), std::move(what), at});
  }

  LatLon MiddleNode(const std::vector<int64_t>& nodes) const {
    double lat = 0, lon = 0;
    for (int64_t id : nodes) {
      lat += index_.node_at.at(id).lat;
      lon += index_.node_at.at(id).lon;
    }
    LatLon mid{lat / nodes.size(), lon / nodes.size()}, best = index_.node_at.at(nodes.front());
    for (int64_t id : nodes)
      if (DistanceMeters(mid, index_.node_at.at(id)) < DistanceMeters(mid, best))
        best = index_.node_at.at(id);
    return best;
  }

  PlaceIndex& index_;
  std::map<std::string, Street> pending_;  // ordered: the same file gives the same index
  std::unordered_map<std::string, uint32_t> street_of_;
};

}  // namespace

StatusOr<PlaceIndex> ReadPlaces(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    return NotFound("OSM file not found: " + path, "places");
  PlaceIndex index;
  try {
    osmium::io::File file(path);
    if (file.format() == osmium::io::file_format::unknown)
      return InvalidArgument(
          "unknown OSM file type (want .osm, .osm.pbf, .osm.gz, .osm.bz2): " + path, "places");
    osmium::io::Reader reader(file, osmium::osm_entity_bits::node | osmium::osm_entity_bits::way);
    LocationIndex locations_index;
    osmium::handler::NodeLocationsForWays<LocationIndex> locations(locations_index);
    locations.ignore_errors();  // ways reaching outside the extract keep the nodes it has
    PlaceHandler handler(index);
    while (osmium::memory::Buffer buffer = reader.read()) osmium::apply(buffer, locations, handler);
    reader.close();
    handler.Finish();
  } catch (const std::exception& e) {
    return DataLoss("cannot read OSM file " + path + ": " + e.what());
  }
  if (index.streets.empty() && index.places.empty())
    return InvalidArgument("no named streets or places in " + path, "places");
  IndexPlaces(index);
  return index;
}

}  // namespace ncc::geocode
