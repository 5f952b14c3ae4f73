// Untrusted input: the body of a JetStream message of the event log (a damaged or hostile
// stream) and a lease value read from the ncc_leases bucket. Decoding must return an error,
// never crash, hang or allocate without bound; what decodes must encode back to the same bytes.
// First byte even: a batch body; odd: a lease value.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "store/jetstream/batch_codec.h"
#include "store/jetstream/lease.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  if (data[0] % 2 == 0) {
    if (auto batch = ncc::jetstream::DecodeBatch(bytes); batch.ok()) {
      // A decoded batch re-encodes to a body that decodes to the same events.
      auto again = ncc::jetstream::DecodeBatch(ncc::jetstream::EncodeBatch(*batch));
      if (!again.ok() || again->size() != batch->size()) std::abort();
    }
  } else if (auto lease = ncc::jetstream::ParseLease(bytes); lease.ok()) {
    if (lease->node.empty()) std::abort();
  }
  return 0;
}
