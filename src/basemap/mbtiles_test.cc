// The MBTiles reader over real tile sets: Monaco (buildings, POIs, water, parks, Arabic
// names) and northern San Francisco (the demo's roads), built from the real extracts with
// tilemaker and basemap/process.lua by the ctest fixture step basemap.build_fixture.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <protozero/pbf_reader.hpp>
#include <set>
#include <sstream>

#include "basemap/mbtiles.h"

namespace ncc::basemap {
namespace {

std::string Fixture(const std::string& name) {
  return std::string(NCC_BASEMAP_FIXTURE) + "/" + name;
}

#define NCC_REQUIRE_TILES(path)                         \
  if ((path).empty() || !std::filesystem::exists(path)) \
  GTEST_SKIP() << "no tile set " << (path)              \
               << " (the basemap.build_fixture step needs tilemaker and NCC_DATA_DIR/osm)"

// XYZ tile holding a point at zoom z (Web Mercator).
std::pair<int64_t, int64_t> TileOf(double lat, double lon, int z) {
  const double n = std::pow(2.0, z);
  const double x = (lon + 180.0) / 360.0 * n;
  const double r = lat * M_PI / 180.0;
  const double y = (1.0 - std::asinh(std::tan(r)) / M_PI) / 2.0 * n;
  return {static_cast<int64_t>(x), static_cast<int64_t>(y)};
}

// What a decoded vector tile (MVT 2) holds: per layer, its feature count and its keys, and
// every string value of the keys asked for.
struct Layer {
  size_t features = 0;
  std::set<std::string> keys;
  std::map<std::string, std::set<std::string>> strings;  // key -> values (all keys' values)
};

std::map<std::string, Layer> Decode(const std::string& mvt) {
  std::map<std::string, Layer> out;
  protozero::pbf_reader tile(mvt);
  while (tile.next(3)) {  // Tile.layers
    protozero::pbf_reader layer = tile.get_message();
    std::string name;
    std::vector<std::string> keys, values;
    std::vector<std::vector<uint32_t>> tags;
    while (layer.next()) {
      switch (layer.tag()) {
        case 1:
          name = layer.get_string();
          break;
        case 2: {  // Feature
          protozero::pbf_reader f = layer.get_message();
          tags.emplace_back();
          while (f.next()) {
            if (f.tag() == 2) {
              auto packed = f.get_packed_uint32();
              tags.back().assign(packed.begin(), packed.end());
            } else {
              f.skip();
            }
          }
          break;
        }
        case 3:
          keys.push_back(layer.get_string());
          break;
        case 4: {  // Value
          protozero::pbf_reader v = layer.get_message();
          std::string s;
          while (v.next()) {
            if (v.tag() == 1)
              s = v.get_string();
            else
              v.skip();
          }
          values.push_back(s);
          break;
        }
        default:
          layer.skip();
      }
    }
    Layer& l = out[name];
    l.features += tags.size();
    l.keys.insert(keys.begin(), keys.end());
    for (const auto& t : tags)
      for (size_t i = 0; i + 1 < t.size(); i += 2)
        if (t[i] < keys.size() && t[i + 1] < values.size() && !values[t[i + 1]].empty())
          l.strings[keys[t[i]]].insert(values[t[i + 1]]);
  }
  return out;
}

// Every tile of the set at zoom z, decoded and merged.
std::map<std::string, Layer> DecodeZoom(const MbTiles& tiles, int z) {
  std::map<std::string, Layer> all;
  sqlite3* db = nullptr;
  sqlite3_open_v2(tiles.path().c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "SELECT tile_column, tile_row FROM tiles WHERE zoom_level = ?1", -1, &st,
                     nullptr);
  sqlite3_bind_int(st, 1, z);
  while (sqlite3_step(st) == SQLITE_ROW) {
    int64_t x = sqlite3_column_int64(st, 0);
    int64_t y = (int64_t{1} << z) - 1 - sqlite3_column_int64(st, 1);  // TMS -> XYZ
    auto data = tiles.Tile(z, x, y);
    EXPECT_TRUE(data.ok()) << z << "/" << x << "/" << y << ": " << data.status().ToString();
    if (!data.ok()) continue;
    auto raw = IsGzip(*data) ? Gunzip(*data) : StatusOr<std::string>(*data);
    EXPECT_TRUE(raw.ok()) << raw.status().ToString();
    if (!raw.ok()) continue;
    for (auto& [name, layer] : Decode(*raw)) {
      Layer& l = all[name];
      l.features += layer.features;
      l.keys.insert(layer.keys.begin(), layer.keys.end());
      for (auto& [k, vs] : layer.strings) l.strings[k].insert(vs.begin(), vs.end());
    }
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return all;
}

TEST(MbTilesTest, MonacoHasEveryLayerOfTheStyleWithNamesInArabicAndEnglish) {
  const std::string path = Fixture("monaco.mbtiles");
  NCC_REQUIRE_TILES(path);
  auto tiles = MbTiles::Open(path);
  ASSERT_TRUE(tiles.ok()) << tiles.status().ToString();
  EXPECT_EQ((*tiles)->min_zoom(), 4);
  EXPECT_EQ((*tiles)->max_zoom(), 14);
  auto z14 = DecodeZoom(**tiles, 14);
  for (const char* layer : {"roads", "buildings", "pois", "water", "landuse"})
    EXPECT_GT(z14[layer].features, 0u) << layer;
  // Roads by class, with their names.
  std::set<std::string> classes = z14["roads"].strings["class"];
  for (const char* c : {"primary", "secondary", "tertiary", "minor", "service"})
    EXPECT_TRUE(classes.count(c)) << "no road of class " << c;
  EXPECT_TRUE(z14["roads"].strings["name"].count("Boulevard Albert 1er"));
  EXPECT_GT(z14["buildings"].features, 1000u);
  EXPECT_TRUE(z14["landuse"].strings["class"].count("park"));
  EXPECT_GT(z14["housenumbers"].features, 20u);
  EXPECT_TRUE(z14["housenumbers"].keys.count("housenumber"));
  // Place labels carry name:ar where OSM has it (Monaco: "موناكو").
  auto low = DecodeZoom(**tiles, 10);
  ASSERT_GT(low["places"].features, 0u);
  EXPECT_TRUE(
      low["places"].strings["name:ar"].count("\xD9\x85\xD9\x88\xD9\x86\xD8\xA7\xD9\x83\xD9\x88"))
      << "Monaco's Arabic name is missing from the place labels";
}

TEST(MbTilesTest, SanFranciscoRoadsWithNamesAtTheDemosCenter) {
  const std::string path = Fixture("sf-north-2020.mbtiles");
  NCC_REQUIRE_TILES(path);
  auto tiles = MbTiles::Open(path);
  ASSERT_TRUE(tiles.ok()) << tiles.status().ToString();
  // Union Square, Powell St: one z14 tile, gzip-compressed as stored.
  auto [x, y] = TileOf(37.7880, -122.4075, 14);
  auto data = (*tiles)->Tile(14, x, y);
  ASSERT_TRUE(data.ok()) << data.status().ToString();
  EXPECT_TRUE(IsGzip(*data));
  auto raw = Gunzip(*data);
  ASSERT_TRUE(raw.ok()) << raw.status().ToString();
  auto layers = Decode(*raw);
  ASSERT_GT(layers["roads"].features, 20u);
  EXPECT_TRUE(layers["roads"].strings["name"].count("Powell Street"));
  EXPECT_TRUE(layers["roads"].keys.count("oneway"));
}

TEST(MbTilesTest, RowsAreTmsAndTheReaderFlipsY) {
  const std::string path = Fixture("sf-north-2020.mbtiles");
  NCC_REQUIRE_TILES(path);
  auto tiles = MbTiles::Open(path);
  ASSERT_TRUE(tiles.ok());
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db,
                               "SELECT tile_column, tile_row, length(tile_data) FROM tiles "
                               "WHERE zoom_level = 14 LIMIT 1",
                               -1, &st, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  const int64_t x = sqlite3_column_int64(st, 0), tms_y = sqlite3_column_int64(st, 1);
  const size_t bytes = static_cast<size_t>(sqlite3_column_int64(st, 2));
  sqlite3_finalize(st);
  sqlite3_close(db);
  auto data = (*tiles)->Tile(14, x, (1 << 14) - 1 - tms_y);
  ASSERT_TRUE(data.ok()) << data.status().ToString();
  EXPECT_EQ(data->size(), bytes);
  // The TMS row number itself is another tile (far from SF): not in the set.
  auto wrong = (*tiles)->Tile(14, x, tms_y);
  EXPECT_EQ(wrong.status().code(), StatusCode::kNotFound);
}

TEST(MbTilesTest, AMissingTileIsNotFoundNamingIt) {
  const std::string path = Fixture("sf-north-2020.mbtiles");
  NCC_REQUIRE_TILES(path);
  auto tiles = MbTiles::Open(path);
  ASSERT_TRUE(tiles.ok());
  auto t = (*tiles)->Tile(14, 0, 0);
  EXPECT_EQ(t.status().code(), StatusCode::kNotFound);
  EXPECT_NE(t.status().message().find("14/0/0"), std::string::npos) << t.status().message();
}

TEST(MbTilesTest, AddressesOutOfRangeAreMalformedNamingTheField) {
  EXPECT_TRUE(CheckTileAddress(0, 0, 0).ok());
  EXPECT_TRUE(CheckTileAddress(14, 16383, 16383).ok());
  EXPECT_EQ(CheckTileAddress(-1, 0, 0).field(), "z");
  EXPECT_EQ(CheckTileAddress(31, 0, 0).field(), "z");
  EXPECT_EQ(CheckTileAddress(14, 16384, 0).field(), "x");
  EXPECT_EQ(CheckTileAddress(14, -1, 0).field(), "x");
  EXPECT_EQ(CheckTileAddress(2, 0, 4).field(), "y");
  EXPECT_EQ(CheckTileAddress(2, 0, 4).code(), StatusCode::kMalformed);
}

TEST(MbTilesTest, TileJsonCarriesBoundsCenterLayersAndAttribution) {
  const std::string path = Fixture("monaco.mbtiles");
  NCC_REQUIRE_TILES(path);
  auto tiles = MbTiles::Open(path);
  ASSERT_TRUE(tiles.ok());
  auto j = (*tiles)->TileJson("/tiles/{z}/{x}/{y}.pbf");
  EXPECT_EQ(j["tilejson"], "3.0.0");
  EXPECT_EQ(j["tiles"][0], "/tiles/{z}/{x}/{y}.pbf");
  ASSERT_TRUE(j["bounds"].is_array());
  EXPECT_NEAR(j["bounds"][0].get<double>(), 7.349, 1e-6);
  ASSERT_TRUE(j["center"].is_array());
  EXPECT_EQ(j["maxzoom"], 14);
  ASSERT_TRUE(j["vector_layers"].is_array());
  std::set<std::string> ids;
  for (const auto& l : j["vector_layers"]) ids.insert(l["id"].get<std::string>());
  for (const char* l :
       {"roads", "water", "waterway", "landuse", "buildings", "pois", "places", "housenumbers"})
    EXPECT_TRUE(ids.count(l)) << l;
  EXPECT_NE(j["attribution"].get<std::string>().find("OpenStreetMap"), std::string::npos);
}

TEST(MbTilesTest, TheRepositorysStyleIsCentredOnTheSetAndSwitchesLabelLanguage) {
  const std::string path = Fixture("sf-north-2020.mbtiles");
  NCC_REQUIRE_TILES(path);
  auto tiles = MbTiles::Open(path);
  ASSERT_TRUE(tiles.ok());
  std::ifstream in(NCC_SOURCE_DIR "/basemap/style.json");
  std::stringstream text;
  text << in.rdbuf();
  auto ar = StyleForTiles(text.str(), **tiles, "ar");
  ASSERT_TRUE(ar.ok()) << ar.status().ToString();
  auto en = StyleForTiles(text.str(), **tiles, "en");
  ASSERT_TRUE(en.ok()) << en.status().ToString();
  auto a = nlohmann::json::parse(*ar), e = nlohmann::json::parse(*en);
  EXPECT_NEAR(a["center"][0].get<double>(), -122.44, 0.01);
  EXPECT_NEAR(a["center"][1].get<double>(), 37.796, 0.01);
  EXPECT_GE(a["zoom"].get<double>(), 11);
  EXPECT_LE(a["zoom"].get<double>(), 14);
  size_t labels = 0;
  for (size_t i = 0; i < a["layers"].size(); ++i) {
    const auto& la = a["layers"][i];
    if (!la.contains("layout") || !la["layout"].contains("text-field")) continue;
    if (la["id"] == "housenumbers") continue;  // numbers, not names
    ++labels;
    EXPECT_EQ(la["layout"]["text-field"][1][1], "name:ar") << la["id"];
    EXPECT_EQ(e["layers"][i]["layout"]["text-field"][1][1], "name:en") << la["id"];
  }
  EXPECT_EQ(labels, 3u);
  EXPECT_EQ(StyleForTiles(text.str(), **tiles, "fr").status().field(), "lang");
  EXPECT_EQ(StyleForTiles("[1]", **tiles).status().field(), "style");
}

TEST(MbTilesTest, FilesThatAreNoTileSetAreRefusedNamingTheOption) {
  auto missing = MbTiles::Open("/nonexistent/x.mbtiles");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.status().field(), "basemap");
  const std::string junk =
      (std::filesystem::temp_directory_path() / ("ncc-junk-" + std::to_string(::getpid())))
          .string();
  {
    std::ofstream f(junk);
    f << "not sqlite at all, just text that is long enough to look like a header........";
  }
  auto bad = MbTiles::Open(junk);
  std::filesystem::remove(junk);
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().field(), "basemap");
}

TEST(MbTilesTest, GunzipRefusesTruncatedData) {
  const std::string path = Fixture("sf-north-2020.mbtiles");
  NCC_REQUIRE_TILES(path);
  auto tiles = MbTiles::Open(path);
  ASSERT_TRUE(tiles.ok());
  auto [x, y] = TileOf(37.7880, -122.4075, 14);
  auto data = (*tiles)->Tile(14, x, y);
  ASSERT_TRUE(data.ok());
  EXPECT_EQ(Gunzip(data->substr(0, data->size() / 2)).status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(Gunzip("plain").status().code(), StatusCode::kDataLoss);
}

}  // namespace
}  // namespace ncc::basemap
