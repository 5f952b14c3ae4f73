#include "server/http_server.h"

#include <spdlog/spdlog.h>

#include <array>
#include <thread>
#include <vector>

#include "server/beast_common.h"
#include "server/tls_context.h"

namespace ncc {
namespace {

HttpRequest ToRequest(const http::request<http::string_body>& req, const std::string& remote,
                      const std::string& client_cert_name) {
  HttpRequest r;
  r.method = std::string(req.method_string());
  std::string_view target(req.target().data(), req.target().size());
  size_t q = target.find('?');
  r.path = std::string(target.substr(0, q));
  if (q != std::string_view::npos) r.query = ParseQuery(target.substr(q + 1));
  r.content_type = std::string(req[http::field::content_type]);
  r.body = req.body();
  r.remote = remote;
  r.client_cert_name = client_cert_name;
  for (const char* name : {"x-ncc-actor", "x-ncc-agency", "authorization"}) {
    auto it = req.find(name);
    if (it != req.end()) r.headers[name] = std::string(it->value());
  }
  return r;
}

// One connection, plain (beast::tcp_stream) or TLS (TlsStream): HTTP/1.1 keep-alive requests,
// or an upgrade to the event stream.
template <class Stream>
class HttpSession : public std::enable_shared_from_this<HttpSession<Stream>> {
  using std::enable_shared_from_this<HttpSession<Stream>>::shared_from_this;
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

 public:
  template <class... StreamArgs>
  HttpSession(Api& api, Engine& engine, const ServerOptions& options, StreamCounters& streams,
              StreamArgs&&... stream_args)
      : stream_(std::forward<StreamArgs>(stream_args)...),
        api_(api),
        engine_(engine),
        options_(options),
        streams_(streams) {
    beast::error_code ec;
    auto ep = Lowest().socket().remote_endpoint(ec);
    remote_ = ec ? "?" : ep.address().to_string();
  }

  void Start() {
    if constexpr (kTls) {
      Lowest().expires_after(options_.read_timeout);
      stream_.async_handshake(net::ssl::stream_base::server,
                              [self = shared_from_this()](beast::error_code ec) {
                                if (ec) return self->Close();  // wrong or missing client cert
                                self->peer_name_ = VerifiedPeerName(self->stream_.native_handle());
                                self->ReadHeader();
                              });
    } else {
      ReadHeader();
    }
  }

 private:
  beast::tcp_stream& Lowest() { return beast::get_lowest_layer(stream_); }

  void ReadHeader() {
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(options_.header_limit));
    parser_->body_limit(options_.body_limit);
    Lowest().expires_after(options_.read_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&HttpSession::OnHeader, shared_from_this()));
  }

  void OnHeader(beast::error_code ec, size_t) {
    if (ec) return Fail(ec);
    auto& req = parser_->get();
    if (websocket::is_upgrade(req)) {
      std::string_view target(req.target().data(), req.target().size());
      std::string_view path = target.substr(0, target.find('?'));
      if (path != "/api/v1/stream" && path != "/stream")
        return Reject(404, NotFound("no stream at " + std::string(path)));
      HttpResponse denied;
      auto who = api_.Authenticate(ToRequest(req, remote_, peer_name_), &denied);
      if (who.ok()) {
        if (Status s = auth::Authorize(*who, auth::Action::kStreamSubscribe, nullptr); !s.ok()) {
          denied = ErrorResponse(403, s);
          who = s;
        }
      }
      if (!who.ok()) {
        keep_alive_ = false;
        return Write(std::move(denied));
      }
      Lowest().expires_never();
      StartStreamSession(std::move(stream_), parser_->release(), engine_, options_, streams_,
                         std::move(*who));
      return;
    }
    if (req.target().starts_with("/api/v1/positions"))
      parser_->body_limit(options_.positions_body_limit);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&HttpSession::OnRequest, shared_from_this()));
  }

  void OnRequest(beast::error_code ec, size_t) {
    if (ec) return Fail(ec);
    auto req = parser_->release();
    keep_alive_ = req.keep_alive();
    version_ = req.version();
    // The reply may wait on an fsync; the read timer starts again after it.
    Lowest().expires_never();
    auto self = shared_from_this();
    api_.Handle(ToRequest(req, remote_, peer_name_), [self](HttpResponse resp) {
      net::post(self->stream_.get_executor(),
                [self, resp = std::move(resp)]() mutable { self->Write(std::move(resp)); });
    });
  }

  void Write(HttpResponse resp) {
    auto res = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(resp.status), version_);
    res->set(http::field::server, "ncc");
    res->set(http::field::content_type, resp.content_type);
    res->set(http::field::cache_control, "no-store");
    res->set("X-Content-Type-Options", "nosniff");
    if constexpr (kTls) res->set(http::field::strict_transport_security, "max-age=31536000");
    for (auto& [k, v] : resp.headers) res->set(k, v);
    res->keep_alive(keep_alive_);
    res->body() = std::move(resp.body);
    res->prepare_payload();
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res](beast::error_code ec, size_t) {
                        if (ec) return self->Fail(ec);
                        if (!self->keep_alive_)
                          return self->refused_ ? self->LingeringClose() : self->Close();
                        self->ReadHeader();
                      });
  }

  // Refuses a request the parser could not take, then closes: the stream may be mid-body.
  void Reject(int status, const Status& why) {
    keep_alive_ = false;
    refused_ = true;
    Write(ErrorResponse(status, why));
  }

  void Fail(beast::error_code ec) {
    if (ec == http::error::body_limit)
      return Reject(413,
                    ResourceExhausted("request body larger than the limit for this route", "body"));
    if (ec == http::error::header_limit)
      return Reject(431, ResourceExhausted("request headers too large", "headers"));
    if (ec == beast::error::timeout || ec == http::error::end_of_stream || ec == net::error::eof ||
        ec == net::error::connection_reset || ec == net::error::operation_aborted)
      return Close();
    if (ec.category() == http::make_error_code(http::error::bad_target).category())
      return Reject(400, InvalidArgument(std::string("malformed HTTP request: ") + ec.message()));
    Close();
  }

  // Without a TLS close_notify: the peer has what it needs, and a client that stopped reading
  // must not keep the connection open.
  void Close() {
    beast::error_code ignored;
    Lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
    Lowest().close();
  }

  // After refusing a request mid-body: stop sending, then read and drop what the client is
  // still sending (up to a second, up to 64 MiB) before closing, so that our reply is not
  // destroyed by a reset while the client is still writing (lingering close).
  void LingeringClose() {
    beast::error_code ignored;
    if constexpr (kTls) return Close();  // a TLS stream cannot be half-closed and drained
    Lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
    Lowest().expires_after(std::chrono::seconds(1));
    Drain(0);
  }

  void Drain(size_t drained) {
    auto buf = std::make_shared<std::array<char, 65536>>();
    stream_.async_read_some(net::buffer(*buf), [self = shared_from_this(), buf, drained](
                                                   beast::error_code ec, size_t n) {
      if (ec || drained + n > (64u << 20)) return self->Lowest().close();
      self->Drain(drained + n);
    });
  }

  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  Api& api_;
  Engine& engine_;
  const ServerOptions& options_;
  StreamCounters& streams_;
  std::string remote_;
  std::string peer_name_;  // CN of a verified client certificate (TLS with --tls-client-ca)
  bool keep_alive_ = true;
  bool refused_ = false;  // the request was cut short: close with lingering
  unsigned version_ = 11;
};

}  // namespace

