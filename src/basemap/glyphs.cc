#include "basemap/glyphs.h"

#include <ft2build.h>
#include FT_FREETYPE_H

#include <algorithm>
#include <cmath>
#include <limits>
#include <protozero/pbf_writer.hpp>

namespace ncc::basemap {
namespace {

constexpr double kInf = 1e20;

// One-dimensional squared distance transform of f (n samples, `stride` apart in `grid`),
// in place (Felzenszwalb & Huttenlocher, "Distance Transforms of Sampled Functions", 2012).
void Transform1D(std::vector<double>& grid, size_t offset, size_t stride, size_t n,
                 std::vector<double>& f, std::vector<int>& v, std::vector<double>& z) {
  for (size_t q = 0; q < n; ++q) f[q] = grid[offset + q * stride];
  const double inf = std::numeric_limits<double>::infinity();
  int k = 0;
  v[0] = 0;
  z[0] = -inf;
  z[1] = inf;
  auto meet = [&](int q, int r) {  // where the parabolas rooted at q and r intersect
    return ((f[q] + double(q) * q) - (f[r] + double(r) * r)) / (2.0 * q - 2.0 * r);
  };
  for (int q = 1; q < static_cast<int>(n); ++q) {
    double s = meet(q, v[k]);
    while (s <= z[k]) s = meet(q, v[--k]);  // z[0] is -inf: k stays >= 0
    ++k;
    v[k] = q;
    z[k] = s;
    z[k + 1] = inf;
  }
  k = 0;
  for (int q = 0; q < static_cast<int>(n); ++q) {
    while (z[k + 1] < q) ++k;
    const double d = q - v[k];
    grid[offset + q * stride] = d * d + f[v[k]];
  }
}

void Transform2D(std::vector<double>& grid, size_t w, size_t h) {
  const size_t n = std::max(w, h);
  std::vector<double> f(n), z(n + 1);
  std::vector<int> v(n);
  for (size_t x = 0; x < w; ++x) Transform1D(grid, x, w, h, f, v, z);
  for (size_t y = 0; y < h; ++y) Transform1D(grid, y * w, 1, w, f, v, z);
}

}  // namespace

std::string SignedDistanceField(const unsigned char* alpha, int width, int height, int pitch,
                                int buffer, int radius, double cutoff) {
  const size_t w = static_cast<size_t>(width + 2 * buffer);
  const size_t h = static_cast<size_t>(height + 2 * buffer);
  // Squared distance to the nearest pixel inside (outer) and outside (inner) the shape; a
  // partly covered pixel starts at the sub-pixel distance its coverage implies.
  std::vector<double> outer(w * h, kInf), inner(w * h, 0.0);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      const double a = alpha[static_cast<size_t>(y) * pitch + x] / 255.0;
      const size_t i = (y + buffer) * w + (x + buffer);
      if (a >= 1.0) {
        outer[i] = 0;
        inner[i] = kInf;
      } else if (a > 0.0) {
        outer[i] = std::pow(std::max(0.0, 0.5 - a), 2);
        inner[i] = std::pow(std::max(0.0, a - 0.5), 2);
      }
    }
  Transform2D(outer, w, h);
  Transform2D(inner, w, h);
  std::string out(w * h, '\0');
  for (size_t i = 0; i < w * h; ++i) {
    const double d = (std::sqrt(outer[i]) - std::sqrt(inner[i])) / radius;  // >0 outside
    const double v = 255.0 - 255.0 * (std::clamp(d, -1.0, 1.0) + cutoff);
    out[i] = static_cast<char>(static_cast<unsigned char>(std::clamp(v, 0.0, 255.0)));
  }
  return out;
}

std::string RangeName(uint32_t start) {
  return std::to_string(start) + "-" + std::to_string(start + 255);
}

