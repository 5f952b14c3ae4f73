// The only file of the webhooks that knows Boost.Beast: one synchronous POST with a deadline,
// over TCP or TLS (OpenSSL through Boost.Asio's ssl::stream, peer and host name verified).
#include <openssl/ssl.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "exchange/webhooks/registry.h"

namespace ncc::webhooks {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

class TlsTrust {
 public:
  TlsTrust() : context(ssl::context::tls_client) {}
  ssl::context context;
};

StatusOr<std::shared_ptr<TlsTrust>> LoadTlsTrust(const std::string& ca_file) {
  auto trust = std::make_shared<TlsTrust>();
  beast::error_code ec;
  trust->context.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                             ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                             ssl::context::no_tlsv1_1);
  trust->context.set_verify_mode(ssl::verify_peer, ec);
  if (ca_file.empty())
    trust->context.set_default_verify_paths(ec);
  else
    trust->context.load_verify_file(ca_file, ec);
  if (ec)
    return InvalidArgument("cannot load the webhook trust store " +
                               (ca_file.empty() ? std::string("(system)") : ca_file) + ": " +
                               ec.message(),
                           "--webhook-ca");
  return trust;
}

namespace {

// Writes the request and reads the status on any stream (TCP or TLS).
template <typename Stream>
StatusOr<int> Exchange(Stream& stream, const Target& t, const std::string& body,
                       const std::vector<std::pair<std::string, std::string>>& headers) {
  beast::error_code ec;
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
  return static_cast<int>(parser.get().result_int());
}

// The handshake's failure in words: the certificate check's reason when it was that.
std::string HandshakeError(SSL* ssl, const beast::error_code& ec) {
  long verify = SSL_get_verify_result(ssl);
  if (verify != X509_V_OK)
    return std::string("certificate refused: ") + X509_verify_cert_error_string(verify);
  return "TLS handshake failed: " + ec.message();
}

}  // namespace

StatusOr<int> HttpPost(const Target& t, const std::string& body,
                       const std::vector<std::pair<std::string, std::string>>& headers,
                       std::chrono::milliseconds timeout, TlsTrust* tls) {
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
    if (!t.tls) {
      beast::tcp_stream stream(io);
      stream.expires_after(timeout);
      stream.connect(results, ec);
      if (ec) return Unavailable("cannot connect: " + ec.message());
      auto status = Exchange(stream, t, body, headers);
      stream.socket().shutdown(tcp::socket::shutdown_both, ec);
      return status;
    }
    if (!tls) return FailedPrecondition("no TLS trust store for https", "url");
    beast::ssl_stream<beast::tcp_stream> stream(io, tls->context);
    beast::get_lowest_layer(stream).expires_after(timeout);
    // SNI, and the certificate must name the host (DNS name or IP address).
    if (!SSL_set_tlsext_host_name(stream.native_handle(), t.host.c_str()))
      return Unavailable("cannot set the TLS server name");
    stream.set_verify_callback(ssl::host_name_verification(t.host));
    beast::get_lowest_layer(stream).connect(results, ec);
    if (ec) return Unavailable("cannot connect: " + ec.message());
    stream.handshake(ssl::stream_base::client, ec);
    if (ec) return Unavailable(HandshakeError(stream.native_handle(), ec));
    auto status = Exchange(stream, t, body, headers);
    stream.shutdown(ec);  // the subscriber may just close: its answer is already read
    return status;
  } catch (const std::exception& e) {
    return Unavailable(std::string("delivery failed: ") + e.what());
  }
}

}  // namespace ncc::webhooks
