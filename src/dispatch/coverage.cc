#include "dispatch/coverage.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include "core/json_depth.h"
#include "core/json_writer.h"

namespace ncc::dispatch {
namespace {

using nlohmann::json;

constexpr size_t kMaxFeatures = 1000;
constexpr size_t kMaxVertices = 200'000;
constexpr size_t kMaxDepth = 16;
constexpr double kStraightLineSpeed = 40 / 3.6;
constexpr double kMetersPerDegree = 111'320;

bool IsCode(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
  });
}

class ZoneReader {
 public:
  StatusOr<geo::Ring> RingAt(const json& j, const std::string& f) {
    if (!j.is_array() || j.size() < 4)
      return InvalidArgument("a ring needs at least 4 positions", f);
    std::vector<LatLon> pts;
    for (size_t k = 0; k < j.size(); ++k) {
      const json& p = j[k];
      std::string pf = f + "[" + std::to_string(k) + "]";
      if (!p.is_array() || p.size() < 2 || !p[0].is_number() || !p[1].is_number())
        return InvalidArgument("must be [lon, lat]", pf);
      LatLon ll{p[1].get<double>(), p[0].get<double>()};
      if (Status s = ValidateLatLon(ll, pf); !s.ok()) return s;
      if (++vertices_ > kMaxVertices) return InvalidArgument("more than 200,000 vertices", pf);
      pts.push_back(ll);
    }
    if (!(pts.front() == pts.back())) return InvalidArgument("ring is not closed", f);
    pts.pop_back();
    return geo::Ring(std::move(pts));
  }
  Status PolygonAt(const json& j, const std::string& f, std::vector<geo::Polygon>& out) {
    if (!j.is_array() || j.empty()) return InvalidArgument("must be an array of rings", f);
    std::vector<geo::Ring> rings;
    for (size_t k = 0; k < j.size(); ++k) {
      auto r = RingAt(j[k], f + "[" + std::to_string(k) + "]");
      if (!r.ok()) return r.status();
      rings.push_back(std::move(*r));
    }
    geo::Ring outer = std::move(rings.front());
    rings.erase(rings.begin());
    out.emplace_back(std::move(outer), std::move(rings));
    return Status::Ok();
  }

 private:
  size_t vertices_ = 0;
};

void DemandPoints(CoverageZone& z, double spacing_m, size_t max_points) {
  geo::Bbox box;
  for (const geo::Polygon& p : z.polygons) box.Extend(p.bbox());
  double mid = (box.min_lat + box.max_lat) / 2;
  for (int attempt = 0; attempt < 20; ++attempt, spacing_m *= 1.5) {
    z.points.clear();
    double dlat = spacing_m / kMetersPerDegree;
    double dlon = spacing_m / (kMetersPerDegree * std::max(0.01, std::cos(mid * M_PI / 180)));
    size_t rows = static_cast<size_t>((box.max_lat - box.min_lat) / dlat) + 1;
    size_t cols = static_cast<size_t>((box.max_lon - box.min_lon) / dlon) + 1;
    if (rows * cols > 50 * max_points) continue;  // far too fine: coarsen before walking it
    for (size_t r = 0; r < rows; ++r)
      for (size_t c = 0; c < cols; ++c) {
        LatLon p{box.min_lat + (r + 0.5) * dlat, box.min_lon + (c + 0.5) * dlon};
        for (const geo::Polygon& poly : z.polygons)
          if (poly.Contains(p)) {
            z.points.push_back(p);
            break;
          }
      }
    if (z.points.size() <= max_points) return;
  }
}

}  // namespace

