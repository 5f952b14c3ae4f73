// Untrusted input: a simulator run's run.json, as `ncc report` and `ncc compare` read it.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "report/run_info.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto info =
      ncc::report::ParseRunInfo(std::string_view(reinterpret_cast<const char*>(data), size));
  if (info.ok() && info->policy.size() > 256) __builtin_trap();  // the length cap held
  return 0;
}
