// Shared by the two Beast translation units (http_server.cc, stream_session.cc) only.
#pragma once

// Boost 1.74's asio uses std::exchange without including <utility>: include it first.
#include <utility>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <functional>
#include <memory>

#include "auth/authorize.h"
#include "engine/engine.h"
#include "server/event_pages.h"
#include "server/http_server.h"

namespace ncc {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;

// What the server's streams share: counters, and the events as each view is shown them.
struct StreamCounters {
  std::atomic<uint64_t> connected{0}, opened{0}, cut_for_lag{0}, cut_for_stall{0};
  SharedEventViews views;
};

using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// What an upgraded connection carries into its stream: who signed in, how to check that the
// sign-in still holds (logout, disable, expiry: the stream closes with 1008 within a second),
// and the connection's slot in the server's connection limits (released when the stream ends).
struct StreamGrant {
  auth::Principal who;
  std::function<Status()> still_valid;
  std::shared_ptr<void> slot;
};

// Takes over an upgraded connection (plain or TLS) and serves /api/v1/stream?after=SEQ on it:
// only the events `who` may see (auth::CanSee) are sent.
void StartStreamSession(beast::tcp_stream stream, http::request<http::string_body> request,
                        Engine& engine, const ServerOptions& options, StreamCounters& counters,
                        StreamGrant grant);
void StartStreamSession(TlsStream stream, http::request<http::string_body> request, Engine& engine,
                        const ServerOptions& options, StreamCounters& counters, StreamGrant grant);

}  // namespace ncc
