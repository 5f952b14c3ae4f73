// libFuzzer: mapping files (sim/call_mapping.h) and a CAD export read through them. The input is
// a mapping's JSON, a line "----", then CSV text (header and rows): the mapping must be refused
// with a field or parsed, and every row then either mapped or counted as skipped. Seeds: the
// shipped mappings (config/mappings/) with the heads of the real exports they describe.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "sim/call_mapping.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = [] {
    auto d = std::filesystem::exists("/dev/shm") ? std::filesystem::path("/dev/shm")
                                                 : std::filesystem::temp_directory_path();
    return (d / ("ncc-fuzz-mapping-" + std::to_string(::getpid()) + ".csv")).string();
  }();
  std::string input(reinterpret_cast<const char*>(data), size);
  size_t cut = input.find("\n----\n");
  std::string json = input.substr(0, cut);
  auto mapping = ncc::ParseCallMapping(json, "fuzz.json");
  if (!mapping.ok()) {
    if (mapping.status().field().empty()) __builtin_trap();  // every refusal names its key
    return 0;
  }
  (void)mapping->CheckDispatchable("fuzz.json");
  if (cut == std::string::npos) return 0;
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << input.substr(cut + 6);
  }
  ncc::MappedReadStats stats;
  auto rows = ncc::ReadMappedCalls(path, *mapping, &stats);
  if (rows.ok() && rows->size() != stats.kept) __builtin_trap();
  for (const std::string& t : {std::string("04/07/2020 11:53:08 PM"), input.substr(0, 40)}) {
    ncc::Time out;
    (void)ncc::ParseMappedTime(t, mapping->time, out);
  }
  return 0;
}
