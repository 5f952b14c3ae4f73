#include "server/http_server.h"

#include <spdlog/spdlog.h>

#include <sys/resource.h>

#include <array>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "net/tls_context.h"
#include "server/beast_common.h"
#include "server/static_files.h"

namespace ncc {
namespace {

constexpr size_t kReservedFds = 128;

// Open connections in all and per peer address. A slot frees itself when its last copy goes
// (the HTTP session, then the stream session it may become). Any thread.
class ConnectionGate : public std::enable_shared_from_this<ConnectionGate> {
 public:
  ConnectionGate(size_t total, size_t per_address) : total_(total), per_address_(per_address) {}

  // nullptr when a limit is reached.
  std::shared_ptr<void> Admit(const std::string& address) {
    std::lock_guard lock(mu_);
    size_t& mine = by_address_[address];
    if (open_ >= total_ || mine >= per_address_) {
      if (mine == 0) by_address_.erase(address);
      ++refused_;
      return nullptr;
    }
    ++open_;
    ++mine;
    auto self = shared_from_this();
    return std::shared_ptr<void>(self.get(), [self, address](void*) { self->Release(address); });
  }
  void set_total(size_t total) { total_ = total; }
  size_t total() const { return total_; }
  size_t open() const {
    std::lock_guard lock(mu_);
    return open_;
  }
  uint64_t refused() const { return refused_.load(); }