StatusOr<std::vector<CoverageZone>> ParseCoverageZones(std::string_view text, size_t max_points) {
  if (text.size() > (16u << 20)) return InvalidArgument("larger than 16 MiB", "zones");
  if (JsonNestedDeeperThan(text, kMaxDepth))
    return InvalidArgument("nested deeper than " + std::to_string(kMaxDepth) + " levels", "zones");
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return InvalidArgument("is not a JSON object", "zones");
  if (j.value("type", "") != "FeatureCollection")
    return InvalidArgument("must be \"FeatureCollection\"", "type");
  auto features = j.find("features");
  if (features == j.end() || !features->is_array())
    return InvalidArgument("must be an array", "features");
  if (features->size() > kMaxFeatures) return InvalidArgument("at most 1000 zones", "features");
  std::vector<CoverageZone> zones;
  ZoneReader reader;
  for (size_t k = 0; k < features->size(); ++k) {
    const json& f = (*features)[k];
    std::string at = "features[" + std::to_string(k) + "]";
    if (!f.is_object()) return InvalidArgument("must be a Feature object", at);
    auto props = f.find("properties");
    if (props == f.end() || !props->is_object())
      return InvalidArgument("must be an object", at + ".properties");
    std::string pf = at + ".properties.";
    CoverageZone z;
    auto str = [&](const char* name, bool required, std::string& out) -> Status {
      auto it = props->find(name);
      if (it == props->end())
        return required ? InvalidArgument("is required", pf + name) : Status::Ok();
      if (!it->is_string() || it->get<std::string>().size() > 200)
        return InvalidArgument("must be a string of at most 200 bytes", pf + name);
      out = it->get<std::string>();
      return Status::Ok();
    };
    auto num = [&](const char* name, double lo, double hi, double& out) -> Status {
      auto it = props->find(name);
      if (it == props->end()) return Status::Ok();
      if (!it->is_number() || !std::isfinite(it->get<double>()) || it->get<double>() <= lo ||
          it->get<double>() > hi)
        return InvalidArgument(
            "must be a number in (" + std::to_string(lo) + ", " + std::to_string(hi) + "]",
            pf + name);
      out = it->get<double>();
      return Status::Ok();
    };
    NCC_RETURN_IF_ERROR(str("id", true, z.id));
    if (z.id.empty()) return InvalidArgument("must not be empty", pf + "id");
    z.name = z.id;
    NCC_RETURN_IF_ERROR(str("name", false, z.name));
    NCC_RETURN_IF_ERROR(str("capability", true, z.capability));
    if (!IsCode(z.capability))
      return InvalidArgument("must be a capability code", pf + "capability");
    NCC_RETURN_IF_ERROR(str("agency", false, z.agency));
    if (!z.agency.empty() && !IsCode(z.agency))
      return InvalidArgument("must be an agency code", pf + "agency");
    NCC_RETURN_IF_ERROR(num("minutes", 0, 120, z.minutes));
    NCC_RETURN_IF_ERROR(num("target", 0, 1, z.target));
    double spacing = 250;
    NCC_RETURN_IF_ERROR(num("spacing_m", 19.99, 5000, spacing));
    for (const CoverageZone& other : zones)
      if (other.id == z.id) return AlreadyExists("zone " + z.id + " is defined twice", pf + "id");
    auto geom = f.find("geometry");
    if (geom == f.end() || !geom->is_object())
      return InvalidArgument("must be an object", at + ".geometry");
    std::string type = geom->value("type", "");
    auto coords = geom->find("coordinates");
    std::string cf = at + ".geometry.coordinates";
    if (coords == geom->end()) return InvalidArgument("is required", cf);
    if (type == "Polygon") {
      NCC_RETURN_IF_ERROR(reader.PolygonAt(*coords, cf, z.polygons));
    } else if (type == "MultiPolygon") {
      if (!coords->is_array() || coords->empty())
        return InvalidArgument("must be an array of polygons", cf);
      for (size_t p = 0; p < coords->size(); ++p)
        NCC_RETURN_IF_ERROR(
            reader.PolygonAt((*coords)[p], cf + "[" + std::to_string(p) + "]", z.polygons));
    } else {
      return InvalidArgument("must be Polygon or MultiPolygon", at + ".geometry.type");
    }
    DemandPoints(z, spacing, max_points);
    if (z.points.empty())
      return InvalidArgument("zone holds no demand point; lower spacing_m", pf + "spacing_m");
    zones.push_back(std::move(z));
  }
  return zones;
}

