// The offline base map (docs/basemap.md): vector tiles from the MBTiles file of
// `ncc serve --basemap FILE`, its TileJSON, the MapLibre style centred on the region, and the
// label glyphs at /fonts. Public rows, like the console's own files: they hold OpenStreetMap
// data and font renderings, name no record, and the map must draw them before and without a
// sign-in (MapLibre fetches them without the console's bearer token). docs/security.md.
#include <nlohmann/json.hpp>

#include "basemap/glyphs.h"
#include "server/api_rooms.h"

namespace ncc {
namespace {

// A tile coordinate: decimal digits only (no sign, no space, at most 10 digits).
StatusOr<int64_t> Coordinate(const std::string& text, const char* field) {
  if (text.empty() || text.size() > 10) return Malformed("must be a non-negative integer", field);
  int64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return Malformed("must be a non-negative integer", field);
    v = v * 10 + (c - '0');
  }
  return v;
}

bool AcceptsGzip(const HttpRequest& r) {
  auto it = r.headers.find("accept-encoding");
  return it != r.headers.end() && it->second.find("gzip") != std::string::npos;
}

Status NoBaseMap() {
  return Unavailable("no base map loaded (start with --basemap FILE; scripts/basemap builds one)");
}

constexpr const char* kTileCache = "public, max-age=3600";

}  // namespace

BasemapRoutes::BasemapRoutes(ApiCore& core, const basemap::MbTiles* tiles,
                             const basemap::GlyphSet* fonts, const std::string& style)
    : ApiRoom(core), tiles_(tiles), fonts_(fonts) {
  if (tiles_) {
    tilejson_ = tiles_->TileJson("/tiles/{z}/{x}/{y}.pbf").dump();
    if (!style.empty())
      for (const char* lang : {"ar", "en"}) {
        // A style of one's own without ncc's label metadata serves as it is for both.
        auto fitted = basemap::StyleForTiles(style, *tiles_, lang);
        if (!fitted.ok()) fitted = basemap::StyleForTiles(style, *tiles_);
        if (fitted.ok()) styles_[lang] = std::move(*fitted);
      }
  }
  core.metrics.push_back([this](std::string& out) {
    out +=
        "# HELP ncc_basemap_tiles_total Base map tiles answered (200)\n"
        "# TYPE ncc_basemap_tiles_total counter\nncc_basemap_tiles_total " +
        std::to_string(tiles_served_.load()) +
        "\n# HELP ncc_basemap_glyph_ranges_total Glyph ranges answered (200)\n"
        "# TYPE ncc_basemap_glyph_ranges_total counter\nncc_basemap_glyph_ranges_total " +
        std::to_string(glyphs_served_.load()) + "\n";
  });
}

void BasemapRoutes::AddRoutes(Router& router) {
  router.Add({"GET", "/tiles/{z}/{x}/{y}.pbf", std::nullopt, Gate::kPublic, BodyType::kNone,
              [this](const RouteCall& c, Reply reply) { TileRoute(c, std::move(reply)); }});
  router.Add({"GET", "/tiles/tiles.json", std::nullopt, Gate::kPublic, BodyType::kNone,
              [this](const RouteCall&, Reply reply) {
                if (!tiles_) return reply(ErrorResponse(NoBaseMap()));
                HttpResponse resp;
                resp.body = tilejson_;
                resp.headers.push_back({"Cache-Control", "no-cache"});
                reply(std::move(resp));
              }});
  router.Add({"GET", "/tiles/style.json", std::nullopt, Gate::kPublic, BodyType::kNone,
              [this](const RouteCall& c, Reply reply) { StyleRoute(c, std::move(reply)); }});
  router.Add({"GET", "/fonts/{fontstack}/{range}.pbf", std::nullopt, Gate::kPublic, BodyType::kNone,
              [this](const RouteCall& c, Reply reply) { GlyphRoute(c, std::move(reply)); }});
}

void BasemapRoutes::TileRoute(const RouteCall& c, Reply reply) {
  auto z = Coordinate(c.Param("z"), "z");
  if (!z.ok()) return reply(ErrorResponse(z.status()));
  auto x = Coordinate(c.Param("x"), "x");
  if (!x.ok()) return reply(ErrorResponse(x.status()));
  auto y = Coordinate(c.Param("y"), "y");
  if (!y.ok()) return reply(ErrorResponse(y.status()));
  if (Status s = basemap::CheckTileAddress(*z, *x, *y); !s.ok()) return reply(ErrorResponse(s));
  if (!tiles_) return reply(ErrorResponse(NoBaseMap()));
  auto data = tiles_->Tile(*z, *x, *y);
  if (!data.ok()) return reply(ErrorResponse(data.status()));
  HttpResponse resp;
  resp.content_type = "application/x-protobuf";
  if (basemap::IsGzip(*data)) {
    if (AcceptsGzip(c.request())) {
      resp.headers.push_back({"Content-Encoding", "gzip"});
      resp.body = std::move(*data);
    } else {
      auto plain = basemap::Gunzip(*data);
      if (!plain.ok()) return reply(ErrorResponse(Internal(plain.status().message())));
      resp.body = std::move(*plain);
    }
  } else {
    resp.body = std::move(*data);
  }
  resp.headers.push_back({"Vary", "Accept-Encoding"});
  resp.headers.push_back({"Cache-Control", kTileCache});
  ++tiles_served_;
  reply(std::move(resp));
}

void BasemapRoutes::StyleRoute(const RouteCall& c, Reply reply) {
  // ?lang=ar (the default: name:ar, then the local name) or ?lang=en (name:en, then name).
  auto it = c.request().query.find("lang");
  const std::string lang = it == c.request().query.end() ? "ar" : it->second;
  if (lang != "ar" && lang != "en")
    return reply(ErrorResponse(Malformed("must be ar or en", "lang")));
  if (!tiles_) return reply(ErrorResponse(NoBaseMap()));
  auto style = styles_.find(lang);
  if (style == styles_.end())
    return reply(ErrorResponse(Unavailable("no base map style (--basemap-style)")));
  HttpResponse resp;
  resp.body = style->second;
  resp.headers.push_back({"Cache-Control", "no-cache"});
  reply(std::move(resp));
}

void BasemapRoutes::GlyphRoute(const RouteCall& c, Reply reply) {
  const std::string& range = c.Param("range");
  if (basemap::ParseRangeName(range) < 0)
    return reply(ErrorResponse(
        Malformed("must be a range of 256 code points, START-(START+255), e.g. 0-255", "range")));
  const std::string& stack = c.Param("fontstack");
  if (!fonts_ || fonts_->size() == 0)
    return reply(ErrorResponse(Unavailable(
        "no glyphs loaded (scripts/basemap writes them beside the tiles; --basemap-fonts DIR)")));
  const std::string* pbf = fonts_->Find(stack, range);
  if (!pbf)
    return reply(ErrorResponse(NotFound(
        "no font stack '" + stack.substr(0, 200) + "' (have: Noto Sans Regular, Noto Sans Bold)",
        "fontstack")));
  HttpResponse resp;
  resp.content_type = "application/x-protobuf";
  resp.body = *pbf;
  resp.headers.push_back({"Cache-Control", kTileCache});
  ++glyphs_served_;
  reply(std::move(resp));
}

}  // namespace ncc
