// ncc-bench-tak: the TAK hub end to end against a running `ncc serve --cot` (bench/
// tak_hub_bench.py starts one, registers the units and the key), against the framer alone in
// the same run:
//   - baseline: the inbound stream through Framer + ParseEvent in this process (no sockets);
//   - in: --senders connections each write their share of --messages real ATAK position
//     reports ($DATA/cot/atak/cot/a-f-G-U-C, callsign, uid, time and point re-stamped per unit
//     U0..U<units-1>), then one GeoChat marker; an observer connection of the same agency
//     receives the markers relayed by the hub once every report before them on that connection
//     was framed, parsed, mapped and handed to the AVL lane (the live index). messages/s = all
//     reports / (last marker received - first byte sent);
//   - with --hold: "in: done" on stderr, then a line read from stdin before the fan-out, so the
//     driver can wait until the lane has taken every report (the live index figure) without
//     the fan-out's sign-ins competing with the lane for the CPU; and "fan-out: ready" before
//     the chats, then a line, so that it can read the server's CPU time around them;
//   - fan-out: --clients connections signed in, one sender writes --chats GeoChats at --rate
//     per second, each carrying its send time; latency = arrival at each client - send time
//     (one epoll reader for all clients, in this process: the client side is in the figure).
// Prints one JSON line. Linux only (epoll).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "exchange/cot/cot_event.h"
#include "exchange/cot/framer.h"

namespace {

using Steady = std::chrono::steady_clock;
namespace fs = std::filesystem;

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Steady::now().time_since_epoch())
      .count();
}
int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// `doc` with the value of the first attribute `name` replaced.
void Set(std::string& doc, const std::string& name, const std::string& value) {
  size_t at = doc.find(" " + name + "='");
  if (at == std::string::npos) return;
  at += name.size() + 3;
  size_t end = doc.find('\'', at);
  doc.replace(at, end - at, value);
}

std::string Chat(const std::string& uid, const std::string& remarks) {
  std::string t = ncc::cot::FormatTime(WallMs());
  return "<event version='2.0' uid='" + uid + "' type='b-t-f' how='h-g-i-g-o' time='" + t +
         "' start='" + t + "' stale='" + ncc::cot::FormatTime(WallMs() + 60'000) +
         "'><point lat='25.3' lon='51.5' hae='9999999.0' ce='9999999.0' le='9999999.0'/><detail>"
         "<__chat chatroom='All Chat Rooms' id='All Chat Rooms' senderCallsign='bench'/>"
         "<remarks>" +
         remarks + "</remarks></detail></event>";
}

int Connect(int port, const std::string& key) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    std::perror("connect");
    std::exit(2);
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  std::string line = "ncc-key " + key + "\n";
  if (send(fd, line.data(), line.size(), MSG_NOSIGNAL) < 0) std::exit(2);
  return fd;
}

void WriteAll(int fd, const std::string& data) {
  size_t at = 0;
  while (at < data.size()) {
    ssize_t n = send(fd, data.data() + at, data.size() - at, MSG_NOSIGNAL);
    if (n <= 0) {
      std::fprintf(stderr, "fd %d after %zu of %zu bytes: ", fd, at, data.size());
      std::perror("send");
      std::exit(2);
    }
    at += static_cast<size_t>(n);
  }
}

// Reads every connection in one epoll loop; finds the bench's markers in what ncc sends.
class Readers {
 public:
  void Add(int fd) {
    std::lock_guard lock(mu_);
    conns_[fd];
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    epoll_ctl(ep_, EPOLL_CTL_ADD, fd, &ev);
  }
  void Run() {
    thread_ = std::thread([this] { Loop(); });
  }
  void Stop() {
    stop_ = true;
    thread_.join();
  }
  size_t signed_in() const { return signed_in_.load(); }
  size_t ends() const { return ends_.load(); }
  int64_t last_end_ns() const { return last_end_ns_.load(); }
  size_t delivered() const { return delivered_.load(); }
  uint64_t bytes() const { return bytes_.load(); }
  int64_t last_byte_ns() const { return last_byte_ns_.load(); }
  std::vector<int64_t> latencies() {
    std::lock_guard lock(mu_);
    return latencies_;
  }

