// ncc-glyphs: writes the label glyphs of the base map (docs/basemap.md) for MapLibre, from
// local font files, so that no glyph server from outside is needed.
//
//   ncc-glyphs --out DIR --stack "Noto Sans Regular" NotoSans-Regular.ttf
//   NotoSansArabic-Regular.ttf
//              [--stack NAME FILE... ]
//
// writes DIR/<stack>/<start>-<end>.pbf for every one of the 256 ranges of the Basic
// Multilingual Plane (ranges no file covers hold an empty stack, so every request the map
// makes has an answer).
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "basemap/glyphs.h"

namespace {

int Usage() {
  std::cerr
      << "usage: ncc-glyphs --out DIR --stack NAME FONT_FILE... [--stack NAME FONT_FILE...]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace ncc::basemap;
  std::string out;
  std::vector<std::pair<std::string, std::vector<std::string>>> stacks;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--out" && i + 1 < argc) {
      out = argv[++i];
    } else if (a == "--stack" && i + 1 < argc) {
      stacks.push_back({argv[++i], {}});
    } else if (!a.empty() && a[0] != '-' && !stacks.empty()) {
      stacks.back().second.push_back(a);
    } else {
      return Usage();
    }
  }
  if (out.empty() || stacks.empty()) return Usage();
  auto t0 = std::chrono::steady_clock::now();
  for (const auto& [name, files] : stacks) {
    if (name.empty() || name.find_first_of("/,\\") != std::string::npos || name[0] == '.') {
      std::cerr << "ncc-glyphs: a stack name may not hold '/', ',' or '\\' nor start with '.'\n";
      return 2;
    }
    auto renderer = GlyphRenderer::Open(files);
    if (!renderer.ok()) {
      std::cerr << "ncc-glyphs: " << renderer.status().ToString() << "\n";
      return 1;
    }
    const std::filesystem::path dir = std::filesystem::path(out) / name;
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
      std::cerr << "ncc-glyphs: cannot create " << dir << ": " << ec.message() << "\n";
      return 1;
    }
    size_t glyphs = 0, bytes = 0;
    for (uint32_t start = 0; start < 65536; start += 256) {
      std::vector<Glyph> range = (*renderer)->RenderRange(start);
      glyphs += range.size();
      std::string pbf = EncodeGlyphs(name, start, range);
      bytes += pbf.size();
      const auto path = dir / (RangeName(start) + ".pbf");
      std::ofstream f(path, std::ios::binary | std::ios::trunc);
      f.write(pbf.data(), static_cast<std::streamsize>(pbf.size()));
      if (!f) {
        std::cerr << "ncc-glyphs: cannot write " << path << "\n";
        return 1;
      }
    }
    std::cout << "ncc-glyphs: " << name << ": " << glyphs << " glyphs, " << bytes / 1024
              << " KiB in 256 ranges\n";
  }
  std::cout << "ncc-glyphs: done in "
            << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()
            << " s\n";
  return 0;
}
