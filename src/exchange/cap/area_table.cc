#include "exchange/cap/area_table.h"

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace ncc::cap {
namespace {

using nlohmann::json;

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

bool Position(const json& p, LatLon& out) {
  if (!p.is_array() || p.size() < 2 || !p[0].is_number() || !p[1].is_number()) return false;
  out = {p[1].get<double>(), p[0].get<double>()};  // GeoJSON is [lon, lat]
  return std::isfinite(out.lat) && std::isfinite(out.lon) && out.lat >= -90 && out.lat <= 90 &&
         out.lon >= -180 && out.lon <= 180;
}

// The vertex centroid of a closed ring (the closing repeat counted once); its vertex count.
Status RingCentre(const json& ring, const std::string& where, LatLon& out, size_t& vertices) {
  if (!ring.is_array() || ring.size() < 4)
    return InvalidArgument("a ring needs at least 4 positions", where);
  double lat = 0, lon = 0;
  for (size_t k = 0; k + 1 < ring.size(); ++k) {
    LatLon p;
    if (!Position(ring[k], p))
      return InvalidArgument("position " + std::to_string(k) + " is not [lon, lat] in range",
                             where);
    lat += p.lat, lon += p.lon;
  }
  vertices = ring.size() - 1;
  out = {lat / static_cast<double>(vertices), lon / static_cast<double>(vertices)};
  return Status::Ok();
}

Status Centre(const json& geometry, const std::string& where, LatLon& out) {
  if (!geometry.is_object() || !geometry.contains("type") || !geometry["type"].is_string())
    return InvalidArgument("must be a GeoJSON geometry with a type", where);
  const std::string type = geometry["type"];
  const json* coords = geometry.contains("coordinates") ? &geometry["coordinates"] : nullptr;
  if (!coords || !coords->is_array())
    return InvalidArgument("coordinates are required", where + ".coordinates");
  if (type == "Point") {
    if (!Position(*coords, out))
      return InvalidArgument("not [lon, lat] in range", where + ".coordinates");
    return Status::Ok();
  }
  std::vector<const json*> outer_rings;
  if (type == "Polygon") {
    if (coords->empty()) return InvalidArgument("a polygon needs a ring", where + ".coordinates");
    outer_rings.push_back(&(*coords)[0]);
  } else if (type == "MultiPolygon") {
    for (const json& polygon : *coords)
      if (polygon.is_array() && !polygon.empty()) outer_rings.push_back(&polygon[0]);
    if (outer_rings.empty())
      return InvalidArgument("a multipolygon needs a polygon", where + ".coordinates");
  } else {
    return InvalidArgument("type must be Polygon, MultiPolygon or Point, not " + type.substr(0, 32),
                           where + ".type");
  }
  size_t best = 0;
  for (size_t k = 0; k < outer_rings.size(); ++k) {
    LatLon c;
    size_t n = 0;
    NCC_RETURN_IF_ERROR(
        RingCentre(*outer_rings[k], where + ".coordinates[" + std::to_string(k) + "]", c, n));
    if (n > best) best = n, out = c;  // the ring with most vertices stands for the area
  }
  return Status::Ok();
}

}  // namespace

StatusOr<AreaTable> AreaTable::Parse(std::string_view geojson) {
  json doc = json::parse(geojson, nullptr, false);
  if (doc.is_discarded()) return InvalidArgument("not JSON", "features");
  if (!doc.is_object() || !doc.contains("features") || !doc["features"].is_array())
    return InvalidArgument("must be a GeoJSON FeatureCollection", "features");
  const json& features = doc["features"];
  if (features.size() > 100'000) return InvalidArgument("more than 100000 areas", "features");
  AreaTable table;
  for (size_t k = 0; k < features.size(); ++k) {
    std::string at = "features[" + std::to_string(k) + "]";
    const json& f = features[k];
    if (!f.is_object() || !f.contains("properties") || !f["properties"].is_object())
      return InvalidArgument("properties are required", at + ".properties");
    const json& props = f["properties"];
    if (!props.contains("name") || !props["name"].is_string() ||
        props["name"].get<std::string>().empty())
      return InvalidArgument("a name is required", at + ".properties.name");
    Area area{props["name"], {}};
    NCC_RETURN_IF_ERROR(Centre(f.value("geometry", json()), at + ".geometry", area.centre));
    std::string key = Upper(area.name);
    if (!table.areas_.emplace(key, area).second)
      return InvalidArgument("area '" + area.name.substr(0, 64) + "' is given twice",
                             at + ".properties.name");
    if (!props.contains("geocodes")) continue;
    if (!props["geocodes"].is_object())
      return InvalidArgument("must map a scheme to codes", at + ".properties.geocodes");
    for (const auto& [scheme, values] : props["geocodes"].items()) {
      std::string where = at + ".properties.geocodes." + scheme;
      json list = values.is_array() ? values : json::array({values});
      for (const json& v : list) {
        if (!v.is_string() || v.get<std::string>().empty())
          return InvalidArgument("codes are non-empty strings", where);
        auto code = std::make_pair(Upper(scheme), v.get<std::string>());
        if (!table.codes_.emplace(code, key).second)
          return InvalidArgument(scheme + " " + code.second.substr(0, 32) + " is given twice",
                                 where);
      }
    }
  }
  return table;
}

StatusOr<AreaTable> AreaTable::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot read the CAP area table " + path);
  std::stringstream s;
  s << in.rdbuf();
  auto table = Parse(s.str());
  if (!table.ok())
    return Status(table.status().code(), path + ": " + table.status().message(),
                  table.status().field());
  return table;
}

const AreaTable::Area* AreaTable::FindCode(std::string_view value_name,
                                           std::string_view value) const {
  auto code = codes_.find({Upper(value_name), std::string(value)});
  return code == codes_.end() ? nullptr : &areas_.at(code->second);
}

const AreaTable::Area* AreaTable::FindName(std::string_view area_desc) const {
  auto area = areas_.find(Upper(area_desc));
  return area == areas_.end() ? nullptr : &area->second;
}

}  // namespace ncc::cap