 private:
  void Release(const std::string& address) {
    std::lock_guard lock(mu_);
    --open_;
    if (auto it = by_address_.find(address); it != by_address_.end() && --it->second == 0)
      by_address_.erase(it);
  }
  size_t total_, per_address_;
  mutable std::mutex mu_;
  size_t open_ = 0;
  std::unordered_map<std::string, size_t> by_address_;
  std::atomic<uint64_t> refused_{0};
};

// Requests between their last byte read and their reply's last byte written, and whether the
// server is stopping. A stop waits for in_flight to reach 0 (every request answered: its
// outcome, or 503 for those that arrive while draining) before it stops the I/O threads.
// A request counts itself before it reads `draining`, and Stop sets `draining` before it reads
// the count: either the request sees the drain (and answers 503), or Stop sees the request.
struct RequestDrain {
  std::atomic<int64_t> in_flight{0};
  std::atomic<bool> draining{false};
  std::atomic<uint64_t> refused{0};  // answered 503 because the server was stopping
};

std::string Lower(std::string_view in) {
  std::string out(in);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool Listed(const std::vector<std::string>& names, const std::string& name) {
  for (const auto& n : names)
    if (n == "*" || Lower(n) == name) return true;
  return false;
}

// DNS rebinding: a page of another site that resolves its own name to this server sends that
// name as Host. IP literals and localhost cannot be rebound; other names must be configured.
bool HostAllowed(std::string_view host, const ServerOptions& o) {
  if (host.empty() || host.front() == '[') return true;  // HTTP/1.0 without Host; IPv6 literal
  std::string name = Lower(host.substr(0, host.rfind(':')));
  beast::error_code ec;
  net::ip::make_address_v4(name, ec);
  return !ec || name == "localhost" || Listed(o.allowed_hosts, name);
}

// A browser's WebSocket names the page's origin: the console's own (same host as asked) or a
// configured one. Clients that are not browsers send none.
bool OriginAllowed(std::string_view origin, std::string_view host, const ServerOptions& o) {
  if (origin.empty()) return true;
  std::string lower = Lower(origin);
  if (Listed(o.allowed_origins, lower)) return true;
  size_t scheme_end = lower.find("://");
  return scheme_end != std::string::npos && !host.empty() &&
         lower.substr(scheme_end + 3) == Lower(host);
}

// Request smuggling: a Transfer-Encoding other than exactly "chunked", or one beside a
// Content-Length, is refused rather than guessed at (RFC 9112 6.1, 6.3).
std::optional<std::string> FramingError(const http::request<http::string_body>& req) {
  auto te = req.find(http::field::transfer_encoding);
  if (te == req.end()) return std::nullopt;
  std::string v = Lower(std::string_view(te->value().data(), te->value().size()));
  v.erase(0, v.find_first_not_of(" \t"));
  v.erase(v.find_last_not_of(" \t") + 1);
  if (v != "chunked") return "Transfer-Encoding must be chunked, not \"" + v.substr(0, 40) + "\"";
  if (req.find(http::field::content_length) != req.end())
    return "Transfer-Encoding and Content-Length together";
  if (req.count(http::field::transfer_encoding) > 1) return "more than one Transfer-Encoding";
  return std::nullopt;
}

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
  for (const char* name : {"x-ncc-actor", "x-ncc-agency", "authorization", "x-api-key",
                           "idempotency-key", "accept-encoding", "if-none-match"}) {
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
              RequestDrain& drain, std::shared_ptr<void> slot, StreamArgs&&... stream_args)
      : stream_(std::forward<StreamArgs>(stream_args)...),
        slot_(std::move(slot)),
        api_(api),
        engine_(engine),
        options_(options),
        streams_(streams),
        drain_(drain) {
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
    if (auto bad = FramingError(req))
      return Reject(400, InvalidArgument(*bad, "Transfer-Encoding"));
    std::string_view host(req[http::field::host].data(), req[http::field::host].size());
    if (!HostAllowed(host, options_))
      return Reject(
          421, InvalidArgument("this server does not answer for host " +
                                   std::string(host.substr(0, 100)) + " (ncc serve --allowed-host)",
                               "Host"));
    if (websocket::is_upgrade(req)) {
      std::string_view target(req.target().data(), req.target().size());
      std::string_view path = target.substr(0, target.find('?'));
      if (path != "/api/v1/stream" && path != "/stream")
        return Reject(404, NotFound("no stream at " + std::string(path)));
      std::string_view origin(req[http::field::origin].data(), req[http::field::origin].size());
      if (!OriginAllowed(origin, host, options_))
        return Reject(
            403, Status(StatusCode::kPermissionDenied,
                        "streams are not served to pages of origin " +
                            std::string(origin.substr(0, 100)) + " (ncc serve --allowed-origin)",
                        "Origin"));
      HttpResponse denied;
      HttpRequest as_api = ToRequest(req, remote_, peer_name_);
      auto who = api_.Authenticate(as_api, &denied, /*url_token_allowed=*/true);
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
      StreamGrant grant{std::move(*who),
                        [&api = api_, as_api] { return api.Identify(as_api, true).status(); },
                        std::move(slot_)};
      StartStreamSession(std::move(stream_), parser_->release(), engine_, options_, streams_,
                         std::move(grant));
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
    counted_ = true;
    drain_.in_flight.fetch_add(1);
    if (drain_.draining.load()) {
      ++drain_.refused;
      keep_alive_ = false;
      HttpResponse stopping = ErrorResponse(
          Unavailable("the server is stopping: nothing was done; retry (with the same "
                      "Idempotency-Key) in a moment"));
      stopping.headers.push_back({"Retry-After", "1"});
      return Write(std::move(stopping));
    }
    // The reply may wait on an fsync; the read timer starts again after it.
    Lowest().expires_never();
    auto self = shared_from_this();
    // The reply comes from another thread (the engine's writer) with no I/O pending on this
    // connection meanwhile: the work guard keeps the I/O threads running for it. Without it, a
    // stop that closes the acceptor while every connection awaits its fsync lets run() return,
    // and the replies of commands already committed are never written.
    auto work = net::make_work_guard(stream_.get_executor());
    api_.Handle(ToRequest(req, remote_, peer_name_), [self, work](HttpResponse resp) {
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
    res->set("X-Frame-Options", "DENY");
    res->set("Referrer-Policy", "no-referrer");
    res->set("Content-Security-Policy", kApiCsp);  // pages set their own below
    if constexpr (kTls) res->set(http::field::strict_transport_security, "max-age=31536000");
    for (auto& [k, v] : resp.headers) res->set(k, v);
    if (drain_.draining.load()) keep_alive_ = false;  // the client goes elsewhere for the next one
    res->keep_alive(keep_alive_);
    res->body() = std::move(resp.body);
    res->prepare_payload();
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res](beast::error_code ec, size_t) {
                        self->Answered();
                        if (ec) return self->Fail(ec);
                        if (!self->keep_alive_)
                          return self->refused_ ? self->LingeringClose() : self->Close();
                        self->ReadHeader();
                      });
  }

  // The reply of a counted request is written (or its client is gone): the drain may end.
  void Answered() {
    if (counted_) drain_.in_flight.fetch_sub(1);
    counted_ = false;
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
  std::shared_ptr<void> slot_;  // this connection's place in the ConnectionGate
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  Api& api_;
  Engine& engine_;
  const ServerOptions& options_;
  StreamCounters& streams_;
  RequestDrain& drain_;
  bool counted_ = false;  // this request is in drain_.in_flight until its reply is written
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
  // On a strand: Stop closes it from another thread while an accept may be completing.
  tcp::acceptor acceptor{net::make_strand(ioc)};
  RequestDrain drain;
  std::optional<net::ssl::context> tls;
  std::vector<std::thread> threads;
  StreamCounters streams;
  std::shared_ptr<ConnectionGate> gate;
  net::steady_timer retry{acceptor.get_executor()};
  uint64_t accept_errors = 0;

  Impl(ServerOptions o, Api& a, Engine& e)
      : options(std::move(o)),
        api(a),
        engine(e),
        ioc(options.threads),
        gate(std::make_shared<ConnectionGate>(options.max_connections,
                                              options.max_connections_per_address)) {}

  void Accept() {
    acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
      if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
      if (ec) return BackOff(ec);
      beast::error_code ignored;
      auto peer = socket.remote_endpoint(ignored);
      auto slot = gate->Admit(ignored ? std::string("?") : peer.address().to_string());
      if (!slot) {
        socket.close(ignored);  // over a limit: the fd goes back at once
        return Accept();
      }
      // Without this, small replies wait on Nagle + delayed ACK (~40 ms each on keep-alive).
      socket.set_option(tcp::no_delay(true), ignored);
      if (tls)
        std::make_shared<HttpSession<TlsStream>>(api, engine, options, streams, drain,
                                                 std::move(slot), std::move(socket), *tls)
            ->Start();
      else
        std::make_shared<HttpSession<beast::tcp_stream>>(api, engine, options, streams, drain,
                                                         std::move(slot), std::move(socket))
            ->Start();
      Accept();
    });
  }

  // Out of descriptors (or memory): accepting again at once would spin a core on the same
  // error; wait until idle connections time out or close.
  void BackOff(beast::error_code ec) {
    if (accept_errors++ % 100 == 0)
      spdlog::warn("accept failed: {} (backing off; {} connections open)", ec.message(),
                   gate->open());
    retry.expires_after(std::chrono::milliseconds(100));
    retry.async_wait([this](beast::error_code e) {
      if (!e) Accept();
    });
  }
};

HttpServer::HttpServer(ServerOptions options, Api& api, Engine& engine)
    : impl_(std::make_unique<Impl>(std::move(options), api, engine)) {
  api.AddMetrics([this](std::string& out) {
    RenderCounter(out, "ncc_streams_connected", "Open WebSocket streams",
                  impl_->streams.connected.load(), "gauge");
    RenderCounter(out, "ncc_streams_opened_total", "WebSocket streams opened",
                  impl_->streams.opened.load());
    RenderCounter(out, "ncc_streams_cut_for_lag_total", "Streams closed because they fell behind",
                  impl_->streams.cut_for_lag.load());
    RenderCounter(out, "ncc_streams_cut_for_stall_total",
                  "Streams closed because their client stopped taking messages",
                  impl_->streams.cut_for_stall.load());
    RenderCounter(out, "ncc_http_refused_while_stopping_total",
                  "Requests answered 503 because the server was draining for a stop",
                  impl_->drain.refused.load());
    RenderCounter(out, "ncc_http_connections", "Open HTTP/WebSocket connections",
                  impl_->gate->open(), "gauge");
    RenderCounter(out, "ncc_http_connections_refused_total",
                  "Connections closed at once because a connection limit was reached",
                  impl_->gate->refused());
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
  // Leave descriptors for the log, snapshots, lanes and listeners whatever clients do.
  if (rlimit nofile{}; getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur != RLIM_INFINITY) {
    size_t usable =
        nofile.rlim_cur > 2 * kReservedFds ? nofile.rlim_cur - kReservedFds : nofile.rlim_cur / 2;
    impl_->gate->set_total(std::min(impl_->gate->total(), usable));
  }
  spdlog::info("serving at most {} connections ({} per address)", impl_->gate->total(),
               impl_->options.max_connections_per_address);
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
  Impl& i = *impl_;
  if (!i.ioc.stopped() && !i.threads.empty() && !i.drain.draining.exchange(true)) {
    // Drain: no new connections; every request already read gets its reply (its outcome, or
    // 503 for those read from now on); then the I/O threads stop. A client that keeps a reply
    // waiting (not reading) is given up after the drain timeout.
    net::post(i.acceptor.get_executor(), [&i] {
      beast::error_code ignored;
      i.acceptor.close(ignored);
      i.retry.cancel();
    });
    auto deadline = std::chrono::steady_clock::now() + i.options.drain_timeout;
    while (i.drain.in_flight.load() > 0 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    if (int64_t left = i.drain.in_flight.load(); left > 0)
      spdlog::warn("stopping with {} requests unanswered after {} ms", left,
                   i.options.drain_timeout.count());
  }
  i.ioc.stop();
}

void HttpServer::Wait() {
  for (auto& t : impl_->threads)
    if (t.joinable()) t.join();
}

}  // namespace ncc
