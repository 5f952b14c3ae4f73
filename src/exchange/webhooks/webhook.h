// Webhooks: a subscriber's URL gets every event its subscription may see, as JSON (the shape of
// the WebSocket stream), signed with the subscription's secret. docs/exchange.md.
//
// The subscription acts as the principal that created it (agency, roles, clearance fixed at
// creation): the server filters with exactly the stream's decision (CanSeeEvent).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "auth/authorize.h"
#include "core/ids.h"
#include "core/status.h"

namespace ncc::webhooks {

struct Subscription {
  uint64_t id = 0;
  std::string url;
  std::vector<std::string> events;  // event names; empty: every event the principal may see
  std::string agency;               // only records owned by this agency; empty: any
  auth::Principal principal;        // fixed at creation
  std::string secret;               // HMAC key; only in webhooks.db (0600) and in memory
  Time created;
  Seq cursor;  // every event up to here was delivered (2xx) or is not for this subscription
};

// Where a URL points. http:// or https:// (no credentials in the URL); the host must be a
// loopback address (127.0.0.0/8, ::1, localhost) or one of `allowed` exactly as written, so
// that a webhook cannot make the server probe the inside of the network (SSRF). https is
// delivered only to a certificate the trust store (--webhook-ca, else the system's) vouches
// for, for that host name.
struct Target {
  std::string host;
  uint16_t port = 80;
  std::string target;  // path and query, at least "/"
  bool tls = false;    // https://
};
StatusOr<Target> CheckUrl(std::string_view url, const std::vector<std::string>& allowed);
bool IsLoopbackHost(std::string_view host);

// "sha256=" + lowercase hex of HMAC-SHA256(secret, body): the X-Ncc-Signature header.
std::string Sign(std::string_view secret, std::string_view body);

}  // namespace ncc::webhooks
