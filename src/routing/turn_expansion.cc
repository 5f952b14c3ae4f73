#include "routing/turn_expansion.h"

#include <algorithm>

namespace ncc::routing {
namespace {

struct Step {
  uint32_t from, to, way, weight_ms, length_dm;
};

}  // namespace

ExpandedNetwork ExpandTurns(const RoadNetwork& net) {
  const uint32_t points = static_cast<uint32_t>(net.lat_e7.size());
  std::vector<Step> steps;
  for (const RoadSegment& s : net.segments) {
    if (s.forward) steps.push_back({s.from, s.to, s.way, s.weight_ms, s.length_dm});
    if (s.backward) steps.push_back({s.to, s.from, s.way, s.weight_ms, s.length_dm});
  }
  std::vector<std::vector<const TurnRestriction*>> at(points);
  for (const TurnRestriction& r : net.restrictions) at[r.via].push_back(&r);
  // Incoming ways of each restricted point: one copy each.
  std::vector<std::vector<uint32_t>> in_ways(points);
  for (const Step& s : steps)
    if (!at[s.to].empty()) in_ways[s.to].push_back(s.way);
  ExpandedNetwork out;
  std::vector<uint32_t> first_copy(points + 1, 0);
  for (uint32_t p = 0; p < points; ++p) {
    auto& w = in_ways[p];
    std::sort(w.begin(), w.end());
    w.erase(std::unique(w.begin(), w.end()), w.end());
    uint32_t copies = std::max<uint32_t>(1, static_cast<uint32_t>(w.size()));
    if (copies > 1) ++out.split_nodes;
    first_copy[p + 1] = first_copy[p] + copies;
    for (uint32_t c = 0; c < copies; ++c) {
      out.graph.lat_e7.push_back(net.lat_e7[p]);
      out.graph.lon_e7.push_back(net.lon_e7[p]);
      out.osm_node.push_back(net.osm_node[p]);
    }
  }
  auto copy_for = [&](uint32_t p, uint32_t way) {
    const auto& w = in_ways[p];
    if (w.empty()) return first_copy[p];
    return first_copy[p] +
           static_cast<uint32_t>(std::lower_bound(w.begin(), w.end(), way) - w.begin());
  };
  auto allowed = [&](uint32_t via, uint32_t from_way, uint32_t to_way) {
    bool has_only = false, only_match = false;
    for (const TurnRestriction* r : at[via]) {
      if (r->from_way != from_way) continue;
      if (r->only) {
        has_only = true;
        only_match |= r->to_way == to_way;
      } else if (r->to_way == to_way) {
        return false;
      }
    }
    return !has_only || only_match;
  };
  for (const Step& s : steps) {
    uint32_t head = copy_for(s.to, s.way);
    const auto& w = in_ways[s.from];
    if (w.empty()) {
      out.graph.edges.push_back({first_copy[s.from], head, s.weight_ms, s.length_dm});
      continue;
    }
    for (uint32_t c = 0; c < w.size(); ++c)
      if (allowed(s.from, w[c], s.way))
        out.graph.edges.push_back({first_copy[s.from] + c, head, s.weight_ms, s.length_dm});
  }
  return out;
}

}  // namespace ncc::routing
