#include "server/static_files.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace ncc {
namespace fs = std::filesystem;
namespace {

std::string ContentType(const fs::path& p) {
  std::string ext = p.extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".json") return "application/json";
  if (ext == ".woff2") return "font/woff2";
  if (ext == ".pbf") return "application/x-protobuf";
  return "application/octet-stream";
}

// True when `p` is `root` or below it (both canonical).
bool Inside(const fs::path& root, const fs::path& p) {
  auto [r, q] = std::mismatch(root.begin(), root.end(), p.begin(), p.end());
  return r == root.end();
}

}  // namespace

StatusOr<StaticFiles> StaticFiles::Load(const std::string& root, size_t max_bytes) {
  StaticFiles out;
  if (root.empty()) return out;
  std::error_code ec;
  fs::path base = fs::canonical(root, ec);
  if (ec || !fs::is_directory(base))
    return InvalidArgument("web root " + root + " is not a readable directory", "web");
  size_t total = 0;
  for (auto it = fs::recursive_directory_iterator(base, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (!it->is_regular_file(ec) || it->is_symlink(ec)) continue;
    fs::path real = fs::canonical(it->path(), ec);
    if (ec || !Inside(base, real)) continue;
    std::ifstream in(real, std::ios::binary);
    if (!in) continue;
    std::stringstream buf;
    buf << in.rdbuf();
    StaticFile f{buf.str(), ContentType(real)};
    total += f.body.size();
    if (total > max_bytes)
      return ResourceExhausted(
          "web root " + root + " holds more than " + std::to_string(max_bytes >> 20) + " MiB",
          "web");
    out.files_["/" + fs::relative(real, base).generic_string()] = std::move(f);
  }
  if (ec) return InvalidArgument("cannot list web root " + root + ": " + ec.message(), "web");
  return out;
}

const StaticFile* StaticFiles::Find(const std::string& path) const {
  auto it = files_.find(path == "/" ? std::string_view("/index.html") : std::string_view(path));
  return it == files_.end() ? nullptr : &it->second;
}

}  // namespace ncc
