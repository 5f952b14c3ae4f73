// The only file of the webhooks that knows Boost.Beast: one synchronous POST with a deadline.
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "exchange/webhooks/registry.h"

namespace ncc::webhooks {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

StatusOr<int> HttpPost(const Target& t, const std::string& body,
                       const std::vector<std::pair<std::string, std::string>>& headers,
                       std::chrono::milliseconds timeout) {
  try {
    net::io_context io;
    tcp::resolver resolver(io);
    beast::error_code ec;
    auto results = resolver.resolve(t.host, std::to_string(t.port), ec);
    if (ec) return Unavailable("cannot resolve " + t.host + ": " + ec.message());
    // A name that is allowed as loopback must resolve to loopback only (no rebinding to a
    // routable address behind "localhost").
    if (IsLoopbackHost(t.host))
      for (const auto& r : results)
        if (!r.endpoint().address().is_loopback())
          return Unavailable(t.host + " resolves to a non-loopback address");
    beast::tcp_stream stream(io);
    stream.expires_after(timeout);
    stream.connect(results, ec);
    if (ec) return Unavailable("cannot connect: " + ec.message());
    http::request<http::string_body> req{http::verb::post, t.target, 11};
    req.set(http::field::host, t.host + ":" + std::to_string(t.port));
    req.set(http::field::user_agent, "ncc-webhooks/1");
    req.set(http::field::content_type, "application/json");
    for (const auto& [k, v] : headers) req.set(k, v);
    req.body() = body;
    req.prepare_payload();
    http::write(stream, req, ec);
    if (ec) return Unavailable("cannot send: " + ec.message());
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024);  // the answer is not used; do not let it grow
    http::read(stream, buffer, parser, ec);
    if (ec) return Unavailable("no answer: " + ec.message());
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    return static_cast<int>(parser.get().result_int());
  } catch (const std::exception& e) {
    return Unavailable(std::string("delivery failed: ") + e.what());
  }
}

}  // namespace ncc::webhooks
