// HTTP/1.1 (keep-alive) and WebSocket on one port, on Boost.Beast. This header hides Beast:
// only http_server.cc and stream_session.cc include it.
//
// Threads: Start/Stop/Wait from the owning thread; requests run on `threads` I/O threads,
// each connection on its own strand.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "monitor/live_feed.h"
#include "net/tls_options.h"
#include "server/api.h"

namespace ncc {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  // 0 picks a free port (tests)
  int threads = 2;
  size_t header_limit = 8 * 1024;
  size_t body_limit = 1024 * 1024;                 // every route but positions
  size_t positions_body_limit = 16 * 1024 * 1024;  // AVL batches
  std::chrono::seconds read_timeout{30};           // a whole request, headers and body (slowloris)
  size_t stream_max_lag = 10'000;  // events a live stream may fall behind before it is cut
  // A stream whose client takes longer than this to take one message is cut: a client that
  // stops reading holds no buffers and no slot for longer.
  std::chrono::milliseconds stream_write_timeout{10'000};
  // The kernel's send buffer of a stream socket: what a stalled client can hold there.
  int stream_send_buffer = 256 * 1024;
  // How long a stop waits for the requests already read to be answered (drain).
  std::chrono::milliseconds drain_timeout{10'000};
  std::optional<TlsOptions> tls;  // none: plain HTTP
  // Connections at once, in all and per peer address; past them a new connection is closed at
  // once. The total is further capped by RLIMIT_NOFILE less a reserve (the log, the lanes).
  size_t max_connections = 10'000;
  size_t max_connections_per_address = 512;
  // Host headers answered (DNS rebinding): IP literals and "localhost" always, these names too;
  // "*" allows any. WebSocket Origin: the page's own origin (Origin's host = Host) or these.
  std::vector<std::string> allowed_hosts;
  std::vector<std::string> allowed_origins;
  // Live fixes for streams opened with ?positions=1 (borrowed, outlives the server); none: such
  // streams get events only.
  monitor::LiveFeed* live_positions = nullptr;
  // A stream sends {"type":"heartbeat"} this often, so that a client can tell a quiet stream
  // from a dead socket (browsers see no WebSocket pings).
  std::chrono::milliseconds stream_heartbeat{2'000};
};

class HttpServer {
 public:
  HttpServer(ServerOptions options, Api& api, Engine& engine);
  ~HttpServer();

  // Binds and starts serving. kUnavailable when the address cannot be bound.
  Status Start();
  uint16_t port() const;
  bool tls() const;
  // Drains, then stops: takes no new connection, answers every request already read (its
  // outcome, or 503 to those read during the drain), waits for them up to drain_timeout, then
  // stops the I/O threads (open streams end there). Blocks; call once from the owning thread.
  void Stop();
  void Wait();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ncc
