// libFuzzer: whole calls-for-service files as the demo, the replay and the correlation
// benchmark read them (sim::ReadSfCalls and correlate::ReadSfCalls): the header row maps
// columns by name, then every row is read through that mapping. sf_calls_fuzz covers one line;
// this covers the mapping (missing, repeated or reordered columns, short rows, quoting across
// the file). Seeds: heads of $NCC_DATA_DIR/calls/*.csv.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "correlate/sf_calls.h"
#include "sim/sf_calls.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = [] {
    auto d = std::filesystem::exists("/dev/shm") ? std::filesystem::path("/dev/shm")
                                                 : std::filesystem::temp_directory_path();
    return (d / ("ncc-fuzz-calls-" + std::to_string(::getpid()) + ".csv")).string();
  }();
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  size_t skipped = 0;
  auto rows = ncc::ReadSfCalls(path, &skipped);
  if (rows.ok())
    for (const auto& r : *rows) {
      (void)ncc::IncidentTypeFor(r.call_type);
      (void)ncc::PriorityFor(r.priority);
    }
  (void)ncc::correlate::ReadSfCalls(path);
  return 0;
}
