// Files shipped with ncc (config/plans, config/mappings, web/dist, basemap/style.json), found
// upward from the running binary (build/<preset>/src/app/ncc -> the checkout), so every command
// finds them wherever it is started from.
// Thread: any; reads the filesystem.
#pragma once

#include <string>

namespace ncc::install {

// The absolute path of `relative` in the nearest folder above the binary that has it; "" when
// none has it.
std::string FindShipped(const std::string& relative);

}  // namespace ncc::install
