#include "routing/osm_reader.h"

#include <cmath>
#include <cstring>
#include <filesystem>
#include <osmium/handler.hpp>
#include <osmium/handler/node_locations_for_ways.hpp>
#include <osmium/index/map/flex_mem.hpp>
#include <osmium/io/any_input.hpp>
#include <osmium/visitor.hpp>
#include <unordered_map>

#include "core/geo_point.h"
#include "routing/road_profile.h"

namespace ncc::routing {
namespace {

using LocationIndex =
    osmium::index::map::FlexMem<osmium::unsigned_object_id_type, osmium::Location>;

const char* TagOf(const void* ctx, const char* key) {
  return static_cast<const osmium::TagList*>(ctx)->get_value_by_key(key);
}

struct PendingRestriction {
  int64_t from_way, via_node, to_way;
  bool only;
};

class RoadHandler : public osmium::handler::Handler {
 public:
  explicit RoadHandler(RoadNetwork& net) : net_(net) {}

  void way(const osmium::Way& way) {
    auto rule = EmergencyWayRule(&way.tags(), &TagOf);
    if (!rule || (!rule->forward && !rule->backward)) return;
    uint32_t way_index = static_cast<uint32_t>(net_.osm_way.size());
    way_index_[way.id()] = way_index;
    net_.osm_way.push_back(way.id());
    const double mps = rule->speed_kmh / 3.6;
    uint32_t prev = kNone;
    for (const osmium::NodeRef& ref : way.nodes()) {
      if (!ref.location().valid()) {  // node missing from the extract: the road is cut here
        prev = kNone;
        continue;
      }
      uint32_t point = Point(ref);
      if (prev != kNone && prev != point) {
        LatLon a{net_.lat_e7[prev] / 1e7, net_.lon_e7[prev] / 1e7};
        LatLon b{net_.lat_e7[point] / 1e7, net_.lon_e7[point] / 1e7};
        double m = DistanceMeters(a, b);
        uint32_t ms = static_cast<uint32_t>(std::max(1.0, std::round(m / mps * 1000)));
        net_.segments.push_back({prev, point, way_index, ms,
                                 static_cast<uint32_t>(std::lround(m * 10)), rule->forward,
                                 rule->backward});
      }
      prev = point;
    }
  }

  void relation(const osmium::Relation& rel) {
    const osmium::TagList& tags = rel.tags();
    if (!tags.has_tag("type", "restriction")) return;
    const char* value = tags.get_value_by_key("restriction");
    if (!value) value = tags.get_value_by_key("restriction:motorcar");
    if (!value) return;
    bool only = std::strncmp(value, "only_", 5) == 0;
    if (!only && std::strncmp(value, "no_", 3) != 0) return;
    if (const char* except = tags.get_value_by_key("except"))
      if (std::strstr(except, "emergency") || std::strstr(except, "motorcar")) return;
    PendingRestriction r{0, 0, 0, only};
    bool via_way = false;
    for (const osmium::RelationMember& m : rel.members()) {
      if (std::strcmp(m.role(), "from") == 0 && m.type() == osmium::item_type::way)
        r.from_way = m.ref();
      else if (std::strcmp(m.role(), "to") == 0 && m.type() == osmium::item_type::way)
        r.to_way = m.ref();
      else if (std::strcmp(m.role(), "via") == 0)
        m.type() == osmium::item_type::node ? void(r.via_node = m.ref()) : void(via_way = true);
    }
    if (via_way || !r.from_way || !r.to_way || !r.via_node) {
      ++net_.restrictions_skipped;
      return;
    }
    pending_.push_back(r);
  }

  // Relations come after ways in OSM files, but resolve at the end to not depend on it.
  void Resolve() {
    for (const PendingRestriction& r : pending_) {
      auto from = way_index_.find(r.from_way), to = way_index_.find(r.to_way);
      auto via = point_index_.find(r.via_node);
      if (from == way_index_.end() || to == way_index_.end() || via == point_index_.end()) {
        ++net_.restrictions_skipped;
        continue;
      }
      net_.restrictions.push_back({from->second, via->second, to->second, r.only});
    }
  }

 private:
  static constexpr uint32_t kNone = 0xFFFFFFFFu;

  uint32_t Point(const osmium::NodeRef& ref) {
    auto [it, inserted] = point_index_.try_emplace(ref.ref(), 0);
    if (inserted) {
      it->second = static_cast<uint32_t>(net_.lat_e7.size());
      net_.lat_e7.push_back(ref.location().y());  // libosmium stores degrees * 1e7 too
      net_.lon_e7.push_back(ref.location().x());
      net_.osm_node.push_back(ref.ref());
    }
    return it->second;
  }

  RoadNetwork& net_;
  std::unordered_map<int64_t, uint32_t> point_index_, way_index_;
  std::vector<PendingRestriction> pending_;
};

}  // namespace

StatusOr<RoadNetwork> ReadOsm(const std::string& path,
                              const std::function<void(uint64_t, uint64_t)>& progress) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    return NotFound("OSM file not found: " + path, "input");
  RoadNetwork net;
  try {
    osmium::io::File file(path);
    if (file.format() == osmium::io::file_format::unknown)
      return InvalidArgument(
          "unknown OSM file type (want .osm, .osm.pbf, .osm.gz, .osm.bz2): " + path, "input");
    osmium::io::Reader reader(file, osmium::osm_entity_bits::node | osmium::osm_entity_bits::way |
                                        osmium::osm_entity_bits::relation);
    LocationIndex index;
    osmium::handler::NodeLocationsForWays<LocationIndex> locations(index);
    locations.ignore_errors();  // nodes missing from an extract are handled per way
    RoadHandler handler(net);
    while (osmium::memory::Buffer buffer = reader.read()) {
      osmium::apply(buffer, locations, handler);
      if (progress) progress(reader.offset(), reader.file_size());
    }
    reader.close();
    handler.Resolve();
  } catch (const std::exception& e) {
    return DataLoss("cannot read OSM file " + path + ": " + e.what());
  }
  if (net.segments.empty()) return InvalidArgument("no drivable roads in " + path, "input");
  return net;
}

}  // namespace ncc::routing
