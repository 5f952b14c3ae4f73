// The only file of the CAP gateway that knows Boost.Beast and OpenSSL.
#include "exchange/cap_gateway/http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <charconv>

namespace ncc::cap_gateway {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

StatusOr<Url> ParseUrl(const std::string& text, const std::string& field) {
  Url u;
  u.text = text;
  std::string_view rest(text);
  if (rest.rfind("https://", 0) == 0) {
    u.tls = true, rest.remove_prefix(8);
  } else if (rest.rfind("http://", 0) == 0) {
    rest.remove_prefix(7);
  } else {
    return InvalidArgument("must start with http:// or https://", field);
  }
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  u.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (authority.find('@') != std::string_view::npos)
    return InvalidArgument("credentials do not belong in the URL", field);
  std::string_view port;
  if (!authority.empty() && authority[0] == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return InvalidArgument("unclosed [IPv6] host", field);
    u.host = std::string(authority.substr(1, close - 1));
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return InvalidArgument("junk after [IPv6] host", field);
      port = authority.substr(close + 2);
    }
  } else {
    size_t colon = authority.find(':');
    u.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (u.host.empty()) return InvalidArgument("a host is required", field);
  u.port = u.tls ? 443 : 80;
  if (!port.empty()) {
    auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), u.port);
    if (ec != std::errc() || p != port.data() + port.size() || u.port < 1 || u.port > 65535)
      return InvalidArgument("port must be 1..65535", field);
  }
  return u;
}

namespace {

template <typename Stream>
StatusOr<HttpAnswer> Talk(Stream& stream, const Url& url, const HttpCall& call) {
  http::request<http::string_body> req{call.method == "POST" ? http::verb::post : http::verb::get,
                                       url.target, 11};
  bool default_port = url.port == (url.tls ? 443 : 80);
  std::string host = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
  req.set(http::field::host, default_port ? host : host + ":" + std::to_string(url.port));
  req.set(http::field::user_agent, "ncc-cap-gateway/1");
  for (const auto& [k, v] : call.headers) req.set(k, v);
  if (!call.body.empty() || call.method == "POST") {
    req.body() = call.body;
    req.prepare_payload();
  }
  beast::error_code ec;
  http::write(stream, req, ec);
  if (ec) return Unavailable(url.text + ": cannot send: " + ec.message());
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(call.max_body);
  http::read(stream, buffer, parser, ec);
  if (ec == http::error::body_limit)
    return Status(StatusCode::kResourceExhausted,
                  url.text + ": answer larger than " + std::to_string(call.max_body) + " bytes");
  if (ec) return Unavailable(url.text + ": no answer: " + ec.message());
  HttpAnswer out;
  out.status = static_cast<int>(parser.get().result_int());
  for (const auto& f : parser.get()) {
    std::string name(f.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.headers[name] = std::string(f.value());
  }
  out.body = std::move(parser.get().body());
  return out;
}

}  // namespace

StatusOr<HttpAnswer> Exchange(const Url& url, const HttpCall& call) {
  try {
    net::io_context io;
    tcp::resolver resolver(io);
    beast::error_code ec;
    auto results = resolver.resolve(url.host, std::to_string(url.port), ec);
    if (ec) return Unavailable(url.text + ": cannot resolve " + url.host + ": " + ec.message());
    if (!url.tls) {
      beast::tcp_stream stream(io);
      stream.expires_after(call.timeout);
      stream.connect(results, ec);
      if (ec) return Unavailable(url.text + ": cannot connect: " + ec.message());
      auto answer = Talk(stream, url, call);
      stream.socket().shutdown(tcp::socket::shutdown_both, ec);
      return answer;
    }
    ssl::context ctx(ssl::context::tls_client);
    ctx.set_verify_mode(ssl::verify_peer);
    if (call.ca_file.empty())
      ctx.set_default_verify_paths();
    else
      ctx.load_verify_file(call.ca_file);
    beast::ssl_stream<beast::tcp_stream> stream(io, ctx);
    // SNI, and the certificate must name the host we asked for.
    if (!SSL_set_tlsext_host_name(stream.native_handle(), url.host.c_str()))
      return Unavailable(url.text + ": cannot set the TLS server name");
    stream.set_verify_callback(ssl::host_name_verification(url.host));
    beast::get_lowest_layer(stream).expires_after(call.timeout);
    beast::get_lowest_layer(stream).connect(results, ec);
    if (ec) return Unavailable(url.text + ": cannot connect: " + ec.message());
    stream.handshake(ssl::stream_base::client, ec);
    if (ec) return Unavailable(url.text + ": TLS handshake failed: " + ec.message());
    auto answer = Talk(stream, url, call);
    stream.shutdown(ec);  // a peer that just closes is fine: the answer is complete
    return answer;
  } catch (const std::exception& e) {
    return Unavailable(url.text + ": " + e.what());
  }
}

}  // namespace ncc::cap_gateway
