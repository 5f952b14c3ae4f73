#include "monitor/tracker_listener.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>

#include "engine/metrics.h"
#include "monitor/avl_wire.h"

namespace ncc::monitor {
namespace {

int64_t NowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

StatusOr<int> Bind(const std::string& host, uint16_t port, int type, uint16_t& bound) {
  int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
  if (fd < 0) return Unavailable("socket failed");
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  if (::inet_pton(AF_INET, host == "localhost" ? "127.0.0.1" : host.c_str(), &a.sin_addr) != 1) {
    ::close(fd);
    return InvalidArgument("tracker listener needs an IPv4 address, got " + host, "avl");
  }
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      (type == SOCK_STREAM && ::listen(fd, 128) != 0)) {
    ::close(fd);
    return Unavailable("cannot bind " + host + ":" + std::to_string(port));
  }
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  bound = ntohs(a.sin_port);
  return fd;
}

bool ReadFull(int fd, uint8_t* p, size_t n) {
  while (n) {
    ssize_t r = ::recv(fd, p, n, 0);
    if (r <= 0) {
      if (r < 0 && errno == EINTR) continue;
      return false;
    }
    p += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

bool SendAll(int fd, std::string_view bytes, int flags) {
  while (!bytes.empty()) {
    ssize_t r = ::send(fd, bytes.data(), bytes.size(), flags | MSG_NOSIGNAL);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(r));
  }
  return true;
}

wire::Ack AckOf(uint32_t batch_id, size_t count, const BatchResult& r) {
  wire::Ack ack;
  ack.batch_id = batch_id;
  if (!r.status.ok()) {  // nothing of the batch was stored: all refused, sender retries
    for (size_t i = 0; i < count; ++i)
      ack.rejected.push_back({static_cast<uint16_t>(i), static_cast<uint8_t>(Reason::kOverload)});
    return ack;
  }
  ack.accepted = static_cast<uint16_t>(r.accepted);
  for (const FixRejection& x : r.rejected)
    ack.rejected.push_back({static_cast<uint16_t>(x.index), static_cast<uint8_t>(x.reason)});
  std::sort(ack.rejected.begin(), ack.rejected.end());
  return ack;
}

bool HasPositionsLane(const auth::Principal& p) {
  return std::find(p.lanes.begin(), p.lanes.end(), auth::Lane::kPositions) != p.lanes.end();
}

}  // namespace

struct TrackerListener::Connection {
  explicit Connection(int f) : fd(f) {}
  ~Connection() { ::close(fd); }
  // Acks go out from the lane thread: never block it; a client that does not read is cut.
  void SendAck(std::string_view bytes, std::atomic<uint64_t>& cut) {
    std::lock_guard lock(mu);
    if (dead) return;
    if (!SendAll(fd, bytes, MSG_DONTWAIT)) {
      dead = true;
      ++cut;
      ::shutdown(fd, SHUT_RDWR);
    }
  }
  const int fd;
  std::mutex mu;
  bool dead = false;
  std::condition_variable cv;
  size_t in_flight = 0;
};

StatusOr<std::unique_ptr<TrackerListener>> TrackerListener::Start(AvlLane& lane,
                                                                  KeyAuthenticator authenticate,
                                                                  TrackerOptions options) {
  std::unique_ptr<TrackerListener> t(
      new TrackerListener(lane, std::move(authenticate), std::move(options)));
  if (!t->options_.tcp_host.empty()) {
    auto fd = Bind(t->options_.tcp_host, t->options_.tcp_port, SOCK_STREAM, t->tcp_port_);
    if (!fd.ok()) return fd.status();
    t->tcp_fd_ = *fd;
    t->accept_thread_ = std::thread([p = t.get()] { p->AcceptLoop(); });
    spdlog::info("AVL tracker protocol on tcp://{}:{}", t->options_.tcp_host, t->tcp_port_);
  }
  if (!t->options_.udp_host.empty()) {
    auto fd = Bind(t->options_.udp_host, t->options_.udp_port, SOCK_DGRAM, t->udp_port_);
    if (!fd.ok()) return fd.status();
    t->udp_fd_ = *fd;
    int size = 8 << 20;
    ::setsockopt(t->udp_fd_, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    timeval tv{0, 200'000};  // wake up to notice Stop()
    ::setsockopt(t->udp_fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    t->udp_thread_ = std::thread([p = t.get()] { p->UdpLoop(); });
    spdlog::info("AVL tracker protocol on udp://{}:{}", t->options_.udp_host, t->udp_port_);
  }
  return t;
}

TrackerListener::~TrackerListener() {
  Stop();
  if (tcp_fd_ >= 0) ::close(tcp_fd_);
  if (udp_fd_ >= 0) ::close(udp_fd_);  // only now: lane callbacks may still have used it
}

void TrackerListener::Stop() {
  if (stopping_.exchange(true)) return;
  if (tcp_fd_ >= 0) ::shutdown(tcp_fd_, SHUT_RDWR);
  if (accept_thread_.joinable()) accept_thread_.join();
  if (udp_thread_.joinable()) udp_thread_.join();
  {
    std::lock_guard lock(conns_mu_);
    for (auto& w : conns_)
      if (auto c = w.lock()) ::shutdown(c->fd, SHUT_RDWR);
  }
  for (std::thread& t : conn_threads_)
    if (t.joinable()) t.join();
}

void TrackerListener::AcceptLoop() {
  while (!stopping_) {
    int fd = ::accept4(tcp_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (stopping_) return;
      if (errno == EINTR || errno == ECONNABORTED) continue;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));  // EMFILE and the like
      continue;
    }
    if (open_connections_ >= options_.max_connections) {
      SendAll(fd, wire::EncodeHelloReply(wire::HelloStatus::kForbidden, "too many connections"),
              MSG_DONTWAIT);
      ::close(fd);
      continue;
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    auto c = std::make_shared<Connection>(fd);
    ++open_connections_;
    ++connections_total_;
    std::lock_guard lock(conns_mu_);
    conns_.erase(std::remove_if(conns_.begin(), conns_.end(),
                                [](const std::weak_ptr<Connection>& w) { return w.expired(); }),
                 conns_.end());
    conns_.push_back(c);
    conn_threads_.emplace_back([this, c] {
      Serve(c);
      --open_connections_;
    });
  }
}

void TrackerListener::Serve(std::shared_ptr<Connection> c) {
  timeval hello_timeout{10, 0};
  ::setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &hello_timeout, sizeof hello_timeout);
  std::vector<uint8_t> buf;
  std::string key;
  for (;;) {  // the hello arrives in pieces, perhaps
    auto parsed = wire::ParseHello(buf, key);
    if (!parsed.ok()) {
      ++refused_hellos_;
      SendAll(c->fd,
              wire::EncodeHelloReply(wire::HelloStatus::kBadHello, parsed.status().message()), 0);
      return;
    }
    if (*parsed) break;
    uint8_t b;
    if (!ReadFull(c->fd, &b, 1)) return;
    buf.push_back(b);
  }
  auto who = authenticate_(key);
  if (!who.ok() || !HasPositionsLane(*who)) {
    ++refused_hellos_;
    SendAll(c->fd,
            wire::EncodeHelloReply(
                who.ok() ? wire::HelloStatus::kForbidden : wire::HelloStatus::kUnauthenticated,
                who.ok() ? "the key has no positions lane" : who.status().message()),
            0);
    return;
  }
  if (!SendAll(c->fd, wire::EncodeHelloReply(wire::HelloStatus::kOk, ""), 0)) return;
  timeval idle{600, 0};  // a silent gateway is dropped after ten minutes
  ::setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &idle, sizeof idle);
  uint8_t header[wire::kBatchHeaderBytes];
  std::vector<uint8_t> records;
  while (!stopping_) {
    if (!ReadFull(c->fd, header, 1)) break;
    if (header[0] == wire::kBatchType && !ReadFull(c->fd, header + 1, sizeof header - 1)) break;
    uint32_t batch_id = 0;
    uint16_t count = 0;
    auto h = wire::ParseBatchHeader({header, sizeof header}, batch_id, count);
    if (!h.ok()) {
      ++bad_frames_;
      lane_.counters().Rejected(Source::kTcp, Reason::kMalformed);
      std::string why = h.status().message();
      std::string frame(1, static_cast<char>(wire::kErrorType));
      frame += static_cast<char>(std::min<size_t>(why.size(), 255));
      frame += why.substr(0, 255);
      c->SendAck(frame, cut_slow_);
      break;  // the stream is out of step: nothing after this can be trusted
    }
    records.resize(size_t{count} * wire::kRecordBytes);
    if (!ReadFull(c->fd, records.data(), records.size())) break;
    std::vector<PositionFix> fixes(count);
    for (size_t i = 0; i < count; ++i)
      fixes[i] = wire::GetRecord(records.data() + i * wire::kRecordBytes);
    {
      std::unique_lock lock(c->mu);
      c->cv.wait(lock, [&] { return c->in_flight < options_.max_in_flight || c->dead; });
      if (c->dead) break;
      ++c->in_flight;
    }
    lane_.Submit(Source::kTcp, *who, std::move(fixes), [this, c, batch_id, count](BatchResult r) {
      c->SendAck(wire::EncodeAck(AckOf(batch_id, count, r)), cut_slow_);
      std::lock_guard lock(c->mu);
      --c->in_flight;
      c->cv.notify_all();
    });
  }
  // Let the acks of batches still in the lane go out before the socket closes.
  std::unique_lock lock(c->mu);
  c->cv.wait_for(lock, std::chrono::seconds(10), [&] { return c->in_flight == 0; });
}

StatusOr<auth::Principal> TrackerListener::CachedKey(const std::string& key) {
  int64_t now = NowMs();
  {
    std::lock_guard lock(keys_mu_);
    auto it = keys_.find(key);
    if (it != keys_.end() && it->second.expires_ms > now) return it->second.principal;
  }
  auto who = authenticate_(key);
  std::lock_guard lock(keys_mu_);
  if (keys_.size() > 10'000) keys_.clear();  // bounded: a flood of made-up keys cannot grow it
  keys_.insert_or_assign(key, CachedPrincipal{who, now + options_.key_cache_ms});
  return who;
}

void TrackerListener::UdpLoop() {
  std::vector<uint8_t> buf(wire::kMaxDatagram + 1);
  std::string key;
  std::vector<PositionFix> fixes;
  while (!stopping_) {
    sockaddr_in from{};
    socklen_t len = sizeof from;
    ssize_t n =
        ::recvfrom(udp_fd_, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &len);
    if (n <= 0) continue;  // timeout (to notice Stop) or an empty datagram
    ++datagrams_;
    uint32_t batch_id = 0;
    Status parsed = wire::ParseDatagram({buf.data(), static_cast<size_t>(n)}, key, batch_id, fixes);
    if (!parsed.ok()) {
      ++bad_datagrams_;
      lane_.counters().Rejected(Source::kUdp, Reason::kMalformed);
      continue;
    }
    auto who = CachedKey(key);
    if (!who.ok() || !HasPositionsLane(*who)) {
      ++bad_datagrams_;
      lane_.counters().Rejected(Source::kUdp, Reason::kForbidden, fixes.size());
      continue;  // no answer to an unauthenticated sender: no amplification, no oracle
    }
    size_t count = fixes.size();
    lane_.Submit(Source::kUdp, *who, std::move(fixes),
                 [fd = udp_fd_, from, batch_id, count](BatchResult r) {
                   std::string ack = wire::EncodeAck(AckOf(batch_id, count, r));
                   ::sendto(fd, ack.data(), ack.size(), MSG_DONTWAIT,
                            reinterpret_cast<const sockaddr*>(&from), sizeof from);
                 });
    fixes = {};
  }
}

void TrackerListener::RenderMetrics(std::string& out) const {
  RenderCounter(out, "ncc_tracker_tcp_connections", "Open tracker TCP connections",
                open_connections_.load(), "gauge");
  RenderCounter(out, "ncc_tracker_tcp_connections_total", "Tracker TCP connections accepted",
                connections_total_.load());
  RenderCounter(out, "ncc_tracker_refused_hellos_total", "Bad hellos and refused API keys",
                refused_hellos_.load());
  RenderCounter(out, "ncc_tracker_bad_frames_total", "Malformed TCP frames (connection cut)",
                bad_frames_.load());
  RenderCounter(out, "ncc_tracker_cut_slow_total", "Connections cut for not reading their acks",
                cut_slow_.load());
  RenderCounter(out, "ncc_tracker_datagrams_total", "UDP datagrams received", datagrams_.load());
  RenderCounter(out, "ncc_tracker_bad_datagrams_total",
                "UDP datagrams malformed or unauthenticated", bad_datagrams_.load());
}

}  // namespace ncc::monitor
