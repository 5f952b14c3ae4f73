// ncc-soak: the national mix against a running `ncc serve`, paced, for as long as asked
// (bench/soak.py starts the server, makes the accounts, samples memory and draws the plots):
//   - fixes: --units units at 1 Hz over POST /api/v1/positions, one gateway key per agency,
//     sent every 100 ms in batches, each fix stamped with the wall clock when it is sent;
//   - consoles: --consoles WebSocket streams with ?positions=1, spread over the agencies (each
//     signed in as its agency's dispatcher); --probes of them parse every message to measure
//     fix-to-screen (arrival − fix time) and command-to-screen (arrival − the command's ack);
//     all of them check that event seqs arrive without gaps or repeats;
//   - commands: --commands per second (incident created at a real call's location from --calls,
//     then status changes), each timed from send to acknowledgement.
// Every --report seconds one JSON line on stdout with the interval's figures; at the end a
// summary line with "final": true. Exit status 0 even when targets are missed: soak.py judges.
//
// Config (--config FILE, written by soak.py): {"target": "127.0.0.1:PORT", "agencies":
// [{"code", "token", "key", "units": [ids]}]}: tokens of each agency's dispatcher, the agency's
// positions key, the unit ids registered for it.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/json_writer.h"
#include "loopback_client.h"

namespace {

using namespace ncc::bench;

using Clock = std::chrono::steady_clock;

int64_t WallMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

struct Agency {
  std::string code, token, key;
  std::vector<uint64_t> units;
};

struct Options {
  std::string config, calls;
  double seconds = 60, report = 10, commands = 100;
  size_t consoles = 1000, probes = 10, reader_threads = 2;
  std::string target;
  std::vector<Agency> agencies;
};

// Latencies of one interval, in ms, as a sorted sample.
class Sample {
 public:
  void Add(double ms) {
    std::lock_guard lock(mu_);
    v_.push_back(ms);
  }
  nlohmann::json TakeFigures(const char* prefix) {
    std::vector<double> v;
    {
      std::lock_guard lock(mu_);
      v.swap(v_);
    }
    nlohmann::json j;
    std::string p = prefix;
    j[p + "_n"] = v.size();
    if (v.empty()) return j;
    std::sort(v.begin(), v.end());
    auto q = [&](double f) { return v[std::min(v.size() - 1, static_cast<size_t>(f * v.size()))]; };
    j[p + "_p50_ms"] = q(0.50);
    j[p + "_p99_ms"] = q(0.99);
    j[p + "_max_ms"] = v.back();
    return j;
  }

 private:
  std::mutex mu_;
  std::vector<double> v_;
};

struct Figures {
  Sample command, fix_to_screen, event_to_screen;
  std::atomic<uint64_t> fixes_sent{0}, fixes_accepted{0}, fix_batches_failed{0};
  std::atomic<uint64_t> commands_ok{0}, commands_failed{0};
  std::atomic<uint64_t> messages{0}, bytes{0}, events{0}, seq_gaps{0}, seq_repeats{0};
  std::atomic<uint64_t> consoles_closed{0}, heartbeats{0};
  std::mutex acked_mu;
  struct Acked {
    int64_t sent_ms;  // wall clock when the command was sent
    size_t agency;    // whose command: its consoles must all get the event
  };
  std::unordered_map<uint64_t, Acked> acked_at;  // by seq
  // Events the probes got, (seq, arrival ms), not yet matched with their command: the event
  // may reach a console before the command's acknowledgement reaches its sender.
  std::vector<std::pair<uint64_t, int64_t>> arrivals;

