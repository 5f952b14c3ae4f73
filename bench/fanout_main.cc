// ncc-bench-fanout: command-to-screen on many consoles at once (bench/fanout_bench.py starts the
// server, makes the accounts and runs this twice in one run: 1 console as the baseline, then N).
//   - consoles: --consoles WebSocket streams on /api/v1/stream, spread over the agencies of the
//     config (each signed in as its agency's dispatcher), read by --threads epoll threads that
//     note the arrival of every event on every console;
//   - commands: --rate new incidents per second, one at a time, each agency's in turn, each
//     timed from send to acknowledgement.
// At the end one JSON line: command-to-screen (send of the command → its event on a console) over
// every (event, console of its agency) pair, p50/p99/max; how many of those pairs arrived
// (delivered-to-all: every event on every console that may see it), repeats, and the commands'
// own send → acknowledgement time, which command-to-screen includes (the fsync).
//
// Config (--config FILE): {"target": "127.0.0.1:PORT", "agencies": [{"code", "token"}]}.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "loopback_client.h"

namespace {

using namespace ncc::bench;

using Clock = std::chrono::steady_clock;

double MsSince(Clock::time_point t0, Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(t - t0).count();
}

struct Agency {
  std::string code, token;
};

struct Console {
  int fd = -1;
  size_t agency = 0;
  bool open = false;
  std::atomic<bool> hello{false};  // set by its reader, polled by main
  std::string in, message;
  uint64_t last_seq = 0, repeats = 0;
  std::vector<std::pair<uint64_t, Clock::time_point>> arrivals;  // (seq, when)
};

bool OpenConsole(const std::string& target, const Agency& a, Console& c) {
  c.fd = OpenWebSocket(target, "/api/v1/stream?access_token=" + a.token, c.in);
  c.open = c.fd >= 0;
  return c.open;
}

void OnMessage(Console& c, std::string_view m, Clock::time_point now) {
  if (m.find("\"type\":\"stream_hello\"") != std::string_view::npos) {
    c.hello = true;
    return;
  }
  uint64_t seq = NumberAfter(m, "\"seq\":");
  if (!seq) return;  // heartbeat
  if (seq <= c.last_seq) ++c.repeats;
  c.last_seq = seq;
  c.arrivals.push_back({seq, now});
}

void Drain(Console& c, Clock::time_point now) {
  if (!DrainFrames(c.in, c.message, [&](std::string_view m) { OnMessage(c, m, now); }))
    c.open = false;
}

// Every console of [begin, end) on one epoll set until `stop`.
void ReadConsoles(std::vector<Console>& all, size_t begin, size_t end,
                  const std::atomic<bool>& stop) {
  int ep = ::epoll_create1(0);
  for (size_t i = begin; i < end; ++i) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = i;
    ::epoll_ctl(ep, EPOLL_CTL_ADD, all[i].fd, &ev);
  }
  std::vector<epoll_event> ready(256);
  char tmp[65536];
  while (!stop) {
    int n = ::epoll_wait(ep, ready.data(), static_cast<int>(ready.size()), 100);
    auto now = Clock::now();  // one clock read per wake-up: all of them arrived by now
    for (int k = 0; k < n; ++k) {
      Console& c = all[ready[k].data.u64];
      ssize_t got = ::recv(c.fd, tmp, sizeof tmp, 0);
      if (got <= 0) {
        c.open = false;
        ::epoll_ctl(ep, EPOLL_CTL_DEL, c.fd, nullptr);
        continue;
      }
      c.in.append(tmp, static_cast<size_t>(got));
      Drain(c, now);
    }
  }
  ::close(ep);
}

struct Command {
  uint64_t seq;
  size_t agency;
  Clock::time_point sent;
  double ack_ms;
};

