// For the CAP tests: the real-data folder ($NCC_DATA_DIR, empty when unset) and whole files.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace ncc::cap {

inline std::string DataDir() {
  const char* d = std::getenv("NCC_DATA_DIR");
  return d ? d : "";
}

inline std::string Read(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace ncc::cap