  // Command-to-screen for every arrival whose command is known by now.
  void MatchArrivals() {
    std::lock_guard lock(acked_mu);
    std::vector<std::pair<uint64_t, int64_t>> unmatched;
    for (auto [seq, ms] : arrivals) {
      auto it = acked_at.find(seq);
      if (it != acked_at.end())
        event_to_screen.Add(double(ms - it->second.sent_ms));
      else if (ms > WallMs() - 5'000)
        unmatched.push_back({seq, ms});  // not a command of ours (or not acked yet)
    }
    arrivals.swap(unmatched);
  }
};

// ---- fixes ----------------------------------------------------------------------------------

// Every unit one fix a second, sent in ten slices a second: unit i in slice i % 10.
void SendFixes(const Options& o, const Agency& a, Figures& f, const std::atomic<bool>& stop) {
  int fd = Connect(o.target);
  std::string buf, auth = "ApiKey " + a.key;
  std::mt19937_64 rng(std::hash<std::string>{}(a.code));
  std::uniform_real_distribution<double> step(-0.0001, 0.0001), start(-0.2, 0.2);
  std::vector<std::pair<double, double>> at(a.units.size());
  for (auto& p : at) p = {25.2854 + start(rng), 51.5310 + start(rng)};
  auto next = Clock::now();
  for (uint64_t tick = 0; !stop; ++tick) {
    next += std::chrono::milliseconds(100);
    std::string body = "[";
    int64_t now = WallMs();
    size_t n = 0;
    char item[160];
    for (size_t i = tick % 10; i < a.units.size(); i += 10) {
      at[i].first += step(rng);
      at[i].second += step(rng);
      std::snprintf(item, sizeof item,
                    "%s{\"unit\":%llu,\"lat\":%.7f,\"lon\":%.7f,\"time\":%lld,\"speed\":9,"
                    "\"heading\":90}",
                    n ? "," : "", static_cast<unsigned long long>(a.units[i]), at[i].first,
                    at[i].second, static_cast<long long>(now));
      body += item;
      ++n;
    }
    body += "]";
    if (n) {
      auto [status, reply] = Http(fd, "POST", "/api/v1/positions", auth, body, buf);
      f.fixes_sent += n;
      if (status == 202)
        f.fixes_accepted += NumberAfter(reply, "\"accepted\":");
      else
        ++f.fix_batches_failed;
      if (status == 0) {
        ::close(fd);
        fd = Connect(o.target);
        buf.clear();
      }
    }
    std::this_thread::sleep_until(next);
  }
  ::close(fd);
}

// ---- commands -------------------------------------------------------------------------------

// Points of real calls for service ("(lat, lon)" in the SF file's last columns).
std::vector<std::pair<double, double>> CallPoints(const std::string& path) {
  std::vector<std::pair<double, double>> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line) && out.size() < 20'000) {
    size_t open = line.rfind("\"(");
    if (open == std::string::npos) continue;
    double lat = 0, lon = 0;
    if (std::sscanf(line.c_str() + open + 2, "%lf, %lf", &lat, &lon) == 2 && lat != 0)
      out.push_back({lat, lon});
  }
  return out;
}

void Timed(Figures& f, size_t agency, int fd, std::string& buf, const std::string& method,
           const std::string& path, const std::string& auth, const std::string& body,
           uint64_t* id = nullptr) {
  auto t0 = Clock::now();
  int64_t sent = WallMs();
  auto [status, reply] = Http(fd, method, path, auth, body, buf);
  double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  if (status != 200 && status != 201) {
    ++f.commands_failed;
    return;
  }
  ++f.commands_ok;
  f.command.Add(ms);
  uint64_t seq = NumberAfter(reply, "\"seq\":");
  if (id) *id = NumberAfter(reply, "\"id\":");
  std::lock_guard lock(f.acked_mu);
  f.acked_at[seq] = {sent, agency};
}

// A new incident, then its triage; every fourth command closes the loop on an older one.
void SendCommands(const Options& o, Figures& f, const std::atomic<bool>& stop) {
  auto points = CallPoints(o.calls);
  if (points.empty()) points.push_back({25.2854, 51.5310});
  int fd = Connect(o.target);
  std::string buf;
  auto interval = std::chrono::duration<double>(1.0 / std::max(1.0, o.commands));
  auto next = Clock::now();
  std::vector<uint64_t> open;
  for (uint64_t k = 0; !stop; ++k) {
    next += std::chrono::duration_cast<Clock::duration>(interval);
    size_t agency = k % o.agencies.size();
    const Agency& a = o.agencies[agency];
    std::string auth = "Bearer " + a.token;
    if (k % 2 == 0 || open.empty()) {
      auto [lat, lon] = points[k % points.size()];
      char body[256];
      std::snprintf(body, sizeof body,
                    "{\"type\":\"call\",\"priority\":%d,\"agency\":\"%s\",\"location\":"
                    "{\"lat\":%.6f,\"lon\":%.6f},\"summary\":\"soak %llu\"}",
                    static_cast<int>(1 + k % 4), a.code.c_str(), lat, lon,
                    static_cast<unsigned long long>(k));
      uint64_t id = 0;
      Timed(f, agency, fd, buf, "POST", "/api/v1/incidents", auth, body, &id);
      if (id) open.push_back(id);
    } else {
      uint64_t id = open.front();  // made by agency (k - 1) % n: notes go to the same agency
      open.erase(open.begin());
      agency = (k - 1) % o.agencies.size();
      auth = "Bearer " + o.agencies[agency].token;
      Timed(f, agency, fd, buf, "POST", "/api/v1/incidents/" + std::to_string(id) + "/notes", auth,
            "{\"text\":\"soak note\"}");
    }
    std::this_thread::sleep_until(next);
  }
  ::close(fd);
}

