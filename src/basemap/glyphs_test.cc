// Glyph PBFs from the Debian Noto fonts (fonts-noto-core): the format MapLibre reads, the SDF
// encoding, Arabic from the second file of a stack, and the set the server answers from.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <protozero/pbf_reader.hpp>

#include "basemap/glyph_set.h"
#include "basemap/glyphs.h"

namespace ncc::basemap {
namespace {

constexpr const char* kNoto = "/usr/share/fonts/truetype/noto/";
const std::vector<std::string> kStack = {std::string(kNoto) + "NotoSans-Regular.ttf",
                                         std::string(kNoto) + "NotoSansArabic-Regular.ttf"};

#define NCC_REQUIRE_NOTO()                                                        \
  if (!std::filesystem::exists(kStack[0]) || !std::filesystem::exists(kStack[1])) \
  GTEST_SKIP() << "fonts-noto-core is not installed"

struct Decoded {
  std::string name, range;
  std::map<uint32_t, Glyph> glyphs;
};

Decoded DecodeGlyphs(const std::string& pbf) {
  Decoded d;
  protozero::pbf_reader msg(pbf);
  EXPECT_TRUE(msg.next(1));
  protozero::pbf_reader stack = msg.get_message();
  while (stack.next()) {
    if (stack.tag() == 1) {
      d.name = stack.get_string();
    } else if (stack.tag() == 2) {
      d.range = stack.get_string();
    } else if (stack.tag() == 3) {
      protozero::pbf_reader g = stack.get_message();
      Glyph glyph;
      while (g.next()) {
        switch (g.tag()) {
          case 1:
            glyph.id = g.get_uint32();
            break;
          case 2:
            glyph.bitmap = g.get_bytes();
            break;
          case 3:
            glyph.width = g.get_uint32();
            break;
          case 4:
            glyph.height = g.get_uint32();
            break;
          case 5:
            glyph.left = g.get_sint32();
            break;
          case 6:
            glyph.top = g.get_sint32();
            break;
          case 7:
            glyph.advance = g.get_uint32();
            break;
          default:
            g.skip();
        }
      }
      d.glyphs[glyph.id] = glyph;
    } else {
      stack.skip();
    }
  }
  return d;
}

TEST(GlyphsTest, RangeNames) {
  EXPECT_EQ(RangeName(0), "0-255");
  EXPECT_EQ(RangeName(1536), "1536-1791");
  EXPECT_EQ(ParseRangeName("0-255"), 0);
  EXPECT_EQ(ParseRangeName("65280-65535"), 65280);
  for (const char* bad : {"", "0", "0-256", "1-256", "256-255", "00-255", "65536-65791", "a-b",
                          "-255", "0-", "0-255-", "../0-255"})
    EXPECT_EQ(ParseRangeName(bad), -1) << bad;
}

TEST(GlyphsTest, SignedDistanceFieldIsHighInsideEdgeAt191AndLowOutside) {
  // A 10x10 filled square with a 3 px buffer: 16x16.
  std::vector<unsigned char> square(100, 255);
  std::string sdf = SignedDistanceField(square.data(), 10, 10, 10, 3, 8, 0.25);
  ASSERT_EQ(sdf.size(), 16u * 16u);
  auto at = [&](int x, int y) { return static_cast<unsigned char>(sdf[y * 16 + x]); };
  EXPECT_GT(at(8, 8), 191 + 60);  // centre: 5 px inside
  EXPECT_LT(at(0, 8), 191 - 60);  // 3 px outside the left edge
  EXPECT_GT(at(3, 8), at(2, 8));  // rising towards the inside
  EXPECT_GT(at(4, 8), at(3, 8));
  EXPECT_NEAR(at(3, 8), 191 + 255.0 * 0.5 / 8, 20);  // the first row of ink: ~half a pixel in
}

TEST(GlyphsTest, LatinRangeOfNotoSansInMapLibresFormat) {
  NCC_REQUIRE_NOTO();
  auto r = GlyphRenderer::Open(kStack);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  std::string pbf = EncodeGlyphs("Noto Sans Regular", 0, (*r)->RenderRange(0));
  Decoded d = DecodeGlyphs(pbf);
  EXPECT_EQ(d.name, "Noto Sans Regular");
  EXPECT_EQ(d.range, "0-255");
  ASSERT_TRUE(d.glyphs.count('A'));
  const Glyph& a = d.glyphs['A'];
  EXPECT_GT(a.width, 10u);
  EXPECT_GT(a.height, 12u);
  EXPECT_LT(a.height, 24u);
  EXPECT_EQ(a.bitmap.size(), (a.width + 6) * (a.height + 6));
  EXPECT_GT(a.advance, 10u);
  EXPECT_LT(a.top, 0) << "top is measured from the ascender";
  // A space has an advance and no ink.
  ASSERT_TRUE(d.glyphs.count(' '));
  EXPECT_EQ(d.glyphs[' '].width, 0u);
  EXPECT_TRUE(d.glyphs[' '].bitmap.empty());
  EXPECT_GT(d.glyphs[' '].advance, 3u);
  // 'x' sits on the baseline like 'A': same bottom (top - height) within a pixel.
  const Glyph& x = d.glyphs['x'];
  EXPECT_NEAR(static_cast<int>(x.top) - static_cast<int>(x.height),
              static_cast<int>(a.top) - static_cast<int>(a.height), 1);
  EXPECT_GT(d.glyphs.size(), 180u);
}

TEST(GlyphsTest, ArabicComesFromTheSecondFileOnTheFirstFilesBaseline) {
  NCC_REQUIRE_NOTO();
  auto r = GlyphRenderer::Open(kStack);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  Decoded arabic = DecodeGlyphs(EncodeGlyphs("Noto Sans Regular", 1536, (*r)->RenderRange(1536)));
  EXPECT_EQ(arabic.range, "1536-1791");
  for (uint32_t cp : {0x0627u /* alef */, 0x0645u /* meem */, 0x0648u, 0x0646u, 0x0643u})
    EXPECT_TRUE(arabic.glyphs.count(cp)) << std::hex << cp;
  EXPECT_GT(arabic.glyphs.size(), 150u);
  const Glyph& alef = arabic.glyphs[0x0627];
  EXPECT_GT(alef.height, 10u);
  EXPECT_LT(alef.top, 0);
  EXPECT_GT(alef.top, -24);
  // The presentation forms MapLibre's RTL plugin shapes into (Arabic Presentation Forms-B).
  Decoded forms = DecodeGlyphs(EncodeGlyphs("Noto Sans Regular", 65024, (*r)->RenderRange(65024)));
  EXPECT_TRUE(forms.glyphs.count(0xFEE3)) << "meem initial form";
  // A range no file covers is an empty stack, not an error.
  Decoded none = DecodeGlyphs(EncodeGlyphs("Noto Sans Regular", 0xE000, (*r)->RenderRange(0xE000)));
  EXPECT_TRUE(none.glyphs.empty());
}

TEST(GlyphsTest, AFontFileThatIsNotThereIsNotFound) {
  auto r = GlyphRenderer::Open({"/nonexistent.ttf"});
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(r.status().field(), "font");
}

TEST(GlyphSetTest, TheFixturesGlyphsAnswerByStackAndFirstKnownOfAList) {
  const std::string fonts = std::string(NCC_BASEMAP_FIXTURE) + "/fonts";
  if (!std::filesystem::exists(fonts + "/Noto Sans Regular/0-255.pbf"))
    GTEST_SKIP() << "no glyphs built by basemap.build_fixture";
  auto set = GlyphSet::Load(fonts);
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ(set->size(), 2u);
  const std::string* latin = set->Find("Noto Sans Regular", "0-255");
  ASSERT_NE(latin, nullptr);
  EXPECT_EQ(DecodeGlyphs(*latin).name, "Noto Sans Regular");
  const std::string* listed = set->Find("Open Sans Bold,Noto Sans Bold", "1536-1791");
  ASSERT_NE(listed, nullptr);
  EXPECT_EQ(DecodeGlyphs(*listed).name, "Noto Sans Bold");
  EXPECT_EQ(set->Find("Noto Sans Regular", "0-256"), nullptr);
  EXPECT_EQ(set->Find("../Noto Sans Regular", "0-255"), nullptr);
  EXPECT_EQ(set->Find("Nothing", "0-255"), nullptr);
  EXPECT_EQ(GlyphSet::Load("/nonexistent").status().field(), "fonts");
}

}  // namespace
}  // namespace ncc::basemap
