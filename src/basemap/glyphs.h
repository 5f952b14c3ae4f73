// Map label glyphs without a glyph server: signed distance fields of a font's glyphs rendered
// with FreeType, in the PBF format MapLibre GL loads from the style's
// "glyphs": "/fonts/{fontstack}/{range}.pbf" (ranges of 256 code points, "0-255", "256-511"...):
//
//   message glyphs    { repeated fontstack stacks = 1; }
//   message fontstack { string name = 1; string range = 2; repeated glyph glyphs = 3; }
//   message glyph     { uint32 id = 1; bytes bitmap = 2; uint32 width = 3; uint32 height = 4;
//                       sint32 left = 5; sint32 top = 6; uint32 advance = 7; }
//
// A glyph is rendered at 24 px; its bitmap is (width + 6) x (height + 6) bytes (a 3 px buffer
// on every side), the distance to the outline over a radius of 8 px, 191 on the edge, higher
// inside (MapLibre draws at 0.75 of 255). `top` is measured from the font's ascender, as the
// renderer expects.
//
// A fontstack may join several font files: each code point comes from the first file that has
// it (Noto Sans for Latin, Greek and Cyrillic, then Noto Sans Arabic), placed on the first
// file's baseline, so one stack labels Arabic and English names alike.
//
// Threads: one GlyphRenderer per thread (FreeType faces are not shared).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"

namespace ncc::basemap {

inline constexpr int kGlyphSize = 24;   // px
inline constexpr int kGlyphBuffer = 3;  // px around the glyph
inline constexpr int kGlyphRadius = 8;  // px of distance encoded
inline constexpr double kGlyphCutoff = 0.25;

// One rendered glyph, before encoding.
struct Glyph {
  uint32_t id = 0;                 // Unicode code point
  uint32_t width = 0, height = 0;  // without the buffer
  int32_t left = 0, top = 0;
  uint32_t advance = 0;
  std::string bitmap;  // (width + 2*buffer) * (height + 2*buffer) bytes; empty when no ink
};

// The signed distance field of an 8-bit coverage bitmap (`alpha`, width x height, row pitch
// `pitch`), with `buffer` px added on every side: (width + 2 buffer) x (height + 2 buffer)
// bytes encoded as described above. Felzenszwalb-Huttenlocher distance transform, O(pixels).
std::string SignedDistanceField(const unsigned char* alpha, int width, int height, int pitch,
                                int buffer, int radius, double cutoff);

// "start-end" of the range holding code point `start` (a multiple of 256).
std::string RangeName(uint32_t start);
// The start of a range name "start-end", or -1 when `name` is not one of the 256 ranges.
int64_t ParseRangeName(const std::string& name);

// The encoded glyphs message of one stack and range.
std::string EncodeGlyphs(const std::string& stack, uint32_t start,
                         const std::vector<Glyph>& glyphs);

class GlyphRenderer {
 public:
  // kNotFound naming "font" when a file cannot be opened by FreeType.
  static StatusOr<std::unique_ptr<GlyphRenderer>> Open(const std::vector<std::string>& files);
  ~GlyphRenderer();
  GlyphRenderer(const GlyphRenderer&) = delete;
  GlyphRenderer& operator=(const GlyphRenderer&) = delete;

  // The glyphs of code points [start, start + 255] that any of the files has.
  std::vector<Glyph> RenderRange(uint32_t start);

 private:
  GlyphRenderer() = default;
  struct Faces;
  std::unique_ptr<Faces> faces_;
};

}  // namespace ncc::basemap
