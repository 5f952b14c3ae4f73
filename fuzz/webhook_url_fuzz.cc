// Untrusted input: webhook URLs (POST /api/v1/webhooks). Whatever is accepted must be a
// loopback or explicitly allowed host: the SSRF guard must not be fooled by odd syntax.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "exchange/webhooks/webhook.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view url(reinterpret_cast<const char*>(data), size);
  auto t = ncc::webhooks::CheckUrl(url, {"partner.example"});
  if (!t.ok()) return 0;
  if (!ncc::webhooks::IsLoopbackHost(t->host) && t->host != "partner.example") std::abort();
  if (t->port == 0 || t->target.empty() || t->target[0] != '/') std::abort();
  return 0;
}
