// libFuzzer: the body of POST /api/v1/positions as the route reads it
// (src/server/api_positions.cc): the first byte picks the Content-Type (even: application/json, an
// array or {"fixes":[...]}; odd: application/x-ndjson, one fix per line), the rest is the body.
// Every item then goes through the lanes' fix reader. Every line is accounted for exactly once
// (parsed or rejected) and every refused fix names its field.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "input/json_body.h"
#include "input/ndjson.h"
#include "monitor/fix_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  nlohmann::json items;
  std::vector<ncc::Rejection> rejected;
  std::vector<size_t> index_of;
  if (data[0] & 1) {
    items = ncc::ParseNdjson(body, rejected, index_of);
    if (!items.is_array() || index_of.size() != items.size()) std::abort();
    for (size_t i = 1; i < index_of.size(); ++i)
      if (index_of[i] <= index_of[i - 1]) std::abort();
    for (const auto& r : rejected)
      for (size_t at : index_of)
        if (r.index == at) std::abort();  // a line is parsed or rejected, not both
  } else {
    auto parsed = ncc::ParseJsonBody(body);
    if (!parsed.ok()) return 0;
    if (parsed->is_object() && parsed->contains("fixes") && parsed->size() == 1)
      items = std::move((*parsed)["fixes"]);
    else
      items = std::move(*parsed);
    if (!items.is_array()) return 0;
  }
  for (const auto& item : items) {
    auto fix = ncc::monitor::ReadFixObject(item, ncc::UnitId(), "");
    if (!fix.ok() && fix.status().field().empty()) std::abort();  // a refusal names its field
  }
  return 0;
}
