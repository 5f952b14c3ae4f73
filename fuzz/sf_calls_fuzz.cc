// Untrusted input: lines of a calls-for-service CSV export.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sim/sf_calls.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view line(reinterpret_cast<const char*>(data), size);
  auto fields = ncc::SplitCsvLine(line);
  ncc::Time t;
  for (const auto& f : fields) (void)ncc::ParseSfTime(f, t);
  return 0;
}