// ---- consoles -------------------------------------------------------------------------------

struct Console {
  int fd = -1;
  size_t agency = 0;
  bool probe = false, open = false;
  std::string in;
  std::string message;  // the text frames of a fragmented message so far
  uint64_t last_seq = 0;
  std::vector<uint64_t> seen;  // probes: every event seq received
};

bool OpenConsole(const Options& o, const Agency& a, Console& c) {
  c.fd = OpenWebSocket(o.target, "/api/v1/stream?positions=1&access_token=" + a.token, c.in);
  c.open = c.fd >= 0;
  return c.open;
}

// One text message: seq continuity for events; for probes, latencies.
void OnMessage(Console& c, std::string_view m, Figures& f) {
  ++f.messages;
  int64_t now = WallMs();
  if (m.find("\"type\":\"positions\"") != std::string_view::npos) {
    if (!c.probe) return;
    for (size_t at = m.find("\"time\":\""); at != std::string_view::npos;
         at = m.find("\"time\":\"", at + 8)) {
      ncc::Time t;
      if (ncc::ParseTime(m.substr(at + 8, 24), t)) f.fix_to_screen.Add(double(now - t.ms));
    }
    return;
  }
  if (m.find("\"type\":\"heartbeat\"") != std::string_view::npos) {
    ++f.heartbeats;
    return;
  }
  uint64_t seq = NumberAfter(m, "\"seq\":");
  if (!seq) return;  // stream_hello
  ++f.events;
  if (c.last_seq && seq <= c.last_seq) ++f.seq_repeats;
  // Events of other agencies are left out, so seqs may skip: losses are counted at the end, by
  // the probes, against every command their agency had acknowledged (Missing).
  c.last_seq = seq;
  if (!c.probe) return;
  c.seen.push_back(seq);
  std::lock_guard lock(f.acked_mu);
  f.arrivals.push_back({seq, now});
}

void Drain(Console& c, Figures& f) {
  if (!DrainFrames(c.in, c.message, [&](std::string_view m) { OnMessage(c, m, f); })) {
    c.open = false;
    ++f.consoles_closed;
  }
}

void ReadConsoles(std::vector<Console>& consoles, Figures& f, const std::atomic<bool>& stop) {
  std::vector<pollfd> fds(consoles.size());
  for (size_t i = 0; i < consoles.size(); ++i) fds[i] = {consoles[i].fd, POLLIN, 0};
  char tmp[65536];
  while (!stop) {
    if (::poll(fds.data(), fds.size(), 200) <= 0) continue;
    for (size_t i = 0; i < fds.size(); ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR)) || !consoles[i].open) continue;
      ssize_t n = ::recv(fds[i].fd, tmp, sizeof tmp, 0);
      if (n <= 0) {
        consoles[i].open = false;
        fds[i].fd = -1;
        ++f.consoles_closed;
        continue;
      }
      f.bytes += static_cast<uint64_t>(n);
      consoles[i].in.append(tmp, static_cast<size_t>(n));
      Drain(consoles[i], f);
    }
  }
}

// ---- the run --------------------------------------------------------------------------------

// Acknowledged commands (older than `before`) that a probe of their agency never got.
uint64_t Missing(const std::vector<std::vector<Console>>& groups, Figures& f, int64_t before) {
  uint64_t missing = 0;
  std::lock_guard lock(f.acked_mu);
  for (const auto& g : groups)
    for (const Console& c : g) {
      if (!c.probe) continue;
      std::vector<uint64_t> seen = c.seen;
      std::sort(seen.begin(), seen.end());
      for (const auto& [seq, acked] : f.acked_at)
        if (acked.agency == c.agency && acked.sent_ms < before &&
            !std::binary_search(seen.begin(), seen.end(), seq))
          ++missing;
    }
  return missing;
}

