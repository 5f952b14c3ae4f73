// Untrusted input: the <Signature> of a partner's CAP alert, checked by libxmlsec1 (after
// ParseAlert accepted the alert, as POST /api/v1/cap does). Nothing may crash, fetch or hang,
// and no document without a trusted key may come out verified.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "exchange/cap/cap_parser.h"
#include "exchange/xmldsig/verifier.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static auto verifier = ncc::xmldsig::Verifier::Load({});  // trusts no one
  std::string_view xml(reinterpret_cast<const char*>(data), size);
  ncc::cap::CapLimits limits;
  limits.max_bytes = 64 * 1024;
  if (!ncc::cap::ParseAlert(xml, limits).ok()) return 0;
  if (!verifier.ok()) std::abort();
  auto verdict = (*verifier)->Verify(xml);
  if (verdict.kind == ncc::xmldsig::Verdict::Kind::kVerified) std::abort();
  return 0;
}
