// The CoT listener: TAK clients and gateways over TCP, or TLS with the HTTP server's own TLS
// set-up and client-certificate sign-in. Boost.Asio stays inside listener.cc.
//
// One connection:
//   1. TLS handshake when TLS is on (a certificate not signed by --tls-client-ca is refused
//      there). A verified certificate whose common name is an API key's name signs in as that
//      gateway. Without one, the client's first line must be "ncc-key <KEY>\n".
//   2. The key must hold the lane `cot` (cot.ingest); otherwise "ncc-error auth: ...\n" and
//      the connection is closed.
//   3. Inbound: concatenated <event> documents (framer.h, cot_event.h); friendly atoms whose
//      callsign names a unit go to the AVL lane as fixes (ingest.h). Garbage, a malformed or
//      oversized event: "ncc-error <field>: <why>\n", counted, closed; events before it are kept.
//   4. Outbound: at sign-in, every unit (with a position) and open incident the key may see
//      (auth::CanSee with cot.ingest: its own agency, within its clearance), then every change
//      of those records from the engine's feed. A client that lets more than
//      `max_queued_bytes` of changes pile up, does not take a write within `write_timeout`,
//      or falls out of the feed's ring, is disconnected. What is relayed to many clients is
//      one shared buffer; queued documents go out gathered, several per write.
//   5. Fixes: handed to the lane with every other connection's (fix_batcher.h); once
//      `max_pending_fixes` wait, sockets are not read until they are handed off.
//
// Threads: Start/Stop from the owner; sessions on `threads` I/O threads, each on its strand.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "auth/authorize.h"
#include "engine/engine.h"
#include "exchange/cot/ingest.h"
#include "monitor/avl_lane.h"
#include "net/tls_options.h"

namespace ncc::cot {

struct ListenerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;  // 0 picks a free port (tests)
  std::optional<TlsOptions> tls;
  int threads = 1;
  size_t max_event_bytes = kMaxEventBytes;
  size_t max_connections = 256;
  size_t max_queued_bytes = 1 << 20;         // outbound changes a client may have unread
  std::chrono::seconds write_timeout{30};    // a write to the client not taken by then: cut
  size_t max_pending_fixes = 65'536;         // read, not yet handed to the lane: then stop reading
  std::chrono::seconds sign_in_timeout{10};  // handshake and key line
  std::chrono::seconds idle_timeout{600};    // no byte from the client for this long: closed
  int64_t stale_after_ms = 5 * 60'000;       // the "stale" of the events sent
};

// Signs a connection in: with `api_key` (from the ncc-key line) or, when it is empty, with the
// common name of a verified client certificate. The server wires this to the HTTP API's own
// sign-in (Api::Authenticate), so keys, certificates, revocation and rate limits are the same.
using Authenticator = std::function<StatusOr<auth::Principal>(
    std::string_view api_key, std::string_view cert_name, std::string_view remote)>;

class Listener {
 public:
  // Binds and starts serving. kInvalidArgument for bad TLS files, kUnavailable when the
  // address cannot be bound.
  // `clock` stamps the events sent (time, stale); it must outlive the listener.
  static StatusOr<std::unique_ptr<Listener>> Start(Engine& engine, monitor::AvlLane& lane,
                                                   const Clock& clock, Authenticator authenticate,
                                                   ListenerOptions options);
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  void Stop();
  uint16_t port() const;
  bool tls() const;
  const Counters& counters() const;
  void RenderMetrics(std::string& out) const;

  struct Impl;

 private:
  explicit Listener(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ncc::cot