 private:
  void Loop() {
    std::vector<epoll_event> evs(256);
    char buf[65536];
    while (!stop_) {
      int n = epoll_wait(ep_, evs.data(), static_cast<int>(evs.size()), 20);
      for (int i = 0; i < n; ++i) {
        int fd = evs[i].data.fd;
        ssize_t got = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (got <= 0) {
          if (got == 0) epoll_ctl(ep_, EPOLL_CTL_DEL, fd, nullptr);
          continue;
        }
        bytes_ += static_cast<uint64_t>(got);
        last_byte_ns_ = NowNs();
        std::lock_guard lock(mu_);
        Scan(conns_[fd], std::string_view(buf, static_cast<size_t>(got)));
      }
    }
  }
  void Scan(std::string& pending, std::string_view data) {
    pending.append(data);
    size_t start = 0;
    for (;;) {
      size_t end = pending.find("</event>", start);
      if (end == std::string::npos) break;
      std::string_view doc(pending.data() + start, end - start);
      start = end + 8;
      if (doc.find("t-x-takp-v") != std::string_view::npos) ++signed_in_;
      if (size_t t = doc.find("bench-t="); t != std::string_view::npos) {
        int64_t sent = std::strtoll(doc.data() + t + 8, nullptr, 10);
        latencies_.push_back(NowNs() - sent);
        ++delivered_;
      }
      if (doc.find("bench-end-") != std::string_view::npos) {
        ++ends_;
        last_end_ns_ = NowNs();
      }
    }
    pending.erase(0, start);
  }

