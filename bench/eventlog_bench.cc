// ncc-bench-eventlog: durable commands/s and per-command latency through the real engine (group
// commit) on each EventLog backend, side by side in one run: SQLite (fsync before every ack,
// the baseline), JetStream single node R1 and, with --nats-cluster, a 3-node R3 cluster. The
// same closed loop as ncc-bench-core: `clients` commands always in flight.
//   ncc-bench-eventlog --nats URL [--nats-cluster URLS] [--seconds 3] [--out FILE]
// Start the servers with scripts/nats (docs/store-jetstream.md). Prints a Markdown table.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <mutex>
#include <sstream>
#include <thread>

#include "bench_events.h"
#include "engine/engine.h"
#include "store/jetstream/jetstream_event_log.h"
#include "store/sqlite/sqlite_event_log.h"

namespace ncc {
namespace {

using BenchClock = std::chrono::steady_clock;

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  size_t k = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<ptrdiff_t>(k), v.end());
  return v[k];
}

struct Run {
  double per_second = 0, p50_ms = 0, p99_ms = 0, per_sync = 0;
};

using OpenLog = std::function<std::unique_ptr<EventLog>(const std::string& name)>;

Run ClosedLoop(const OpenLog& open, const std::string& name, int clients, double seconds) {
  SystemClock clock;
  EngineOptions o;
  o.snapshot_every = 0;
  auto engine = Engine::Open(open(name), nullptr, clock, o);
  if (!engine.ok()) {
    std::cerr << name << ": " << engine.status().ToString() << "\n";
    std::exit(1);
  }
  Engine& e = **engine;
  (void)e.SubmitAndWait(RegisterAgency{{"fire", "Fire", "fire"}}, "bench", "fire");
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> done{0};
  std::atomic<int> in_flight{0};
  std::mutex lat_mu;
  std::vector<double> latencies;
  const uint64_t syncs_before = e.log().Syncs();
  std::function<void(uint64_t)> submit = [&](uint64_t k) {
    ++in_flight;
    const auto t0 = BenchClock::now();
    e.Submit(SampleIncident(k), "bench", "fire", [&, t0, k](CommandOutcome) {
      const double ms = std::chrono::duration<double, std::milli>(BenchClock::now() - t0).count();
      {
        std::lock_guard l(lat_mu);
        latencies.push_back(ms);
      }
      ++done;
      --in_flight;
      if (!stop) submit(k + static_cast<uint64_t>(clients));
    });
  };
  const auto start = BenchClock::now();
  for (int c = 0; c < clients; ++c) submit(static_cast<uint64_t>(c));
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  const uint64_t counted = done.load();
  const double elapsed = std::chrono::duration<double>(BenchClock::now() - start).count();
  while (in_flight.load() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  Run r;
  r.per_second = static_cast<double>(counted) / elapsed;
  const uint64_t syncs = e.log().Syncs() - syncs_before;
  r.per_sync = syncs ? static_cast<double>(done.load()) / static_cast<double>(syncs) : 0;
  std::lock_guard l(lat_mu);
  r.p50_ms = Percentile(latencies, 0.50);
  r.p99_ms = Percentile(latencies, 0.99);
  return r;
}

OpenLog JetStream(const std::string& url, int replicas) {
  return [url, replicas](const std::string& name) -> std::unique_ptr<EventLog> {
    jetstream::JetStreamOptions o;
    o.replicas = replicas;
    const auto now = std::chrono::system_clock::now().time_since_epoch().count();
    auto log = jetstream::JetStreamEventLog::Open(
        url, "bench_" + name + "_" + std::to_string(now % 1'000'000'000), "bench", o);
    if (!log.ok()) {
      std::cerr << "JetStream at " << url << ": " << log.status().ToString() << "\n";
      std::exit(1);
    }
    return std::move(*log);
  };
}

}  // namespace
}  // namespace ncc

int main(int argc, char** argv) {
  using namespace ncc;
  CLI::App app{"ncc event log backends benchmark"};
  std::string out_path, dir = "build/bench-eventlog", nats, nats_cluster;
  double seconds = 3;
  app.add_option("--nats", nats, "URL of a single JetStream node (scripts/nats start DIR auto)")
      ->required();
  app.add_option("--nats-cluster", nats_cluster, "Comma-separated URLs of a 3-node cluster");
  app.add_option("--dir", dir, "Scratch folder for the SQLite logs")->capture_default_str();
  app.add_option("--seconds", seconds, "Duration of each run")->capture_default_str();
  app.add_option("--out", out_path, "Also write the Markdown report here");
  CLI11_PARSE(app, argc, argv);
  std::filesystem::create_directories(dir);

  std::vector<std::pair<std::string, OpenLog>> backends;
  backends.emplace_back("SQLite (fsync before ack)", [&dir](const std::string& name) {
    const std::string d = dir + "/" + name;
    std::filesystem::remove_all(d);
    std::filesystem::create_directories(d);
    return std::unique_ptr<EventLog>(std::move(*SqliteEventLog::Open(d + "/events.db")));
  });
  backends.emplace_back("JetStream R1 (1 node)", JetStream(nats, 1));
  if (!nats_cluster.empty())
    backends.emplace_back("JetStream R3 (3 nodes)", JetStream(nats_cluster, 3));

  std::ostringstream md;
  md << "| backend | clients | cmd/s | p50 ms | p99 ms | cmds per durable write |\n"
     << "|---|---:|---:|---:|---:|---:|\n";
  char line[512];
  int k = 0;
  for (const auto& [label, open] : backends) {
    for (int clients : {1, 16, 256}) {
      std::cerr << "… " << label << ", " << clients << " clients" << std::endl;
      Run r = ClosedLoop(open, "b" + std::to_string(k++), clients, seconds);
      std::snprintf(line, sizeof line, "| %s | %d | %.0f | %.2f | %.2f | %.1f |\n", label.c_str(),
                    clients, r.per_second, r.p50_ms, r.p99_ms, r.per_sync);
      md << line;
    }
  }
  std::cout << md.str();
  if (!out_path.empty()) std::ofstream(out_path) << md.str();
  return 0;
}
