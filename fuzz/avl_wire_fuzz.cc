// libFuzzer: the binary tracker protocol (docs/formats/avl-lane.md) as ncc reads it from the
// network: a TCP stream (hello, then batch headers and records, as TrackerListener consumes it),
// a UDP datagram, and the ack a client reads back. Decoded fixes are re-encoded and must decode
// to the same records.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "monitor/avl_wire.h"

using namespace ncc;
using namespace ncc::monitor::wire;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> in(data, size);
  // UDP: one datagram.
  std::string key;
  uint32_t batch_id = 0;
  std::vector<PositionFix> fixes;
  if (ParseDatagram(in, key, batch_id, fixes).ok()) {
    std::string again = EncodeDatagram(key, batch_id, fixes);
    std::vector<PositionFix> back;
    std::string key2;
    uint32_t id2 = 0;
    if (!ParseDatagram({reinterpret_cast<const uint8_t*>(again.data()), again.size()}, key2, id2,
                       back)
             .ok() ||
        back.size() != fixes.size() || key2 != key || id2 != batch_id)
      std::abort();
  }
  // TCP: hello, then frames until the bytes run out or the stream is refused.
  auto hello = ParseHello(in, key);
  if (hello.ok() && *hello > 0) {
    size_t at = *hello;
    while (at < size) {
      uint16_t count = 0;
      auto h = ParseBatchHeader(in.subspan(at), batch_id, count);
      if (!h.ok() || *h == 0) break;
      at += *h;
      size_t need = size_t{count} * kRecordBytes;
      if (size - at < need) break;
      for (size_t i = 0; i < count; ++i) (void)GetRecord(data + at + i * kRecordBytes);
      at += need;
    }
  }
  // Acks, as a client reads them.
  Ack ack;
  size_t at = 0;
  while (at < size) {
    auto used = ParseAck(in.subspan(at), ack);
    if (!used.ok() || *used == 0) break;
    at += *used;
  }
  return 0;
}
