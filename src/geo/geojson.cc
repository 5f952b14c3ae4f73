#include "geo/geojson.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>

#include "core/json_depth.h"

namespace ncc::geo {
namespace {

using Json = nlohmann::json;

std::string At(const std::string& base, size_t i) {
  return base + "[" + std::to_string(i) + "]";
}

class Reader {
 public:
  explicit Reader(const GeoJsonLimits& limits) : limits_(limits) {}

  StatusOr<std::vector<Zone>> Read(const Json& doc) {
    if (!doc.is_object()) return InvalidArgument("document must be a JSON object", "type");
    const Json* type = Member(doc, "type");
    if (!type || !type->is_string())
      return InvalidArgument("missing string member \"type\"", "type");
    std::vector<Zone> zones;
    if (*type == "Feature") {
      NCC_RETURN_IF_ERROR(ReadFeature(doc, "", zones));
    } else if (*type == "FeatureCollection") {
      const Json* features = Member(doc, "features");
      if (!features || !features->is_array())
        return InvalidArgument("FeatureCollection needs an array \"features\"", "features");
      if (features->size() > limits_.max_features)
        return ResourceExhausted("more than " + std::to_string(limits_.max_features) + " features",
                                 "features");
      for (size_t i = 0; i < features->size(); ++i)
        NCC_RETURN_IF_ERROR(ReadFeature((*features)[i], At("features", i) + ".", zones));
    } else {
      return InvalidArgument("type must be Feature or FeatureCollection", "type");
    }
    for (size_t i = 0; i < zones.size(); ++i)
      for (size_t j = 0; j < i; ++j)
        if (zones[i].id == zones[j].id)
          return AlreadyExists("duplicate zone id \"" + zones[i].id + "\"",
                               At("features", i) + ".properties.id");
    return zones;
  }

 private:
  static const Json* Member(const Json& obj, const char* name) {
    auto it = obj.find(name);
    return it == obj.end() ? nullptr : &*it;
  }

  Status ReadFeature(const Json& f, const std::string& at, std::vector<Zone>& out) {
    if (!f.is_object() || !Member(f, "type") || *Member(f, "type") != "Feature")
      return InvalidArgument("must be an object with \"type\": \"Feature\"", at + "type");
    const Json* props = Member(f, "properties");
    if (!props || !props->is_object())
      return InvalidArgument("feature needs an object \"properties\"", at + "properties");
    Zone z;
    const Json* id = Member(*props, "id");
    std::string id_field = at + "properties.id";
    if (!id) {
      id = Member(f, "id");
      id_field = at + "id";
    }
    if (!id || !id->is_string()) return InvalidArgument("zone id must be a string", id_field);
    z.id = id->get<std::string>();
    if (z.id.empty() || z.id.size() > 64)
      return InvalidArgument("zone id must be 1 to 64 characters", id_field);
    const Json* name = Member(*props, "name");
    if (!name || !name->is_string())
      return InvalidArgument("zone name must be a string", at + "properties.name");
    z.name = name->get<std::string>();
    if (z.name.size() > 256)
      return InvalidArgument("zone name longer than 256 characters", at + "properties.name");
    const Json* kind = Member(*props, "kind");
    std::optional<ZoneKind> k;
    if (kind && kind->is_string()) k = ZoneKindFromName(kind->get<std::string>());
    if (!k)
      return InvalidArgument(
          "kind must be one of critical_site, restricted, sector, stadium, border, other",
          at + "properties.kind");
    z.kind = *k;
    z.restricted = z.kind == ZoneKind::kRestricted || z.kind == ZoneKind::kCriticalSite;
    if (const Json* r = Member(*props, "restricted")) {
      if (!r->is_boolean())
        return InvalidArgument("restricted must be true or false", at + "properties.restricted");
      z.restricted = r->get<bool>();
    }
    const Json* geom = Member(f, "geometry");
    if (!geom || !geom->is_object())
      return InvalidArgument("feature needs an object \"geometry\"", at + "geometry");
    const Json* gtype = Member(*geom, "type");
    const Json* coords = Member(*geom, "coordinates");
    std::string cat = at + "geometry.coordinates";
    if (!coords || !coords->is_array())
      return InvalidArgument("geometry needs an array \"coordinates\"", cat);
    zone_vertices_ = 0;
    if (gtype && *gtype == "Polygon") {
      NCC_RETURN_IF_ERROR(ReadPolygon(*coords, cat, z));
    } else if (gtype && *gtype == "MultiPolygon") {
      if (coords->empty()) return InvalidArgument("MultiPolygon has no polygons", cat);
      if (coords->size() > limits_.max_polygons_per_zone)
        return ResourceExhausted(
            "more than " + std::to_string(limits_.max_polygons_per_zone) + " polygons", cat);
      for (size_t i = 0; i < coords->size(); ++i)
        NCC_RETURN_IF_ERROR(ReadPolygon((*coords)[i], At(cat, i), z));
    } else {
      return InvalidArgument("geometry type must be Polygon or MultiPolygon", at + "geometry.type");
    }
    out.push_back(std::move(z));
    return Status::Ok();
  }

