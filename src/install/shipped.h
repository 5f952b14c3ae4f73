// Files shipped with ncc (config/plans, config/mappings, web/dist, basemap/style.json), found
// from the running binary so that every command finds them wherever it is started from:
//  - in a checkout, upward from the binary (build/<preset>/src/app/ncc -> the checkout);
//  - installed (the .deb, packaging/), in share/ncc beside the binary's bin folder
//    (/usr/bin/ncc -> /usr/share/ncc/config/plans).
// Thread: any; reads the filesystem.
#pragma once

#include <string>

namespace ncc::install {

// The absolute path of `relative` for the running binary (above); "" when there is none.
std::string FindShipped(const std::string& relative);

// The same for a binary at `exe` (an absolute path; tests).
std::string FindShippedFrom(const std::string& exe, const std::string& relative);

}  // namespace ncc::install