  int ep_ = epoll_create1(0);
  std::mutex mu_;
  std::map<int, std::string> conns_;
  std::vector<int64_t> latencies_;
  std::atomic<size_t> signed_in_{0}, ends_{0}, delivered_{0};
  std::atomic<int64_t> last_end_ns_{0}, last_byte_ns_{0};
  std::atomic<uint64_t> bytes_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

bool WaitFor(const std::function<bool()>& done, int seconds) {
  auto deadline = Steady::now() + std::chrono::seconds(seconds);
  while (!done()) {
    if (Steady::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

double Percentile(std::vector<int64_t> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  return static_cast<double>(v[i]) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  std::string data = "../shared/data", key;
  int port = 0;
  size_t units = 1000, messages = 200'000, senders = 4, clients = 500, chats = 200;
  double rate = 50;
  bool hold = false;
  for (int i = 1; i < argc; ++i)
    if (std::string(argv[i]) == "--hold") hold = true;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i], v = argv[i + 1];
    if (a == "--hold") {
      --i;  // a flag, no value
      continue;
    }
    if (a == "--data") data = v;
    if (a == "--port") port = std::atoi(v.c_str());
    if (a == "--key") key = v;
    if (a == "--units") units = std::strtoull(v.c_str(), nullptr, 10);
    if (a == "--messages") messages = std::strtoull(v.c_str(), nullptr, 10);
    if (a == "--senders") senders = std::strtoull(v.c_str(), nullptr, 10);
    if (a == "--clients") clients = std::strtoull(v.c_str(), nullptr, 10);
    if (a == "--chats") chats = std::strtoull(v.c_str(), nullptr, 10);
    if (a == "--rate") rate = std::atof(v.c_str());
  }
  std::vector<std::string> real;
  for (const auto& e : fs::directory_iterator(data + "/cot/atak/cot/a-f-G-U-C"))
    real.push_back(ReadFile(e.path()));
  if (real.empty() || port == 0 || key.empty() || units == 0 || senders == 0) {
    std::fprintf(stderr,
                 "usage: ncc-bench-tak --port P --key K [--data DIR] (needs ATAK reports)\n");
    return 1;
  }
  // Every unit's fixes one second apart, ending a minute ago (the lane keeps the newest).
  const int64_t per_unit = static_cast<int64_t>((messages + units - 1) / units);
  const int64_t t0 = WallMs() - 60'000 - per_unit * 1000;
  std::vector<std::string> streams(senders);
  for (size_t i = 0; i < messages; ++i) {
    std::string doc = real[i % real.size()];
    size_t unit = i % units;
    int64_t t = t0 + static_cast<int64_t>(i / units) * 1000;
    Set(doc, "uid", "BENCH-" + std::to_string(unit));
    Set(doc, "callsign", "U" + std::to_string(unit));
    Set(doc, "time", ncc::cot::FormatTime(t));
    Set(doc, "start", ncc::cot::FormatTime(t));
    Set(doc, "stale", ncc::cot::FormatTime(t + 300'000));
    Set(doc, "how", "m-g");
    // Each unit drives east at about 1 m/s: no fix is an impossible jump for the lane.
    Set(doc, "lat", std::to_string(25.2 + 0.0001 * static_cast<double>(unit % 1000)));
    Set(doc, "lon", std::to_string(51.5 + 0.00001 * static_cast<double>(i / units)));
    streams[unit % senders] += doc;
  }
  // Baseline: the framer and parser alone over the same bytes, 16 KiB reads.
  size_t framed = 0;
  auto b0 = Steady::now();
  for (const std::string& s : streams) {
    ncc::cot::Framer framer;
    for (size_t at = 0; at < s.size(); at += 16384) {
      framer.Append(std::string_view(s).substr(at, 16384));
      for (;;) {
        auto next = framer.Next();
        if (!next.ok() || !*next) break;
        if (ncc::cot::ParseEvent(**next).ok()) ++framed;
      }
    }
  }
  double baseline_s = std::chrono::duration<double>(Steady::now() - b0).count();

  Readers readers;
  readers.Run();
  int observer = Connect(port, key);
  readers.Add(observer);
  std::vector<int> sender_fds;
  for (size_t s = 0; s < senders; ++s) {
    sender_fds.push_back(Connect(port, key));
    readers.Add(sender_fds.back());
  }
  if (!WaitFor([&] { return readers.signed_in() >= senders + 1; }, 30)) return 3;
  const int64_t in_start_wall = WallMs();
  const int64_t in_start = NowNs();
  std::vector<std::thread> writers;
  for (size_t s = 0; s < senders; ++s)
    writers.emplace_back([&, s] {
      WriteAll(sender_fds[s], streams[s]);
      WriteAll(sender_fds[s],
               Chat("bench-end-" + std::to_string(s), "bench-end-" + std::to_string(s)));
    });
  for (auto& w : writers) w.join();
  std::fprintf(stderr, "in: written\n");
  bool in_done = WaitFor([&] { return readers.ends() >= senders; }, 600);
  double in_s = static_cast<double>(readers.last_end_ns() - in_start) / 1e9;
  if (hold) {
    std::fprintf(stderr, "in: done\n");
    std::fflush(stderr);
    char go[16];
    if (!std::fgets(go, sizeof go, stdin)) return 5;
  }

  // Fan-out: clients signed in (each got the protocol offer), then paced chats.
  size_t before = readers.signed_in();
  std::vector<int> client_fds;
  for (size_t c = 0; c < clients; ++c) {
    client_fds.push_back(Connect(port, key));
    readers.Add(client_fds.back());
  }
  int chatter = Connect(port, key);
  readers.Add(chatter);  // it is sent the feed too: a client that never reads is cut
  if (!WaitFor([&] { return readers.signed_in() >= before + clients + 1; }, 60)) return 4;
  // Every client's sign-in snapshot (the units the reports moved) and the lane's checkpoints
  // read to the end: the chats then measure the relay, not the queue in front of it.
  const uint64_t before_quiet = readers.bytes();
  WaitFor([&] { return NowNs() - readers.last_byte_ns() > 1'000'000'000; }, 300);
  const uint64_t snapshot_bytes = readers.bytes() - before_quiet;
  const size_t expected = chats * (clients + senders + 1);  // every other connection gets each
  std::fprintf(stderr, "fan-out: %zu clients quiet after %llu bytes\n", clients,
               static_cast<unsigned long long>(snapshot_bytes));
  if (hold) {  // the driver reads the server's CPU time before the chats
    std::fprintf(stderr, "fan-out: ready\n");
    std::fflush(stderr);
    char go[16];
    if (!std::fgets(go, sizeof go, stdin)) return 5;
  }
  auto next = Steady::now();
  for (size_t k = 0; k < chats; ++k) {
    std::this_thread::sleep_until(next);
    next += std::chrono::nanoseconds(static_cast<int64_t>(1e9 / rate));
    WriteAll(chatter,
             Chat("bench-chat-" + std::to_string(k), "bench-t=" + std::to_string(NowNs())));
  }
  bool fan_done = WaitFor([&] { return readers.delivered() >= expected; }, 60);
  readers.Stop();
  auto lat = readers.latencies();
  std::printf(
      "{\"messages\": %zu, \"senders\": %zu, \"units\": %zu, \"in_done\": %s, \"in_s\": %.3f, "
      "\"in_msgs_per_s\": %.0f, \"in_start_wall_ms\": %lld, \"baseline_msgs_per_s\": %.0f, "
      "\"baseline_parsed\": %zu, \"clients\": %zu, \"chats\": %zu, \"rate\": %.0f, "
      "\"delivered\": %zu, \"expected\": %zu, \"fan_done\": %s, \"p50_ms\": %.2f, "
      "\"p99_ms\": %.2f, \"max_ms\": %.2f, \"quiet_bytes\": %llu}\n",
      messages, senders, units, in_done ? "true" : "false", in_s,
      static_cast<double>(messages) / in_s, static_cast<long long>(in_start_wall),
      static_cast<double>(framed) / baseline_s, framed, clients, chats, rate, lat.size(), expected,
      fan_done ? "true" : "false", Percentile(lat, 0.5), Percentile(lat, 0.99),
      Percentile(lat, 1.0), static_cast<unsigned long long>(snapshot_bytes));
  for (int fd : client_fds) close(fd);
  for (int fd : sender_fds) close(fd);
  close(observer);
  close(chatter);
  return in_done && fan_done ? 0 : 1;
}
