#include "basemap/glyph_set.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "basemap/glyphs.h"

namespace ncc::basemap {

StatusOr<GlyphSet> GlyphSet::Load(const std::string& dir, size_t max_bytes) {
  GlyphSet set;
  if (dir.empty()) return set;
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return NotFound("no glyph folder at " + dir, "fonts");
  size_t total = 0;
  for (const fs::directory_entry& stack : fs::directory_iterator(dir, ec)) {
    if (!stack.is_directory(ec) || stack.is_symlink(ec)) continue;
    const std::string name = stack.path().filename().string();
    for (const fs::directory_entry& file : fs::directory_iterator(stack.path(), ec)) {
      if (!file.is_regular_file(ec) || file.is_symlink(ec)) continue;
      if (file.path().extension() != ".pbf") continue;
      const std::string range = file.path().stem().string();
      if (ParseRangeName(range) < 0) continue;
      total += file.file_size(ec);
      if (total > max_bytes)
        return ResourceExhausted(
            dir + " holds more than " + std::to_string(max_bytes >> 20) + " MiB of glyphs",
            "fonts");
      std::ifstream in(file.path(), std::ios::binary);
      std::stringstream body;
      body << in.rdbuf();
      if (!in) return NotFound("cannot read " + file.path().string(), "fonts");
      set.ranges_[name][range] = body.str();
    }
  }
  if (ec) return NotFound("cannot list " + dir + ": " + ec.message(), "fonts");
  return set;
}

const std::string* GlyphSet::Find(const std::string& fontstack, const std::string& range) const {
  size_t start = 0;
  while (start <= fontstack.size()) {
    size_t comma = fontstack.find(',', start);
    std::string name =
        fontstack.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    while (!name.empty() && name.front() == ' ') name.erase(name.begin());
    while (!name.empty() && name.back() == ' ') name.pop_back();
    if (auto it = ranges_.find(name); it != ranges_.end()) {
      auto r = it->second.find(range);
      return r == it->second.end() ? nullptr : &r->second;
    }
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return nullptr;
}

std::vector<std::string> GlyphSet::stacks() const {
  std::vector<std::string> out;
  for (const auto& [name, ranges] : ranges_) out.push_back(name);
  return out;
}

}  // namespace ncc::basemap
