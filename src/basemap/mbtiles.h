// An MBTiles tile set (https://github.com/mapbox/mbtiles-spec, 1.3) read from its SQLite file:
// the base map built by scripts/basemap with tilemaker (docs/basemap.md). Rows are TMS (y
// counted from the south); Tile() takes the XYZ y that web maps ask for and flips it.
//
// Threads: Open() before serving; Tile() and the accessors then run on any thread (one
// read-only connection behind a mutex: a lookup is one indexed SELECT).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "core/status.h"
#include "core/thread_annotations.h"

namespace ncc::basemap {

// The highest zoom an XYZ address may name (tilemaker stops at 14; 2^30 columns still fit).
inline constexpr int kMaxZoom = 30;

// Whether `z/x/y` is an address at all: z in [0, kMaxZoom], x and y in [0, 2^z). Malformed
// naming "z", "x" or "y" otherwise.
Status CheckTileAddress(int64_t z, int64_t x, int64_t y);

// The first bytes of a gzip member (RFC 1952): tiles are usually stored so.
bool IsGzip(const std::string& data);
// The inflated content of a gzip member; kDataLoss when it is not one.
StatusOr<std::string> Gunzip(const std::string& data);

class MbTiles {
 public:
  // Opens `path` read-only and reads its metadata table. kNotFound naming "basemap" when the
  // file does not exist, kInvalidArgument naming it when it is not an MBTiles file (no tiles
  // or metadata table).
  static StatusOr<std::unique_ptr<MbTiles>> Open(const std::string& path);
  ~MbTiles();
  MbTiles(const MbTiles&) = delete;
  MbTiles& operator=(const MbTiles&) = delete;

  // The stored bytes of tile z/x/y (XYZ scheme), as stored (gzip-compressed when IsGzip).
  // Malformed naming z, x or y for an address out of range; kNotFound naming the tile when the
  // set has no such tile.
  StatusOr<std::string> Tile(int64_t z, int64_t x, int64_t y) const EXCLUDES(mu_);

  // The metadata table, name -> value.
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  // TileJSON 3.0.0 for the set, with `tiles_url` (e.g. "/tiles/{z}/{x}/{y}.pbf") as its one
  // tile address and the layers of the "json" metadata row.
  nlohmann::json TileJson(const std::string& tiles_url) const;
  int min_zoom() const { return min_zoom_; }
  int max_zoom() const { return max_zoom_; }
  const std::string& path() const { return path_; }

 private:
  MbTiles() = default;

  std::string path_;
  std::map<std::string, std::string> metadata_;
  int min_zoom_ = 0, max_zoom_ = 14;
  mutable Mutex mu_;
  sqlite3* db_ = nullptr;
  sqlite3_stmt* select_ PT_GUARDED_BY(mu_) = nullptr;
};

}  // namespace ncc::basemap

namespace ncc::basemap {

// `style` (a MapLibre style, JSON text) centred on the tile set: "center" and "zoom" from the
// set's bounds (or its "center" row), so the map opens on the loaded region. With `lang`, every
// layer whose "text-field" is the style's metadata "ncc:label-ar" gets "ncc:label-<lang>"
// instead (basemap/style.json: "ar" = name:ar, then name; "en" = name:en, then name). Malformed
// naming "style" when the text is not a JSON object, naming "lang" when the style has no
// labels for `lang`.
StatusOr<std::string> StyleForTiles(const std::string& style, const MbTiles& tiles,
                                    const std::string& lang = "");

}  // namespace ncc::basemap