  Status ReadPolygon(const Json& rings, const std::string& at, Zone& z) {
    if (!rings.is_array() || rings.empty())
      return InvalidArgument("polygon must be a non-empty array of rings", at);
    if (rings.size() > limits_.max_rings_per_polygon)
      return ResourceExhausted(
          "more than " + std::to_string(limits_.max_rings_per_polygon) + " rings", at);
    std::vector<Ring> parsed;
    for (size_t i = 0; i < rings.size(); ++i) {
      std::vector<LatLon> pts;
      NCC_RETURN_IF_ERROR(ReadRing(rings[i], At(at, i), pts));
      parsed.emplace_back(std::move(pts));
    }
    Ring outer = std::move(parsed.front());
    parsed.erase(parsed.begin());
    z.polygons.emplace_back(std::move(outer), std::move(parsed));
    return Status::Ok();
  }

  Status ReadRing(const Json& ring, const std::string& at, std::vector<LatLon>& pts) {
    if (!ring.is_array()) return InvalidArgument("ring must be an array of positions", at);
    if (ring.size() < 4) return InvalidArgument("ring needs at least 4 positions", at);
    zone_vertices_ += ring.size();
    total_vertices_ += ring.size();
    if (zone_vertices_ > limits_.max_vertices_per_zone)
      return ResourceExhausted(
          "zone has more than " + std::to_string(limits_.max_vertices_per_zone) + " vertices", at);
    if (total_vertices_ > limits_.max_total_vertices)
      return ResourceExhausted(
          "more than " + std::to_string(limits_.max_total_vertices) + " vertices in all", at);
    pts.reserve(ring.size());
    double min_lon = 180, max_lon = -180;
    for (size_t i = 0; i < ring.size(); ++i) {
      const Json& pos = ring[i];
      std::string pat = At(at, i);
      if (!pos.is_array() || pos.size() < 2 || pos.size() > 3)
        return InvalidArgument("position must be [lon, lat] or [lon, lat, alt]", pat);
      for (size_t c = 0; c < pos.size(); ++c)
        if (!pos[c].is_number()) return InvalidArgument("coordinate must be a number", At(pat, c));
      LatLon p{pos[1].get<double>(), pos[0].get<double>()};
      if (!(p.lon >= -180 && p.lon <= 180))
        return InvalidArgument("longitude must be in [-180, 180]", At(pat, 0));
      if (!(p.lat >= -90 && p.lat <= 90))
        return InvalidArgument("latitude must be in [-90, 90]", At(pat, 1));
      min_lon = std::min(min_lon, p.lon);
      max_lon = std::max(max_lon, p.lon);
      pts.push_back(p);
    }
    if (!(pts.front() == pts.back()))
      return InvalidArgument("ring must be closed (last position equal to the first)", at);
    if (max_lon - min_lon > 180)
      return InvalidArgument("ring spans more than 180 degrees of longitude (antimeridian)", at);
    std::vector<LatLon> distinct(pts.begin(), pts.end() - 1);
    std::sort(distinct.begin(), distinct.end(), [](const LatLon& a, const LatLon& b) {
      return a.lat != b.lat ? a.lat < b.lat : a.lon < b.lon;
    });
    if (std::unique(distinct.begin(), distinct.end()) - distinct.begin() < 3)
      return InvalidArgument("ring needs at least 3 distinct positions", at);
    return Status::Ok();
  }

  const GeoJsonLimits& limits_;
  size_t zone_vertices_ = 0;
  size_t total_vertices_ = 0;
};

}  // namespace

StatusOr<std::vector<Zone>> ParseZonesGeoJson(std::string_view text, const GeoJsonLimits& limits) {
  if (text.size() > limits.max_bytes)
    return ResourceExhausted("GeoJSON larger than " + std::to_string(limits.max_bytes) + " bytes");
  if (JsonNestedDeeperThan(text, limits.max_depth))
    return InvalidArgument("nesting deeper than " + std::to_string(limits.max_depth), "");
  Json doc = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return InvalidArgument("not valid JSON", "");
  return Reader(limits).Read(doc);
}

}  // namespace ncc::geo