int64_t ParseRangeName(const std::string& name) {
  size_t dash = name.find('-');
  if (dash == std::string::npos || dash == 0 || dash > 5 || name.size() - dash - 1 > 5) return -1;
  int64_t start = 0, end = 0;
  for (size_t i = 0; i < name.size(); ++i) {
    if (i == dash) continue;
    if (name[i] < '0' || name[i] > '9') return -1;
    int64_t& n = i < dash ? start : end;
    n = n * 10 + (name[i] - '0');
  }
  if (start % 256 != 0 || end != start + 255 || end > 65535) return -1;
  if (RangeName(static_cast<uint32_t>(start)) != name) return -1;  // no leading zeros
  return start;
}

std::string EncodeGlyphs(const std::string& stack, uint32_t start,
                         const std::vector<Glyph>& glyphs) {
  std::string out;
  protozero::pbf_writer message(out);
  protozero::pbf_writer fontstack(message, 1);
  fontstack.add_string(1, stack);
  fontstack.add_string(2, RangeName(start));
  for (const Glyph& g : glyphs) {
    protozero::pbf_writer glyph(fontstack, 3);
    glyph.add_uint32(1, g.id);
    if (!g.bitmap.empty()) glyph.add_bytes(2, g.bitmap);
    glyph.add_uint32(3, g.width);
    glyph.add_uint32(4, g.height);
    glyph.add_sint32(5, g.left);
    glyph.add_sint32(6, g.top);
    glyph.add_uint32(7, g.advance);
  }
  return out;
}

struct GlyphRenderer::Faces {
  FT_Library library = nullptr;
  std::vector<FT_Face> faces;
  int ascender = 0;  // px, of the first face: every glyph sits on its baseline
  ~Faces() {
    for (FT_Face f : faces) FT_Done_Face(f);
    if (library) FT_Done_FreeType(library);
  }
};

StatusOr<std::unique_ptr<GlyphRenderer>> GlyphRenderer::Open(
    const std::vector<std::string>& files) {
  if (files.empty()) return InvalidArgument("a fontstack needs at least one font file", "font");
  std::unique_ptr<GlyphRenderer> r(new GlyphRenderer());
  r->faces_ = std::make_unique<Faces>();
  if (FT_Init_FreeType(&r->faces_->library) != 0) return Internal("FreeType did not start");
  for (const std::string& file : files) {
    FT_Face face = nullptr;
    if (FT_New_Face(r->faces_->library, file.c_str(), 0, &face) != 0)
      return NotFound("FreeType cannot open " + file, "font");
    r->faces_->faces.push_back(face);
    if (FT_Set_Char_Size(face, 0, kGlyphSize << 6, 0, 0) != 0)
      return InvalidArgument(file + " cannot be scaled to " + std::to_string(kGlyphSize) + " px",
                             "font");
  }
  r->faces_->ascender = static_cast<int>(r->faces_->faces[0]->size->metrics.ascender >> 6);
  return r;
}

GlyphRenderer::~GlyphRenderer() = default;

std::vector<Glyph> GlyphRenderer::RenderRange(uint32_t start) {
  std::vector<Glyph> out;
  for (uint32_t cp = start; cp < start + 256; ++cp) {
    for (FT_Face face : faces_->faces) {
      FT_UInt index = FT_Get_Char_Index(face, cp);
      if (index == 0) continue;
      if (FT_Load_Glyph(face, index, FT_LOAD_NO_HINTING | FT_LOAD_RENDER) != 0) continue;
      FT_GlyphSlot slot = face->glyph;
      const FT_Bitmap& bm = slot->bitmap;
      if (bm.pixel_mode != FT_PIXEL_MODE_GRAY && bm.width > 0) continue;
      Glyph g;
      g.id = cp;
      g.width = bm.width;
      g.height = bm.rows;
      g.left = slot->bitmap_left;
      g.top = slot->bitmap_top - faces_->ascender;
      g.advance = static_cast<uint32_t>(std::max<FT_Pos>(0, slot->metrics.horiAdvance >> 6));
      if (g.width > 0 && g.height > 0)
        g.bitmap =
            SignedDistanceField(bm.buffer, static_cast<int>(bm.width), static_cast<int>(bm.rows),
                                bm.pitch, kGlyphBuffer, kGlyphRadius, kGlyphCutoff);
      out.push_back(std::move(g));
      break;
    }
  }
  return out;
}

}  // namespace ncc::basemap