nlohmann::json Quantiles(std::vector<double> v, const std::string& prefix) {
  nlohmann::json j;
  j[prefix + "_n"] = v.size();
  if (v.empty()) return j;
  std::sort(v.begin(), v.end());
  auto q = [&](double f) { return v[std::min(v.size() - 1, static_cast<size_t>(f * v.size()))]; };
  j[prefix + "_p50_ms"] = q(0.50);
  j[prefix + "_p99_ms"] = q(0.99);
  j[prefix + "_max_ms"] = v.back();
  return j;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("ncc-bench-fanout: command-to-screen on N consoles of a running ncc serve");
  std::string config;
  size_t consoles_n = 1000, threads_n = 1;
  double rate = 20, seconds = 20;
  app.add_option("--config", config, "target and agency tokens (bench/fanout_bench.py)")
      ->required();
  app.add_option("--consoles", consoles_n, "WebSocket consoles");
  app.add_option("--threads", threads_n, "reader threads (epoll)");
  app.add_option("--rate", rate, "new incidents per second");
  app.add_option("--seconds", seconds, "how long commands are sent");
  CLI11_PARSE(app, argc, argv);
  std::string target;
  std::vector<Agency> agencies;
  try {
    std::ifstream in(config);
    auto j = nlohmann::json::parse(in);
    target = j.at("target");
    for (const auto& a : j.at("agencies")) agencies.push_back({a.at("code"), a.at("token")});
    if (agencies.empty()) throw std::runtime_error("no agencies");
  } catch (const std::exception& e) {
    std::cerr << "ncc-bench-fanout: " << config << ": " << e.what() << "\n";
    return 2;
  }

  std::vector<Console> consoles(consoles_n);
  for (size_t i = 0; i < consoles.size(); ++i) {
    consoles[i].agency = i % agencies.size();
    if (!OpenConsole(target, agencies[consoles[i].agency], consoles[i])) {
      std::cerr << "ncc-bench-fanout: console " << i << " was refused\n";
      return 2;
    }
  }
  std::atomic<bool> stop{false};
  std::vector<std::thread> readers;
  threads_n = std::max<size_t>(1, std::min(threads_n, consoles.size()));
  size_t per = (consoles.size() + threads_n - 1) / threads_n;
  for (size_t b = 0; b < consoles.size(); b += per)
    readers.emplace_back(
        [&, b] { ReadConsoles(consoles, b, std::min(consoles.size(), b + per), stop); });
  // Every console greeted before the first command: opening is not what is measured.
  auto wait_until = Clock::now() + std::chrono::seconds(30);
  for (;;) {
    size_t greeted = 0;
    for (const Console& c : consoles) greeted += c.hello;  // a benign race: polled until all
    if (greeted == consoles.size()) break;
    if (Clock::now() > wait_until) {
      std::cerr << "ncc-bench-fanout: only " << greeted << " consoles greeted\n";
      return 2;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }

  std::vector<Command> commands;
  size_t failed = 0;
  {
    int fd = Connect(target);
    std::string buf;
    auto interval = std::chrono::duration<double>(1.0 / std::max(0.1, rate));
    auto start = Clock::now(), next = start;
    for (uint64_t k = 0; MsSince(start, Clock::now()) < seconds * 1000; ++k) {
      next += std::chrono::duration_cast<Clock::duration>(interval);
      size_t agency = k % agencies.size();
      char body[256];
      std::snprintf(body, sizeof body,
                    "{\"type\":\"call\",\"priority\":%d,\"agency\":\"%s\",\"location\":"
                    "{\"lat\":%.6f,\"lon\":%.6f},\"summary\":\"fanout %llu\"}",
                    static_cast<int>(1 + k % 4), agencies[agency].code.c_str(),
                    37.77 + 1e-4 * double(k % 100), -122.42, static_cast<unsigned long long>(k));
      auto sent = Clock::now();
      auto [status, reply] =
          Http(fd, "POST", "/api/v1/incidents", "Bearer " + agencies[agency].token, body, buf);
      double ack = MsSince(sent, Clock::now());
      if (status != 201) {
        ++failed;
        if (status == 0) {
          std::cerr << "ncc-bench-fanout: the server closed the command connection\n";
          break;
        }
      } else {
        commands.push_back({NumberAfter(reply, "\"seq\":"), agency, sent, ack});
      }
      std::this_thread::sleep_until(next);
    }
    ::close(fd);
  }
  // The consoles read on for the events still on their way.
  std::this_thread::sleep_for(std::chrono::seconds(2));
  stop = true;
  for (auto& t : readers) t.join();

  std::vector<double> to_screen, acks;
  uint64_t expected = 0, delivered = 0, repeats = 0, closed = 0;
  for (const Command& c : commands) acks.push_back(c.ack_ms);
  for (const Console& con : consoles) {
    repeats += con.repeats;
    closed += !con.open;
    std::unordered_map<uint64_t, Clock::time_point> at;
    for (const auto& [seq, when] : con.arrivals) at.emplace(seq, when);
    for (const Command& c : commands) {
      if (c.agency != con.agency) continue;
      ++expected;
      auto it = at.find(c.seq);
      if (it == at.end()) continue;
      ++delivered;
      to_screen.push_back(MsSince(c.sent, it->second));
    }
  }
  nlohmann::json out = {{"consoles", consoles.size()},
                        {"agencies", agencies.size()},
                        {"commands", commands.size()},
                        {"commands_failed", failed},
                        {"expected", expected},
                        {"delivered", delivered},
                        {"missing", expected - delivered},
                        {"repeats", repeats},
                        {"consoles_closed", closed}};
  out.update(Quantiles(to_screen, "to_screen"));
  out.update(Quantiles(acks, "command"));
  std::cout << out.dump() << std::endl;
  for (Console& c : consoles) ::close(c.fd);
  return 0;
}