StatusOr<std::vector<CoverageZone>> LoadCoverageZones(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot read zones file " + path, "zones");
  std::stringstream buf;
  buf << in.rdbuf();
  auto zones = ParseCoverageZones(buf.str());
  if (!zones.ok())
    return Status(zones.status().code(),
                  path + ": " + zones.status().field() + ": " + zones.status().message(),
                  zones.status().field());
  return zones;
}

namespace {

// Travel time (s) from each source to each demand point, capped: reach[source][point]. Each
// source's times are remembered (sources recur: units at a post, candidate posts); `held`
// counts the times remembered by every Reach of one cache.
class Reach {
 public:
  Reach(const routing::RoutingService* routing, std::vector<LatLon> points, double limit_s,
        size_t* held)
      : routing_(routing), points_(std::move(points)), limit_s_(limit_s), held_(held) {
    if (!routing_) return;
    query_ = std::make_unique<routing::RouteQuery>(routing_->graph());
    node_time_.assign(routing_->graph().node_count(), UINT32_MAX);
    for (const LatLon& p : points_) {
      auto s = routing_->snapper().Nearest(p, 500);
      snaps_.push_back(s.ok() ? std::optional(std::move(*s)) : std::nullopt);
    }
  }
  bool Fits(const routing::RoutingService* routing, std::span<const LatLon> points,
            double limit_s) const {
    return routing == routing_ && limit_s == limit_s_ &&
           std::equal(points.begin(), points.end(), points_.begin(), points_.end());
  }
  bool usable(size_t point) const { return !routing_ || snaps_[point].has_value(); }
  void Forget() { times_.clear(); }

  // Seconds from `from` to every point (infinity beyond the limit or unreachable); valid until
  // the next call.
  const std::vector<double>& From(LatLon from, size_t& hits, size_t& misses) {
    std::pair key{std::bit_cast<uint64_t>(from.lat), std::bit_cast<uint64_t>(from.lon)};
    auto [it, fresh] = times_.try_emplace(key);
    if (!fresh) {
      ++hits;
      return it->second;
    }
    ++misses;
    it->second = Search(from);
    *held_ += points_.size();
    return it->second;
  }

 private:
  std::vector<double> Search(LatLon from) {
    std::vector<double> out(points_.size(), INFINITY);
    if (!routing_) {
      for (size_t k = 0; k < points_.size(); ++k) {
        double s = DistanceMeters(from, points_[k]) / kStraightLineSpeed;
        if (s <= limit_s_) out[k] = s;
      }
      return out;
    }
    auto src = routing_->snapper().Nearest(from, 500);
    if (!src.ok()) return out;
    auto reached = query_->Reachable(src->as_source, static_cast<uint32_t>(limit_s_ * 1000));
    for (auto [node, ms] : reached) node_time_[node] = ms;
    for (size_t k = 0; k < points_.size(); ++k) {
      if (!snaps_[k]) continue;
      uint64_t best = UINT64_MAX;
      for (const routing::Seed& seed : snaps_[k]->as_target)
        if (node_time_[seed.node] != UINT32_MAX)
          best = std::min<uint64_t>(best, uint64_t{node_time_[seed.node]} + seed.time_ms);
      routing::Cost same = routing::SameEdgeCost(routing_->graph(), *src, *snaps_[k]);
      if (same.reachable()) best = std::min<uint64_t>(best, same.time_ms);
      if (best != UINT64_MAX && best <= limit_s_ * 1000) out[k] = best / 1000.0;
    }
    for (auto [node, ms] : reached) node_time_[node] = UINT32_MAX;
    return out;
  }

  const routing::RoutingService* routing_;
  std::vector<LatLon> points_;
  double limit_s_;
  size_t* held_;
  std::unique_ptr<routing::RouteQuery> query_;
  std::vector<uint32_t> node_time_;
  std::vector<std::optional<routing::Snap>> snaps_;
  std::map<std::pair<uint64_t, uint64_t>, std::vector<double>> times_;
};

bool Counts(const UnitInfo& u, const CoverageZone& z) {
  return u.status == UnitStatus::kAvailable && u.position && u.Has(z.capability) &&
         (z.agency.empty() || u.agency == z.agency);
}

}  // namespace

