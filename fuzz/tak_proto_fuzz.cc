// libFuzzer: a TAK protocol v1 stream as the listener reads it after the negotiation
// (docs/tak-hub.md). The input is split into reads of varying size (its first byte picks the
// chunking), framed by ProtoFramer, every payload turned into XML by TakMessageToXml and parsed
// by ParseEvent. An event that parses is turned back into a TakMessage (as a v1 client is sent
// it) and must come back as the same event: what the converter writes it can read.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "exchange/cot/cot_event.h"
#include "exchange/cot/tak_proto.h"

using namespace ncc::cot;

namespace {

void CheckRoundTrip(const std::string& xml, const CotEvent& e) {
  auto payload = XmlToTakMessage(xml);
  if (!payload.ok()) abort();
  auto again = TakMessageToXml(*payload);
  if (!again.ok() || !*again) abort();
  auto back = ParseEvent(**again);
  if (!back.ok()) abort();
  if (back->uid != e.uid || back->type != e.type || back->how != e.how) abort();
}

void Payload(const std::string& payload) {
  auto xml = TakMessageToXml(payload);
  if (!xml.ok() || !*xml) return;
  auto event = ParseEvent(**xml);
  if (event.ok()) CheckRoundTrip(**xml, *event);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  size_t chunk = 1 + data[0] % 64;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  ProtoFramer framer(4096);  // small limit: the fuzzer reaches it
  for (size_t at = 0; at < in.size(); at += chunk) {
    framer.Append(in.substr(at, chunk));
    for (;;) {
      auto next = framer.Next();
      if (!next.ok() || !*next) break;
      if ((*next)->size() > 4096) abort();
      Payload(**next);
    }
  }
  // The whole input as one payload too (no framer in front).
  Payload(std::string(in));
  return 0;
}