struct HttpServer::Impl {
  ServerOptions options;
  Api& api;
  Engine& engine;
  net::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::optional<net::ssl::context> tls;
  std::vector<std::thread> threads;
  StreamCounters streams;

  Impl(ServerOptions o, Api& a, Engine& e)
      : options(std::move(o)), api(a), engine(e), ioc(options.threads) {}

  void Accept() {
    acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
      if (ec == net::error::operation_aborted) return;
      if (!ec) {
        // Without this, small replies wait on Nagle + delayed ACK (~40 ms each on keep-alive).
        socket.set_option(tcp::no_delay(true), ec);
        if (tls)
          std::make_shared<HttpSession<TlsStream>>(api, engine, options, streams, std::move(socket),
                                                   *tls)
              ->Start();
        else
          std::make_shared<HttpSession<beast::tcp_stream>>(api, engine, options, streams,
                                                           std::move(socket))
              ->Start();
      }
      Accept();
    });
  }
};

HttpServer::HttpServer(ServerOptions options, Api& api, Engine& engine)
    : impl_(std::make_unique<Impl>(std::move(options), api, engine)) {
  api.SetMetricsHook([this](std::string& out) {
    RenderCounter(out, "ncc_streams_connected", "Open WebSocket streams",
                  impl_->streams.connected.load(), "gauge");
    RenderCounter(out, "ncc_streams_opened_total", "WebSocket streams opened",
                  impl_->streams.opened.load());
    RenderCounter(out, "ncc_streams_cut_for_lag_total", "Streams closed because they fell behind",
                  impl_->streams.cut_for_lag.load());
  });
}

HttpServer::~HttpServer() {
  Stop();
  Wait();
}

bool HttpServer::tls() const {
  return impl_->tls.has_value();
}

Status HttpServer::Start() {
  beast::error_code ec;
  if (impl_->options.tls) {
    auto ctx = MakeTlsContext(*impl_->options.tls);
    if (!ctx.ok()) return ctx.status();
    impl_->tls.emplace(std::move(*ctx));
  }
  auto address = net::ip::make_address(impl_->options.host, ec);
  if (ec) return InvalidArgument("not an IP address: " + impl_->options.host, "listen");
  tcp::endpoint endpoint(address, impl_->options.port);
  impl_->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl_->acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) impl_->acceptor.bind(endpoint, ec);
  if (!ec) impl_->acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec)
    return Unavailable("cannot listen on " + impl_->options.host + ":" +
                       std::to_string(impl_->options.port) + ": " + ec.message());
  impl_->Accept();
  for (int i = 0; i < std::max(1, impl_->options.threads); ++i)
    impl_->threads.emplace_back([this] { impl_->ioc.run(); });
  return Status::Ok();
}

uint16_t HttpServer::port() const {
  beast::error_code ec;
  return impl_->acceptor.local_endpoint(ec).port();
}

void HttpServer::Stop() {
  impl_->ioc.stop();
}

void HttpServer::Wait() {
  for (auto& t : impl_->threads)
    if (t.joinable()) t.join();
}

}  // namespace ncc
