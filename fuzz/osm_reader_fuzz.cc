// libFuzzer: the OSM reader behind `ncc import` (src/routing/osm_reader.h, libosmium): operators
// feed it extracts downloaded from the internet. The first byte picks the format (even: XML,
// odd: PBF), the rest is written to a file of that type and read. Any input must give a road
// network or a Status; what it gives must be consistent (every segment's points exist).
// Seeds: cuts of $NCC_DATA_DIR/osm/sf-north-2020.osm and heads of the real PBF extracts.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "routing/osm_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const std::string dir = [] {
    auto d = std::filesystem::exists("/dev/shm") ? std::filesystem::path("/dev/shm")
                                                 : std::filesystem::temp_directory_path();
    auto p = d / ("ncc-fuzz-osm-" + std::to_string(::getpid()));
    std::filesystem::create_directories(p);
    return p.string();
  }();
  std::string path = dir + ((data[0] & 1) ? "/in.osm.pbf" : "/in.osm");
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data) + 1, static_cast<std::streamsize>(size - 1));
  }
  auto net = ncc::routing::ReadOsm(path);
  std::filesystem::remove(path);
  if (!net.ok()) return 0;
  size_t points = net->lat_e7.size();
  if (net->lon_e7.size() != points || net->osm_node.size() != points) std::abort();
  for (const auto& s : net->segments)
    if (s.from >= points || s.to >= points || s.way >= net->osm_way.size()) std::abort();
  for (const auto& t : net->restrictions)
    if (t.via >= points || t.from_way >= net->osm_way.size() || t.to_way >= net->osm_way.size())
      std::abort();
  return 0;
}
