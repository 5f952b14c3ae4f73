-- ncc base map: OSM tags -> vector tile layers (tilemaker 2.2, Debian 12). See docs/basemap.md.
--
-- Layers and their attributes (the style, web/style.json, reads exactly these):
--   roads      class (motorway trunk primary secondary tertiary minor service track path rail),
--              name, name:ar, name:en, ref, oneway (1), brunnel (bridge|tunnel)
--   water      polygons (class: water|river|basin); waterway lines (class: river|stream|canal|drain)
--   landuse    class (park|grass|wood|residential|commercial|industrial|cemetery|hospital|school|pitch)
--   buildings  polygons
--   pois       points, class (the amenity/shop/tourism/leisure value), name, name:ar, name:en
--   places     points, class (city|town|village|suburb|neighbourhood|...), name, name:ar, name:en
--   housenumbers  points (nodes and building centroids), housenumber, street

node_keys = { "place", "amenity", "shop", "tourism", "leisure", "historic", "addr:housenumber" }

function init_function() end
function exit_function() end

local function Set(list)
  local s = {}
  for _, v in ipairs(list) do s[v] = true end
  return s
end

local road_class = {
  motorway = "motorway", motorway_link = "motorway",
  trunk = "trunk", trunk_link = "trunk",
  primary = "primary", primary_link = "primary",
  secondary = "secondary", secondary_link = "secondary",
  tertiary = "tertiary", tertiary_link = "tertiary",
  unclassified = "minor", residential = "minor", living_street = "minor", road = "minor",
  pedestrian = "path", service = "service", track = "track",
  footway = "path", path = "path", cycleway = "path", steps = "path", bridleway = "path",
}
local road_minzoom = {
  motorway = 6, trunk = 7, primary = 8, secondary = 9, tertiary = 10,
  minor = 12, service = 13, track = 13, path = 14, rail = 11,
}
local landuse_class = {
  park = "park", garden = "park", playground = "park", recreation_ground = "park",
  nature_reserve = "park", golf_course = "park", village_green = "park",
  grass = "grass", meadow = "grass", grassland = "grass", scrub = "grass", heath = "grass",
  forest = "wood", wood = "wood",
  residential = "residential", commercial = "commercial", retail = "commercial",
  industrial = "industrial", railway = "industrial", port = "industrial",
  cemetery = "cemetery", grave_yard = "cemetery",
  hospital = "hospital", school = "school", university = "school", college = "school",
  pitch = "pitch", stadium = "pitch", sports_centre = "pitch",
}
local water_polygon = Set { "water", "bay" }
local waterway_line = Set { "river", "stream", "canal", "drain", "ditch" }
local place_minzoom = {
  country = 4, state = 5, city = 6, town = 8, village = 10, suburb = 11, quarter = 12,
  neighbourhood = 13, hamlet = 13, locality = 14, square = 14,
}

-- name, name:ar and name:en when the object has them (the style picks per language).
local function Names(obj)
  local name = obj:Find("name")
  if name ~= "" then obj:Attribute("name", name) end
  local ar = obj:Find("name:ar")
  if ar ~= "" then obj:Attribute("name:ar", ar) end
  local en = obj:Find("name:en")
  if en ~= "" then obj:Attribute("name:en", en) end
end

local function PoiClass(obj)
  for _, key in ipairs({ "amenity", "shop", "tourism", "leisure", "historic" }) do
    local v = obj:Find(key)
    if v ~= "" then return v end
  end
  return ""
end

-- A house number where a dispatcher looks for one: on the node or the building's centroid.
local function HouseNumber(obj, centroid)
  local number = obj:Find("addr:housenumber")
  if number == "" then return end
  if centroid then obj:LayerAsCentroid("housenumbers") else obj:Layer("housenumbers", false) end
  obj:Attribute("housenumber", number)
  local street = obj:Find("addr:street")
  if street ~= "" then obj:Attribute("street", street) end
end

function node_function(node)
  HouseNumber(node, false)
  local place = node:Find("place")
  if place ~= "" and node:Holds("name") then
    node:Layer("places", false)
    node:Attribute("class", place)
    node:MinZoom(place_minzoom[place] or 14)
    Names(node)
    return
  end
  local class = PoiClass(node)
  if class ~= "" and node:Holds("name") then
    node:Layer("pois", false)
    node:Attribute("class", class)
    Names(node)
  end
end

function way_function(way)
  local highway = way:Find("highway")
  local railway = way:Find("railway")
  local building = way:Find("building")
  local natural = way:Find("natural")
  local waterway = way:Find("waterway")
  local closed = way:IsClosed()

  local class = road_class[highway]
  if class == nil and (railway == "rail" or railway == "light_rail" or railway == "tram") then
    class = "rail"
  end
  if class ~= nil and way:Find("area") ~= "yes" then
    way:Layer("roads", false)
    way:Attribute("class", class)
    way:MinZoom(road_minzoom[class])
    Names(way)
    local ref = way:Find("ref")
    if ref ~= "" then way:Attribute("ref", ref) end
    local oneway = way:Find("oneway")
    if oneway == "yes" or oneway == "1" then way:AttributeNumeric("oneway", 1) end
    if way:Find("bridge") ~= "" and way:Find("bridge") ~= "no" then
      way:Attribute("brunnel", "bridge")
    elseif way:Find("tunnel") ~= "" and way:Find("tunnel") ~= "no" then
      way:Attribute("brunnel", "tunnel")
    end
    return
  end

  if waterway_line[waterway] then
    way:Layer("waterway", false)
    way:Attribute("class", waterway)
    Names(way)
  end
  local landuse = way:Find("landuse")
  if water_polygon[natural] or waterway == "riverbank" or landuse == "reservoir" or landuse == "basin" then
    if closed or way:Find("type") == "multipolygon" then
      way:Layer("water", true)
      way:Attribute("class", (landuse == "basin" and "basin") or (waterway == "riverbank" and "river") or "water")
    end
    return
  end

  if building ~= "" and building ~= "no" then
    way:Layer("buildings", true)
    HouseNumber(way, true)
    if way:Holds("name") and PoiClass(way) ~= "" then
      way:LayerAsCentroid("pois")
      way:Attribute("class", PoiClass(way))
      Names(way)
    end
    return
  end

  if closed or way:Find("type") == "multipolygon" then
    local lclass = landuse_class[way:Find("leisure")] or landuse_class[landuse]
      or landuse_class[natural] or landuse_class[way:Find("amenity")]
      or landuse_class[way:Find("boundary")]
    if lclass ~= nil then
      way:Layer("landuse", true)
      way:Attribute("class", lclass)
      Names(way)
    end
    local pclass = PoiClass(way)
    if pclass ~= "" and way:Holds("name") then
      way:LayerAsCentroid("pois")
      way:Attribute("class", pclass)
      Names(way)
    end
  end
end