nlohmann::json Interval(Figures& f, double t, size_t consoles_open) {
  f.MatchArrivals();
  nlohmann::json j = {{"t", t}};
  j.update(f.command.TakeFigures("command"));
  j.update(f.fix_to_screen.TakeFigures("fix_to_screen"));
  j.update(f.event_to_screen.TakeFigures("event_to_screen"));
  for (auto [name, v] : {std::pair{"fixes_sent", &f.fixes_sent},
                         {"fixes_accepted", &f.fixes_accepted},
                         {"fix_batches_failed", &f.fix_batches_failed},
                         {"commands_ok", &f.commands_ok},
                         {"commands_failed", &f.commands_failed},
                         {"messages", &f.messages},
                         {"bytes", &f.bytes},
                         {"events", &f.events},
                         {"seq_repeats", &f.seq_repeats},
                         {"heartbeats", &f.heartbeats},
                         {"consoles_closed", &f.consoles_closed}})
    j[name] = v->load();
  j["consoles_open"] = consoles_open;
  return j;
}

Options ReadConfig(Options o) {
  std::ifstream in(o.config);
  auto j = nlohmann::json::parse(in);
  o.target = j.at("target");
  for (const auto& a : j.at("agencies"))
    o.agencies.push_back(Agency{a.at("code"), a.at("token"), a.at("key"),
                                a.at("units").get<std::vector<uint64_t>>()});
  if (o.agencies.empty()) throw std::runtime_error("no agencies in " + o.config);
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("ncc-soak: paced national-mix load against a running ncc serve");
  Options o;
  app.add_option("--config", o.config, "accounts, keys and units (written by bench/soak.py)")
      ->required();
  app.add_option("--calls", o.calls, "calls-for-service CSV whose points new incidents take");
  app.add_option("--seconds", o.seconds, "how long to run");
  app.add_option("--report", o.report, "seconds between interval lines");
  app.add_option("--commands", o.commands, "commands per second");
  app.add_option("--consoles", o.consoles, "WebSocket consoles with live positions");
  app.add_option("--probes", o.probes, "consoles that time every message they get");
  CLI11_PARSE(app, argc, argv);
  try {
    o = ReadConfig(o);
  } catch (const std::exception& e) {
    std::cerr << "ncc-soak: " << e.what() << "\n";
    return 2;
  }
  Figures f;
  std::atomic<bool> stop{false};
  std::vector<Console> consoles(o.consoles);
  for (size_t i = 0; i < consoles.size(); ++i) {
    consoles[i].probe = i < o.probes;
    consoles[i].agency = i % o.agencies.size();
    if (!OpenConsole(o, o.agencies[consoles[i].agency], consoles[i])) {
      std::cerr << "ncc-soak: console " << i << " was refused\n";
      return 2;
    }
  }
  std::vector<std::thread> threads;
  size_t per = (consoles.size() + o.reader_threads - 1) / std::max<size_t>(1, o.reader_threads);
  std::vector<std::vector<Console>> groups;
  for (size_t i = 0; i < consoles.size(); i += per)
    groups.emplace_back(
        std::make_move_iterator(consoles.begin() + i),
        std::make_move_iterator(consoles.begin() + std::min(consoles.size(), i + per)));
  for (auto& g : groups) threads.emplace_back([&] { ReadConsoles(g, f, stop); });
  for (const Agency& a : o.agencies) threads.emplace_back([&] { SendFixes(o, a, f, stop); });
  if (o.commands > 0) threads.emplace_back([&] { SendCommands(o, f, stop); });
  auto start = Clock::now();
  double t = 0;
  while (t < o.seconds) {
    std::this_thread::sleep_for(std::chrono::duration<double>(std::min(o.report, o.seconds - t)));
    t = std::chrono::duration<double>(Clock::now() - start).count();
    std::cout << Interval(f, t, o.consoles - f.consoles_closed).dump() << std::endl;
  }
  // Commands stop first; the consoles read on for the events still on their way.
  int64_t commands_end = WallMs();
  std::this_thread::sleep_for(std::chrono::seconds(2));
  stop = true;
  for (auto& th : threads) th.join();
  nlohmann::json last = Interval(f, t, o.consoles - f.consoles_closed);
  last["events_missing"] = Missing(groups, f, commands_end);
  last["final"] = true;
  for (auto& g : groups)
    for (auto& c : g) ::close(c.fd);
  std::cout << last.dump() << std::endl;
  return 0;
}
