// Untrusted input: HTTP request bodies. Parse with the depth guard, then read every field the
// incident and position routes read.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/json_writer.h"
#include "input/json_body.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  ncc::Time t;
  (void)ncc::ParseTime(body, t);
  auto parsed = ncc::ParseJsonBody(body);
  if (!parsed.ok()) return 0;
  ncc::FieldReader f(*parsed,
                     {"type", "priority", "location", "summary", "unit", "time", "capabilities"});
  (void)f.String("type", true);
  (void)f.Integer("priority", true);
  (void)f.Location("location", false);
  (void)f.String("summary", false);
  (void)f.Timestamp("time", false);
  (void)f.Strings("capabilities", 32, 32);
  return 0;
}
