#include "basemap/mbtiles.h"

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

namespace ncc::basemap {

Status CheckTileAddress(int64_t z, int64_t x, int64_t y) {
  if (z < 0 || z > kMaxZoom) return Malformed("zoom must be 0.." + std::to_string(kMaxZoom), "z");
  const int64_t n = int64_t{1} << z;
  if (x < 0 || x >= n)
    return Malformed("must be 0.." + std::to_string(n - 1) + " at zoom " + std::to_string(z), "x");
  if (y < 0 || y >= n)
    return Malformed("must be 0.." + std::to_string(n - 1) + " at zoom " + std::to_string(z), "y");
  return Status::Ok();
}

bool IsGzip(const std::string& data) {
  return data.size() >= 2 && static_cast<unsigned char>(data[0]) == 0x1f &&
         static_cast<unsigned char>(data[1]) == 0x8b;
}

StatusOr<std::string> Gunzip(const std::string& data) {
  if (!IsGzip(data)) return DataLoss("not gzip data");
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return Internal("inflateInit2 failed");
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char buf[16384];
  int rc = Z_OK;
  while (rc == Z_OK) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    out.append(buf, sizeof buf - zs.avail_out);
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) break;  // truncated input
    if (out.size() > (64u << 20)) break;
  }
  inflateEnd(&zs);
  if (rc != Z_STREAM_END) return DataLoss("truncated or corrupt gzip data");
  return out;
}

StatusOr<std::unique_ptr<MbTiles>> MbTiles::Open(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    return NotFound("no MBTiles file at " + path, "basemap");
  std::unique_ptr<MbTiles> t(new MbTiles());
  t->path_ = path;
  if (sqlite3_open_v2(path.c_str(), &t->db_, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr) !=
      SQLITE_OK)
    return InvalidArgument("cannot open " + path + ": " + sqlite3_errmsg(t->db_), "basemap");
  sqlite3_stmt* meta = nullptr;
  if (sqlite3_prepare_v2(t->db_, "SELECT name, value FROM metadata", -1, &meta, nullptr) !=
      SQLITE_OK)
    return InvalidArgument(path + " is not an MBTiles file (" + sqlite3_errmsg(t->db_) + ")",
                           "basemap");
  int rc;
  while ((rc = sqlite3_step(meta)) == SQLITE_ROW) {
    auto text = [&](int col) {
      const unsigned char* s = sqlite3_column_text(meta, col);
      return s ? std::string(reinterpret_cast<const char*>(s)) : std::string();
    };
    t->metadata_[text(0)] = text(1);
  }
  sqlite3_finalize(meta);
  if (rc != SQLITE_DONE)
    return InvalidArgument(path + ": reading metadata: " + sqlite3_errmsg(t->db_), "basemap");
  MutexLock lock(t->mu_);
  if (sqlite3_prepare_v2(t->db_,
                         "SELECT tile_data FROM tiles WHERE zoom_level = ?1 AND tile_column = ?2 "
                         "AND tile_row = ?3",
                         -1, &t->select_, nullptr) != SQLITE_OK)
    return InvalidArgument(path + " is not an MBTiles file (" + sqlite3_errmsg(t->db_) + ")",
                           "basemap");
  auto zoom = [&](const char* name, int fallback) {
    auto it = t->metadata_.find(name);
    if (it == t->metadata_.end()) return fallback;
    try {
      int v = std::stoi(it->second);
      return v >= 0 && v <= kMaxZoom ? v : fallback;
    } catch (const std::exception&) {
      return fallback;
    }
  };
  t->min_zoom_ = zoom("minzoom", 0);
  t->max_zoom_ = zoom("maxzoom", 14);
  return t;
}

MbTiles::~MbTiles() {
  {
    MutexLock lock(mu_);
    if (select_) sqlite3_finalize(select_);
  }
  if (db_) sqlite3_close(db_);
}

