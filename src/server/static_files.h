// The console's own files, served at "/": a manifest of the regular files under the web root,
// read once at start. A request is answered only when its path is exactly one of them, so no
// path form ("//etc/passwd", "..", percent-encodings, a symlink pointing out) reaches the disk.
//
// Owner: the Api. Immutable after Load(): any thread may call Find().
#pragma once

#include <map>
#include <string>

#include "core/status.h"

namespace ncc {

struct StaticFile {
  std::string body;
  std::string content_type;
};

class StaticFiles {
 public:
  // Reads every regular file under `root` whose canonical path stays inside the canonical
  // root (symlinks out and special files are skipped). An empty `root` gives an empty set.
  // kInvalidArgument naming "web" when the root is not a readable directory, kResourceExhausted
  // when the files exceed `max_bytes` in all.
  static StatusOr<StaticFiles> Load(const std::string& root, size_t max_bytes = 64u << 20);

  // The file at a request path ("/" is "/index.html"), nullptr when there is none.
  const StaticFile* Find(const std::string& path) const;
  size_t size() const { return files_.size(); }

 private:
  std::map<std::string, StaticFile, std::less<>> files_;  // "/console.js" -> file
};

// The headers every console page carries (CSP with form-action 'self', no framing).
inline constexpr const char* kConsoleCsp =
    "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data: blob:; "
    "worker-src 'self' blob:; style-src 'self' 'unsafe-inline'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
// Answers that are data, never a page.
inline constexpr const char* kApiCsp = "default-src 'none'; frame-ancestors 'none'";

}  // namespace ncc
