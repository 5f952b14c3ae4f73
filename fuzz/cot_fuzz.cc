// libFuzzer: the CoT (TAK) stream as the listener reads it (docs/formats/cot.md). The input is
// split into reads of varying size (its first byte picks the chunking), framed, and every
// framed document parsed. A parsed event is written back and must parse to the same event:
// the writer escapes every string it got from the parser.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "exchange/cot/cot_event.h"
#include "exchange/cot/framer.h"

using namespace ncc::cot;

namespace {

void CheckRoundTrip(const CotEvent& e) {
  auto back = ParseEvent(Write(e));
  if (!back.ok()) abort();
  // Numbers and times come back exactly.
  if (back->type != e.type || back->time_ms != e.time_ms || back->start_ms != e.start_ms ||
      back->stale_ms != e.stale_ms || back->point.lat != e.point.lat ||
      back->point.lon != e.point.lon || back->point.hae != e.point.hae || back->speed != e.speed ||
      back->course != e.course)
    abort();
  // The parser accepts only text the writer can carry, so every string survives unchanged.
  if (back->uid != e.uid || back->how != e.how || back->callsign != e.callsign ||
      back->group_name != e.group_name || back->group_role != e.group_role ||
      back->remarks != e.remarks)
    abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  size_t chunk = 1 + data[0] % 64;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  Framer framer(4096);  // small limit: the fuzzer reaches it
  for (size_t at = 0; at < in.size(); at += chunk) {
    framer.Append(in.substr(at, chunk));
    for (;;) {
      auto next = framer.Next();
      if (!next.ok() || !*next) break;
      if ((*next)->size() > 4096) abort();
      auto event = ParseEvent(**next);
      if (event.ok()) CheckRoundTrip(*event);
    }
  }
  // The whole input as one document too (no framer in front).
  auto event = ParseEvent(in);
  if (event.ok()) CheckRoundTrip(*event);
  return 0;
}