struct ReachCache::Impl {
  size_t max_times, held = 0, hits = 0, misses = 0;
  std::map<std::string, std::unique_ptr<Reach>> groups;  // by the group's zone ids

  // The Reach of one capability's zones, made anew when its points or limit changed.
  Reach& For(const std::string& key, const routing::RoutingService* routing,
             std::vector<LatLon> points, double limit) {
    if (held > max_times) {
      for (auto& [k, reach] : groups) reach->Forget();
      held = 0;
    }
    std::unique_ptr<Reach>& reach = groups[key];
    if (!reach || !reach->Fits(routing, points, limit))
      reach = std::make_unique<Reach>(routing, std::move(points), limit, &held);
    return *reach;
  }
};

ReachCache::ReachCache(size_t max_times) : impl_(std::make_unique<Impl>()) {
  impl_->max_times = max_times;
}
ReachCache::~ReachCache() = default;
size_t ReachCache::hits() const {
  return impl_->hits;
}
size_t ReachCache::misses() const {
  return impl_->misses;
}

std::vector<ZoneCoverage> MeasureCoverage(std::span<const CoverageZone> zones,
                                          std::span<const UnitInfo> units,
                                          const routing::RoutingService* routing,
                                          size_t max_move_ups, ReachCache* cache) {
  ReachCache local;
  ReachCache::Impl& remembered = (cache ? *cache : local).impl();
  std::vector<ZoneCoverage> out(zones.size());
  // Zones that share a capability are measured together: a move-up is judged on all of them.
  std::map<std::string, std::vector<size_t>> by_capability;
  for (size_t z = 0; z < zones.size(); ++z) by_capability[zones[z].capability].push_back(z);
  for (const auto& [capability, group] : by_capability) {
    std::vector<LatLon> points;
    std::vector<size_t> zone_of;
    std::vector<double> limit_of;
    double limit = 0;
    std::string key;
    for (size_t z : group) {
      for (const LatLon& p : zones[z].points)
        points.push_back(p), zone_of.push_back(z), limit_of.push_back(zones[z].minutes * 60);
      limit = std::max(limit, zones[z].minutes * 60);
      key += zones[z].id + '\n';
    }
    Reach& reach = remembered.For(key, routing, points, limit);
    auto from = [&](LatLon p) -> const std::vector<double>& {
      return reach.From(p, remembered.hits, remembered.misses);
    };
    std::vector<size_t> movers;  // units that count for some zone of the group
    std::vector<std::vector<bool>> covers;
    for (size_t u = 0; u < units.size(); ++u) {
      bool counts = false;
      for (size_t z : group) counts |= Counts(units[u], zones[z]);
      if (!counts) continue;
      const std::vector<double>& t = from(*units[u].position);
      std::vector<bool> c(points.size());
      for (size_t k = 0; k < points.size(); ++k)
        c[k] = Counts(units[u], zones[zone_of[k]]) && t[k] <= limit_of[k];
      movers.push_back(u);
      covers.push_back(std::move(c));
    }
    std::vector<int> count(points.size(), 0);
    for (const auto& c : covers)
      for (size_t k = 0; k < points.size(); ++k) count[k] += c[k];
    auto fraction = [&](size_t z, const std::function<bool(size_t)>& covered) {
      size_t n = 0, hit = 0;
      for (size_t k = 0; k < points.size(); ++k)
        if (zone_of[k] == z && reach.usable(k)) ++n, hit += covered(k);
      return std::pair{n, hit};
    };
    for (size_t z : group) {
      ZoneCoverage& zc = out[z];
      zc.zone = &zones[z];
      auto [n, hit] = fraction(z, [&](size_t k) { return count[k] > 0; });
      zc.points = n;
      zc.covered = hit;
      zc.fraction = n ? double(hit) / n : 0;
      std::map<std::string, std::vector<size_t>> agency_units;
      for (size_t m = 0; m < movers.size(); ++m) agency_units[units[movers[m]].agency].push_back(m);
      for (const auto& [agency, movers_of_agency] : agency_units) {
        // clang 14 (the fuzz preset) cannot capture a structured binding in a lambda.
        const std::vector<size_t>& ms = movers_of_agency;
        auto [an, ahit] = fraction(z, [&](size_t k) {
          for (size_t m : ms)
            if (covers[m][k]) return true;
          return false;
        });
        zc.by_agency.push_back({agency, an ? double(ahit) / an : 0});
      }
    }
    // Move-ups for zones below target: each mover to each of up to 12 posts inside the zone.
    for (size_t z : group) {
      ZoneCoverage& zc = out[z];
      if (!zc.below() || movers.empty()) continue;
      const auto& zp = zones[z].points;
      size_t posts = std::min<size_t>(12, zp.size());
      std::vector<MoveUp> best_per_unit;
      for (size_t p = 0; p < posts; ++p) {
        LatLon post = zp[p * zp.size() / posts];
        const std::vector<double>& t = from(post);
        for (size_t m = 0; m < movers.size(); ++m) {
          const UnitInfo& u = units[movers[m]];
          if (!Counts(u, zones[z])) continue;
          int before = 0, after = 0;
          size_t zn = 0, zhit = 0;
          for (size_t k = 0; k < points.size(); ++k) {
            if (!reach.usable(k)) continue;
            bool now = count[k] > 0;
            bool then = (count[k] - covers[m][k]) > 0 ||
                        (Counts(u, zones[zone_of[k]]) && t[k] <= limit_of[k]);
            before += now;
            after += then;
            if (zone_of[k] == z) ++zn, zhit += then;
          }
          MoveUp mu{u.id, u.callsign,     *u.position,
                    post, after - before, zn ? double(zhit) / zn : 0};
          auto it = std::find_if(best_per_unit.begin(), best_per_unit.end(),
                                 [&](const MoveUp& x) { return x.unit == u.id; });
          if (it == best_per_unit.end())
            best_per_unit.push_back(mu);
          else if (mu.gained > it->gained)
            *it = mu;
        }
      }
      std::erase_if(best_per_unit, [](const MoveUp& x) { return x.gained <= 0; });
      std::sort(best_per_unit.begin(), best_per_unit.end(), [](const MoveUp& a, const MoveUp& b) {
        return a.gained != b.gained ? a.gained > b.gained : a.unit < b.unit;
      });
      if (best_per_unit.size() > max_move_ups) best_per_unit.resize(max_move_ups);
      zc.move_ups = std::move(best_per_unit);
    }
  }
  return out;
}