StatusOr<std::string> MbTiles::Tile(int64_t z, int64_t x, int64_t y) const {
  NCC_RETURN_IF_ERROR(CheckTileAddress(z, x, y));
  const int64_t tms_y = (int64_t{1} << z) - 1 - y;
  const std::string name = std::to_string(z) + "/" + std::to_string(x) + "/" + std::to_string(y);
  MutexLock lock(mu_);
  sqlite3_reset(select_);
  sqlite3_bind_int64(select_, 1, z);
  sqlite3_bind_int64(select_, 2, x);
  sqlite3_bind_int64(select_, 3, tms_y);
  int rc = sqlite3_step(select_);
  if (rc == SQLITE_DONE) return NotFound("no tile " + name + " in the base map", "tile");
  if (rc != SQLITE_ROW) return Internal("reading tile " + name + ": " + sqlite3_errmsg(db_));
  const void* blob = sqlite3_column_blob(select_, 0);
  std::string out(static_cast<const char*>(blob),
                  blob ? static_cast<size_t>(sqlite3_column_bytes(select_, 0)) : 0);
  sqlite3_reset(select_);
  return out;
}

nlohmann::json MbTiles::TileJson(const std::string& tiles_url) const {
  nlohmann::json j = {{"tilejson", "3.0.0"},
                      {"tiles", {tiles_url}},
                      {"scheme", "xyz"},
                      {"minzoom", min_zoom_},
                      {"maxzoom", max_zoom_}};
  auto text = [&](const char* key) -> const std::string* {
    auto it = metadata_.find(key);
    return it == metadata_.end() ? nullptr : &it->second;
  };
  for (const char* key : {"name", "description", "version", "attribution"})
    if (const std::string* v = text(key)) j[key] = *v;
  if (!j.contains("attribution")) j["attribution"] = "© OpenStreetMap contributors (ODbL)";
  auto numbers = [](const std::string& csv) {
    nlohmann::json a = nlohmann::json::array();
    size_t start = 0;
    while (start <= csv.size()) {
      size_t comma = csv.find(',', start);
      std::string part =
          csv.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      try {
        a.push_back(std::stod(part));
      } catch (const std::exception&) {
        return nlohmann::json();
      }
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    return a;
  };
  if (const std::string* b = text("bounds"))
    if (auto a = numbers(*b); a.is_array() && a.size() == 4) j["bounds"] = a;
  if (const std::string* c = text("center"))
    if (auto a = numbers(*c); a.is_array() && a.size() == 3) j["center"] = a;
  if (const std::string* layers = text("json")) {
    auto parsed = nlohmann::json::parse(*layers, nullptr, false);
    if (parsed.is_object() && parsed.contains("vector_layers"))
      j["vector_layers"] = parsed["vector_layers"];
  }
  return j;
}

}  // namespace ncc::basemap

namespace ncc::basemap {

StatusOr<std::string> StyleForTiles(const std::string& style, const MbTiles& tiles,
                                    const std::string& lang) {
  auto j = nlohmann::json::parse(style, nullptr, false);
  if (!j.is_object()) return Malformed("the base map style is not a JSON object", "style");
  if (!lang.empty()) {
    const nlohmann::json meta = j.value("metadata", nlohmann::json::object());
    const std::string key = "ncc:label-" + lang;
    if (!meta.is_object() || !meta.contains(key) || !meta.contains("ncc:label-ar") ||
        lang.size() > 8)
      return Malformed("the base map has labels in ar and en only", "lang");
    if (j.contains("layers") && j["layers"].is_array())
      for (auto& layer : j["layers"])
        if (layer.is_object() && layer.contains("layout") && layer["layout"].is_object() &&
            layer["layout"].value("text-field", nlohmann::json()) == meta["ncc:label-ar"])
          layer["layout"]["text-field"] = meta[key];
  }
  nlohmann::json tj = tiles.TileJson("");
  if (tj.contains("bounds")) {
    const auto& b = tj["bounds"];
    const double w = b[0], s = b[1], e = b[2], n = b[3];
    j["center"] = {(w + e) / 2, (s + n) / 2};
    // The zoom at which the region's width fills about 1,400 px of 256 px tiles.
    const double span = std::max(e - w, 1e-6);
    const double zoom = std::floor(std::log2(360.0 / span * 1400.0 / 256.0) - 0.5);
    j["zoom"] = std::clamp(zoom, double(tiles.min_zoom()), double(tiles.max_zoom()));
  } else if (tj.contains("center")) {
    j["center"] = {tj["center"][0], tj["center"][1]};
    j["zoom"] = tj["center"][2];
  }
  return j.dump();
}

}  // namespace ncc::basemap
