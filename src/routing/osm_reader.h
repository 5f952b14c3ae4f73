// Reads drivable roads and turn restrictions from an OSM file (PBF or XML, optionally .gz/.bz2)
// with libosmium. The only file that includes libosmium: it is heavy to compile.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/status.h"

namespace ncc::routing {

// A piece of road between two consecutive nodes of an OSM way.
struct RoadSegment {
  uint32_t from, to;  // point indexes
  uint32_t way;       // index into RoadNetwork::osm_way
  uint32_t weight_ms, length_dm;
  bool forward, backward;
};

// A via-node restriction: coming from `from_way`, at `via`, the turn into `to_way` is forbidden
// (no_*) or the only one allowed (only_*).
struct TurnRestriction {
  uint32_t from_way, via, to_way;
  bool only;
};

struct RoadNetwork {
  std::vector<int32_t> lat_e7, lon_e7;
  std::vector<int64_t> osm_node;  // per point
  std::vector<int64_t> osm_way;   // per way index
  std::vector<RoadSegment> segments;
  std::vector<TurnRestriction> restrictions;
  uint32_t restrictions_skipped = 0;  // via-way restrictions, or members outside the network
};

// Errors: NotFound (no file), InvalidArgument (unknown file type), DataLoss (corrupt or
// truncated file). `progress` gets (bytes read, file size) now and then.
StatusOr<RoadNetwork> ReadOsm(const std::string& path,
                              const std::function<void(uint64_t, uint64_t)>& progress = {});

}  // namespace ncc::routing