nlohmann::json ToJson(const std::vector<ZoneCoverage>& coverage) {
  json zones = json::array();
  auto point = [](const LatLon& p) { return json{{"lat", p.lat}, {"lon", p.lon}}; };
  for (const ZoneCoverage& c : coverage) {
    json agencies = json::object();
    for (const auto& [a, f] : c.by_agency) agencies[a] = std::round(f * 1000) / 1000;
    json moves = json::array();
    for (const MoveUp& m : c.move_ups)
      moves.push_back({{"unit", m.unit.value},
                       {"callsign", m.callsign},
                       {"from", point(m.from)},
                       {"to", point(m.to)},
                       {"points_gained", m.gained},
                       {"zone_fraction_after", std::round(m.fraction * 1000) / 1000}});
    zones.push_back({{"zone", c.zone->id},
                     {"name", c.zone->name},
                     {"capability", c.zone->capability},
                     {"minutes", c.zone->minutes},
                     {"target", c.zone->target},
                     {"points", c.points},
                     {"covered", c.covered},
                     {"fraction", std::round(c.fraction * 1000) / 1000},
                     {"below_target", c.below()},
                     {"by_agency", agencies},
                     {"move_ups", moves}});
  }
  return {{"zones", zones}};
}

}  // namespace ncc::dispatch
