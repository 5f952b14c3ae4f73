// The glyph ranges written by ncc-glyphs (DIR/<stack>/<start>-<end>.pbf), read once at start
// and served at /fonts/{fontstack}/{range}.pbf. Only names read at start are ever answered: a
// request's path never reaches the disk.
//
// Threads: immutable after Load(); Find() from any thread.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/status.h"

namespace ncc::basemap {

class GlyphSet {
 public:
  // Every "<start>-<end>.pbf" of every folder under `dir` (a folder is a fontstack). An empty
  // `dir` gives an empty set; kNotFound naming "fonts" when it is not a readable folder,
  // kResourceExhausted when the files exceed `max_bytes` in all.
  static StatusOr<GlyphSet> Load(const std::string& dir, size_t max_bytes = 256u << 20);

  // The range `range` ("0-255") of `fontstack`; a list "A,B" (what MapLibre asks for when a
  // layer names several fonts) is answered by its first stack the set has. nullptr when none.
  const std::string* Find(const std::string& fontstack, const std::string& range) const;
  // The fontstacks held.
  std::vector<std::string> stacks() const;
  size_t size() const { return ranges_.size(); }

 private:
  std::map<std::string, std::map<std::string, std::string>, std::less<>>
      ranges_;  // stack -> range -> pbf
};

}  // namespace ncc::basemap
