#include "install/shipped.h"

#include <filesystem>

namespace ncc::install {

std::string FindShipped(const std::string& relative) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path exe = fs::canonical("/proc/self/exe", ec);
  if (ec) return "";
  for (fs::path p = exe.parent_path(); !p.empty() && p != p.root_path(); p = p.parent_path())
    if (fs::exists(p / relative, ec)) return (p / relative).string();
  return "";
}

}  // namespace ncc::install
