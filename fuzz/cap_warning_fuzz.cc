// Untrusted input: an operator's warning request (the body of POST /api/v1/alerts). Every
// refusal names its field; every request read is written as a CAP alert that ncc's own CAP
// parser reads back as an alert from this sender. Seeds: fuzz/corpus/cap_warning_fuzz.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "exchange/cap/cap_parser.h"
#include "exchange/cap/cap_warning.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view json(reinterpret_cast<const char*>(data), size);
  auto request = ncc::cap::ReadWarningRequest(json);
  if (!request.ok()) {
    if (request.status().field().empty() &&
        request.status().code() != ncc::StatusCode::kResourceExhausted)
      std::abort();
    return 0;
  }
  ncc::cap::IssuedWarning w;
  w.id = 1;
  w.sent = ncc::Time{1796313600000};
  w.request = *request;
  if (request->references)
    w.references = {{"ncc@localhost", "ncc-ncc@localhost-warning-1", ncc::Time{1796313000000}}};
  auto back = ncc::cap::ParseAlert(ncc::cap::WriteWarning(w, {}));
  if (!back.ok() || back->sender != "ncc@localhost" || back->msg_type != request->msg_type)
    std::abort();
  return 0;
}
