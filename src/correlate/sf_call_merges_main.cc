// ncc-correlate-calls: how many real SFFD calls correlation would merge at several distance and
// time windows. Usage: ncc-correlate-calls [path/to/sf_fire_calls_for_service_2020-04.csv]
#include <cstdio>
#include <cstdlib>
#include <string>

#include "correlate/sf_calls.h"

int main(int argc, char** argv) {
  std::string path;
  if (argc > 1) {
    path = argv[1];
  } else {
    const char* dir = std::getenv("NCC_DATA_DIR");
    path =
        std::string(dir ? dir : "../shared/data") + "/calls/sf_fire_calls_for_service_2020-04.csv";
  }
  auto calls = ncc::correlate::ReadSfCalls(path);
  if (!calls.ok()) {
    std::fprintf(stderr, "ncc-correlate-calls: %s\n", calls.status().ToString().c_str());
    return 1;
  }
  std::printf(
      "| distance | window | calls | groups | merged calls | groups with 2+ calls | largest group "
      "|\n");
  std::printf("|---|---|---|---|---|---|---|\n");
  for (auto [d, w] : {std::pair{100.0, 300.0}, {250.0, 600.0}, {500.0, 1800.0}}) {
    auto f = ncc::correlate::MeasureMerges(*calls, d, w);
    std::printf("| %.0f m | %.0f min | %zu | %zu | %zu (%.1f%%) | %zu | %zu |\n", d, w / 60,
                f.calls, f.groups, f.merged_calls,
                100.0 * static_cast<double>(f.merged_calls) / static_cast<double>(f.calls),
                f.multi_call_groups, f.largest_group);
  }
  return 0;
}
