#include "install/shipped.h"

#include <filesystem>

namespace ncc::install {

std::string FindShipped(const std::string& relative) {
  std::error_code ec;
  std::filesystem::path exe = std::filesystem::canonical("/proc/self/exe", ec);
  if (ec) return "";
  return FindShippedFrom(exe.string(), relative);
}

std::string FindShippedFrom(const std::string& exe, const std::string& relative) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path bin = fs::path(exe).parent_path();
  for (fs::path p = bin; !p.empty() && p != p.root_path(); p = p.parent_path())
    if (fs::exists(p / relative, ec)) return (p / relative).string();
  fs::path installed = bin.parent_path() / "share" / "ncc" / relative;
  if (fs::exists(installed, ec)) return installed.string();
  return "";
}

}  // namespace ncc::install
