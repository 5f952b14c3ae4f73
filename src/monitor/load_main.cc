// ncc-load: drives AVL fixes into a running `ncc serve` over one lane and reports fixes/s
// end to end (acknowledged, i.e. durable), or the same workload into redis-server.
//
//   ncc-load --lane http  --target 127.0.0.1:8080 --token T        POST /api/v1/positions
//   ncc-load --lane tcp   --target 127.0.0.1:7301 --key K          tracker protocol, TCP
//   ncc-load --lane udp   --target 127.0.0.1:7302 --key K          tracker protocol, UDP
//   ncc-load --lane mqtt  --target 127.0.0.1:1883 --http 127.0.0.1:8080 --token T
//   ncc-load --lane redis --target 127.0.0.1:6379                  GEOADD pipelined, GEOSEARCH
//   ncc-load --lane nearby --target 127.0.0.1:8080 --token T       GET /api/v1/units/nearby
// Workload: --units N (ids --first-unit ..), --fixes N, each unit a random walk of ~10 m steps
// one second apart starting at --t0 (ms) around Doha; fixes spread over --connections by unit so
// each unit's fixes stay in order. Prints one JSON line.
#include <arpa/inet.h>
#include <mosquitto.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "monitor/avl_wire.h"

namespace {

using ncc::LatLon;
using ncc::PositionFix;
using ncc::Time;
using ncc::UnitId;
using Steady = std::chrono::steady_clock;
namespace wire = ncc::monitor::wire;

struct Options {
  std::string lane = "http", target = "127.0.0.1:8080", http, token, key, agency = "police";
  size_t units = 50'000, fixes = 1'000'000, batch = 5'000, connections = 4, queries = 20'000;
  size_t k = 10;
  uint64_t first_unit = 1;
  int64_t t0 = 0;
};

struct Rng {
  uint64_t s = 0x9E3779B97F4A7C15ull;
  uint64_t Next() {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
  }
  double Uniform(double lo, double hi) { return lo + (hi - lo) * (Next() >> 11) * 0x1.0p-53; }
};

constexpr LatLon kCentre{25.2854, 51.5310};
constexpr double kDegPerM = 1 / 111'320.0;

std::vector<PositionFix> Workload(const Options& o) {
  Rng rng;
  std::vector<LatLon> at(o.units);
  for (auto& p : at)
    p = {kCentre.lat + rng.Uniform(-0.18, 0.18), kCentre.lon + rng.Uniform(-0.2, 0.2)};
  std::vector<PositionFix> out(o.fixes);
  for (size_t i = 0; i < o.fixes; ++i) {
    size_t u = i % o.units;
    at[u].lat += rng.Uniform(-10, 10) * kDegPerM;
    at[u].lon += rng.Uniform(-10, 10) * kDegPerM;
    out[i] = {UnitId(o.first_unit + u), at[u],
              Time{o.t0 + static_cast<int64_t>(i / o.units) * 1000}, 8.0, 90.0};
  }
  return out;
}

// Fixes of connection c: units with index % connections == c, in order.
std::vector<PositionFix> Share(const std::vector<PositionFix>& all, const Options& o, size_t c) {
  std::vector<PositionFix> out;
  for (const PositionFix& f : all)
    if ((f.unit.value - o.first_unit) % o.connections == c) out.push_back(f);
  return out;
}

std::pair<std::string, uint16_t> HostPort(const std::string& s) {
  size_t colon = s.rfind(':');
  return {s.substr(0, colon), static_cast<uint16_t>(std::atoi(s.c_str() + colon + 1))};
}

int Connect(const std::string& target, int type = SOCK_STREAM) {
  auto [host, port] = HostPort(target);
  int fd = ::socket(AF_INET, type, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  ::inet_pton(AF_INET, host.c_str(), &a.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    std::perror(("connect " + target).c_str());
    std::exit(2);
  }
  int one = 1;
  if (type == SOCK_STREAM) ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

void SendAll(int fd, std::string_view b) {
  while (!b.empty()) {
    ssize_t n = ::send(fd, b.data(), b.size(), MSG_NOSIGNAL);
    if (n <= 0) {
      std::perror("send");
      std::exit(2);
    }
    b.remove_prefix(static_cast<size_t>(n));
  }
}

// One HTTP/1.1 request on a kept-alive connection; returns the body.
std::string Http(int fd, const std::string& method, const std::string& path,
                 const std::string& token, const std::string& body, std::string& buf) {
  std::string req =
      method + " " + path + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token +
      "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\n\r\n" + body;
  SendAll(fd, req);
  for (;;) {
    size_t end = buf.find("\r\n\r\n");
    if (end != std::string::npos) {
      size_t cl = buf.find("Content-Length: ");
      if (cl == std::string::npos || cl > end) cl = buf.find("content-length: ");
      size_t len = cl < end ? std::strtoul(buf.c_str() + cl + 16, nullptr, 10) : 0;
      if (buf.size() >= end + 4 + len) {
        std::string out = buf.substr(end + 4, len);
        buf.erase(0, end + 4 + len);
        return out;
      }
    }
    char tmp[65536];
    ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
    if (n <= 0) {
      std::fprintf(stderr, "http: connection closed\n");
      std::exit(2);
    }
    buf.append(tmp, static_cast<size_t>(n));
  }
}

size_t AcceptedOf(const std::string& body) {
  size_t at = body.find("\"accepted\":");
  return at == std::string::npos ? 0 : std::strtoul(body.c_str() + at + 11, nullptr, 10);
}

std::string JsonBatch(std::span<const PositionFix> fixes) {
  std::string s = "[";
  char buf[160];
  for (size_t i = 0; i < fixes.size(); ++i) {
    const PositionFix& f = fixes[i];
    std::snprintf(buf, sizeof buf,
                  "%s{\"unit\":%llu,\"lat\":%.7f,\"lon\":%.7f,\"time\":%lld,\"speed\":8}",
                  i ? "," : "", static_cast<unsigned long long>(f.unit.value), f.position.lat,
                  f.position.lon, static_cast<long long>(f.time.ms));
    s += buf;
  }
  return s + "]";
}

template <typename Fn>
size_t Parallel(const Options& o, const std::vector<PositionFix>& all, Fn fn) {
  std::vector<std::vector<PositionFix>> shares;
  for (size_t c = 0; c < o.connections; ++c) shares.push_back(Share(all, o, c));
  std::atomic<size_t> accepted{0};
  std::vector<std::thread> threads;
  for (size_t c = 0; c < o.connections; ++c)
    threads.emplace_back([&, c] { accepted += fn(shares[c]); });
  for (auto& t : threads) t.join();
  return accepted;
}

size_t RunHttp(const Options& o, const std::vector<PositionFix>& all, double& seconds) {
  // Bodies rendered before the clock starts: the server's work is measured, not the client's.
  std::vector<std::vector<std::string>> bodies(o.connections);
  for (size_t c = 0; c < o.connections; ++c) {
    auto mine = Share(all, o, c);
    for (size_t i = 0; i < mine.size(); i += o.batch)
      bodies[c].push_back(JsonBatch({mine.data() + i, std::min(o.batch, mine.size() - i)}));
  }
  auto start = Steady::now();
  std::atomic<size_t> accepted{0};
  std::vector<std::thread> threads;
  for (size_t c = 0; c < o.connections; ++c)
    threads.emplace_back([&, c] {
      int fd = Connect(o.target);
      std::string buf;
      for (const std::string& b : bodies[c])
        accepted += AcceptedOf(Http(fd, "POST", "/api/v1/positions", o.token, b, buf));
      ::close(fd);
    });
  for (auto& t : threads) t.join();
  seconds = std::chrono::duration<double>(Steady::now() - start).count();
  return accepted;
}

size_t RunTcp(const Options& o, const std::vector<PositionFix>& all, double& seconds) {
  auto start = Steady::now();
  size_t accepted = Parallel(o, all, [&](const std::vector<PositionFix>& mine) -> size_t {
    int fd = Connect(o.target);
    SendAll(fd, wire::EncodeHello(o.key));
    uint8_t reply[2];
    if (::recv(fd, reply, 2, MSG_WAITALL) != 2 || reply[0] != 0) {
      std::fprintf(stderr, "tcp: hello refused (%d)\n", reply[0]);
      std::exit(2);
    }
    size_t batches = (mine.size() + o.batch - 1) / o.batch;
    std::atomic<size_t> got{0};
    std::thread reader([&] {
      std::vector<uint8_t> buf;
      wire::Ack ack;
      size_t acks = 0;
      while (acks < batches) {
        uint8_t tmp[65536];
        ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
        if (n <= 0) break;
        buf.insert(buf.end(), tmp, tmp + n);
        for (;;) {
          auto used = wire::ParseAck(buf, ack);
          if (!used.ok() || *used == 0) break;
          got += ack.accepted;
          ++acks;
          buf.erase(buf.begin(), buf.begin() + static_cast<long>(*used));
        }
      }
    });
    for (size_t i = 0, id = 1; i < mine.size(); i += o.batch, ++id)
      SendAll(fd, wire::EncodeBatch(static_cast<uint32_t>(id),
                                    {mine.data() + i, std::min(o.batch, mine.size() - i)}));
    reader.join();
    ::close(fd);
    return got;
  });
  seconds = std::chrono::duration<double>(Steady::now() - start).count();
  return accepted;
}

size_t RunUdp(const Options& o, const std::vector<PositionFix>& all, double& seconds) {
  constexpr size_t kPerDatagram = 48;  // 48 x 28 B + header < 1472: one Ethernet frame
  constexpr size_t kWindow = 256;      // datagrams in flight per connection
  auto start = Steady::now();
  size_t accepted = Parallel(o, all, [&](const std::vector<PositionFix>& mine) -> size_t {
    int fd = Connect(o.target, SOCK_DGRAM);
    timeval tv{0, 50'000};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    size_t n = (mine.size() + kPerDatagram - 1) / kPerDatagram;
    std::vector<std::string> grams(n);
    for (size_t g = 0; g < n; ++g)
      grams[g] = wire::EncodeDatagram(
          o.key, static_cast<uint32_t>(g),
          {mine.data() + g * kPerDatagram, std::min(kPerDatagram, mine.size() - g * kPerDatagram)});
    std::vector<char> acked(n, 0);
    size_t next = 0, done = 0, got = 0, oldest = 0;
    while (done < n) {
      while (next < n && next - oldest < kWindow) {
        ::send(fd, grams[next].data(), grams[next].size(), 0);
        ++next;
      }
      uint8_t buf[70000];
      ssize_t r = ::recv(fd, buf, sizeof buf, 0);
      if (r <=
          0) {  // timeout: resend what is unacknowledged in the window (duplicates are harmless)
        for (size_t g = oldest; g < next; ++g)
          if (!acked[g]) ::send(fd, grams[g].data(), grams[g].size(), 0);
        continue;
      }
      wire::Ack ack;
      auto used = wire::ParseAck({buf, static_cast<size_t>(r)}, ack);
      if (!used.ok() || *used == 0 || ack.batch_id >= n || acked[ack.batch_id]) continue;
      acked[ack.batch_id] = 1;
      ++done;
      // A resent datagram's fixes come back as duplicates: stored already, from the first copy.
      got += ack.accepted;
      for (auto [index, reason] : ack.rejected) got += reason == 7;
      while (oldest < n && acked[oldest]) ++oldest;
    }
    ::close(fd);
    return got;
  });
  seconds = std::chrono::duration<double>(Steady::now() - start).count();
  return accepted;
}

size_t MetricValue(const Options& o, const std::string& name) {
  int fd = Connect(o.http);
  std::string buf;
  std::string body = Http(fd, "GET", "/metrics", o.token, "", buf);
  ::close(fd);
  size_t at = body.find(name + " ");
  return at == std::string::npos ? 0
                                 : std::strtoull(body.c_str() + at + name.size() + 1, nullptr, 10);
}

size_t RunMqtt(const Options& o, const std::vector<PositionFix>& all, double& seconds) {
  const std::string metric = "ncc_avl_fixes_accepted_total{source=\"mqtt\"}";
  size_t before = MetricValue(o, metric);
  mosquitto_lib_init();
  auto [host, port] = HostPort(o.target);
  std::atomic<size_t> acked{0};
  auto start = Steady::now();
  size_t sent = Parallel(o, all, [&](const std::vector<PositionFix>& mine) -> size_t {
    std::atomic<size_t> mine_acked{0};
    mosquitto* m = mosquitto_new(nullptr, true, &mine_acked);
    mosquitto_publish_callback_set(
        m, [](mosquitto*, void* p, int) { ++*static_cast<std::atomic<size_t>*>(p); });
    mosquitto_max_inflight_messages_set(m, 1000);
    if (mosquitto_connect(m, host.c_str(), port, 60) != MOSQ_ERR_SUCCESS) std::exit(2);
    mosquitto_loop_start(m);
    char topic[96], payload[160];
    for (const PositionFix& f : mine) {
      std::snprintf(topic, sizeof topic, "ncc/avl/%s/%llu", o.agency.c_str(),
                    static_cast<unsigned long long>(f.unit.value));
      int len = std::snprintf(payload, sizeof payload,
                              "{\"lat\":%.7f,\"lon\":%.7f,\"time\":%lld,\"speed\":8}",
                              f.position.lat, f.position.lon, static_cast<long long>(f.time.ms));
      while (mosquitto_publish(m, nullptr, topic, len, payload, 1, false) == MOSQ_ERR_NOMEM)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    // Every PUBACK before disconnecting: a disconnect drops what is still queued.
    while (mine_acked < mine.size()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    acked += mine_acked;
    mosquitto_disconnect(m);
    mosquitto_loop_stop(m, false);
    mosquitto_destroy(m);
    return mine.size();
  });
  // End to end: until ncc counts every fix accepted (or nothing moves for 5 s).
  size_t last = 0;
  auto moved = Steady::now();
  for (;;) {
    size_t now = MetricValue(o, metric) - before;
    if (now >= sent) break;
    if (now != last) last = now, moved = Steady::now();
    if (Steady::now() - moved > std::chrono::seconds(5)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  seconds = std::chrono::duration<double>(Steady::now() - start).count();
  return MetricValue(o, metric) - before;
}

// A minimal RESP client: commands pipelined, replies counted.
struct Redis {
  int fd;
  std::string buf;
  void Send(const std::string& s) { SendAll(fd, s); }
  static std::string Cmd(std::initializer_list<std::string> args) {
    std::string s = "*" + std::to_string(args.size()) + "\r\n";
    for (const auto& a : args) s += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
    return s;
  }
  // Reads one reply (integer, status, error or an array of bulk strings, one level).
  void ReadReply() {
    auto line = [&]() {
      for (;;) {
        size_t nl = buf.find("\r\n");
        if (nl != std::string::npos) {
          std::string l = buf.substr(0, nl);
          buf.erase(0, nl + 2);
          return l;
        }
        char tmp[65536];
        ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
        if (n <= 0) std::exit(3);
        buf.append(tmp, static_cast<size_t>(n));
      }
    };
    std::string l = line();
    if (l[0] == '*') {
      long n = std::atol(l.c_str() + 1);
      for (long i = 0; i < n; ++i) {
        std::string h = line();
        if (h[0] == '$' && std::atol(h.c_str() + 1) >= 0) line();
      }
    } else if (l[0] == '$' && std::atol(l.c_str() + 1) >= 0) {
      line();
    }
  }
};

size_t RunRedis(const Options& o, const std::vector<PositionFix>& all, double& seconds, double& p50,
                double& p99) {
  constexpr size_t kDepth = 64;
  auto start = Steady::now();
  size_t done = Parallel(o, all, [&](const std::vector<PositionFix>& mine) -> size_t {
    Redis r{Connect(o.target), {}};
    char lon[32], lat[32];
    for (size_t i = 0; i < mine.size(); i += kDepth) {
      std::string batch;
      size_t n = std::min(kDepth, mine.size() - i);
      for (size_t j = 0; j < n; ++j) {
        const PositionFix& f = mine[i + j];
        std::snprintf(lon, sizeof lon, "%.7f", f.position.lon);
        std::snprintf(lat, sizeof lat, "%.7f", f.position.lat);
        batch += Redis::Cmd({"GEOADD", "fleet", lon, lat, "u" + std::to_string(f.unit.value)});
      }
      r.Send(batch);
      for (size_t j = 0; j < n; ++j) r.ReadReply();
    }
    ::close(r.fd);
    return mine.size();
  });
  seconds = std::chrono::duration<double>(Steady::now() - start).count();
  // Nearest-k at random points, one round trip each (a dispatcher's question).
  Redis r{Connect(o.target), {}};
  Rng rng;
  std::vector<double> us;
  char lon[32], lat[32];
  for (size_t q = 0; q < o.queries; ++q) {
    std::snprintf(lat, sizeof lat, "%.6f", kCentre.lat + rng.Uniform(-0.18, 0.18));
    std::snprintf(lon, sizeof lon, "%.6f", kCentre.lon + rng.Uniform(-0.2, 0.2));
    auto t = Steady::now();
    r.Send(Redis::Cmd({"GEOSEARCH", "fleet", "FROMLONLAT", lon, lat, "BYRADIUS", "2000", "m", "ASC",
                       "COUNT", std::to_string(o.k)}));
    r.ReadReply();
    us.push_back(std::chrono::duration<double, std::micro>(Steady::now() - t).count());
  }
  std::sort(us.begin(), us.end());
  p50 = us[us.size() / 2];
  p99 = us[us.size() * 99 / 100];
  return done;
}

void RunNearby(const Options& o, double& p50, double& p99) {
  int fd = Connect(o.target);
  std::string buf;
  Rng rng;
  std::vector<double> us;
  char path[160];
  for (size_t q = 0; q < o.queries; ++q) {
    std::snprintf(path, sizeof path, "/api/v1/units/nearby?lat=%.6f&lon=%.6f&k=%zu",
                  kCentre.lat + rng.Uniform(-0.18, 0.18), kCentre.lon + rng.Uniform(-0.2, 0.2),
                  o.k);
    auto t = Steady::now();
    Http(fd, "GET", path, o.token, "", buf);
    us.push_back(std::chrono::duration<double, std::micro>(Steady::now() - t).count());
  }
  std::sort(us.begin(), us.end());
  p50 = us[us.size() / 2];
  p99 = us[us.size() * 99 / 100];
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  o.t0 = std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
             .count() -
         3'600'000;
  std::map<std::string, std::string*> strings{{"--lane", &o.lane}, {"--target", &o.target},
                                              {"--http", &o.http}, {"--token", &o.token},
                                              {"--key", &o.key},   {"--agency", &o.agency}};
  std::map<std::string, size_t*> sizes{{"--units", &o.units},     {"--fixes", &o.fixes},
                                       {"--batch", &o.batch},     {"--connections", &o.connections},
                                       {"--queries", &o.queries}, {"--k", &o.k}};
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (strings.count(a))
      *strings[a] = argv[i + 1];
    else if (sizes.count(a))
      *sizes[a] = std::strtoull(argv[i + 1], nullptr, 10);
    else if (a == "--first-unit")
      o.first_unit = std::strtoull(argv[i + 1], nullptr, 10);
    else if (a == "--t0")
      o.t0 = std::strtoll(argv[i + 1], nullptr, 10);
    else {
      std::fprintf(stderr, "unknown option %s (see the comment at the top of load_main.cc)\n",
                   a.c_str());
      return 2;
    }
  }
  if (o.lane == "nearby") {
    double p50 = 0, p99 = 0;
    RunNearby(o, p50, p99);
    std::printf("{\"lane\":\"nearby\",\"queries\":%zu,\"p50_us\":%.1f,\"p99_us\":%.1f}\n",
                o.queries, p50, p99);
    return 0;
  }
  auto all = Workload(o);
  double seconds = 0, p50 = 0, p99 = 0;
  size_t accepted = o.lane == "http"    ? RunHttp(o, all, seconds)
                    : o.lane == "tcp"   ? RunTcp(o, all, seconds)
                    : o.lane == "udp"   ? RunUdp(o, all, seconds)
                    : o.lane == "mqtt"  ? RunMqtt(o, all, seconds)
                    : o.lane == "redis" ? RunRedis(o, all, seconds, p50, p99)
                                        : SIZE_MAX;
  if (accepted == SIZE_MAX) {
    std::fprintf(stderr, "unknown lane %s\n", o.lane.c_str());
    return 2;
  }
  std::printf(
      "{\"lane\":\"%s\",\"fixes\":%zu,\"accepted\":%zu,\"seconds\":%.3f,\"fixes_per_s\":%.0f,"
      "\"p50_us\":%.1f,\"p99_us\":%.1f}\n",
      o.lane.c_str(), all.size(), accepted, seconds, accepted / seconds, p50, p99);
  return accepted == all.size() ? 0 : 1;
}
