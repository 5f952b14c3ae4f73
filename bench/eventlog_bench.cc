// ncc-bench-eventlog: durable commands/s and per-command latency through the real engine (group
// commit) on each EventLog backend, side by side in one run: SQLite (fsync before every ack,
// the baseline), JetStream single node R1 and, with --nats-cluster, a 3-node R3 cluster. The
// same closed loop as ncc-bench-core: `clients` commands always in flight.
//   ncc-bench-eventlog --nats URL [--nats-cluster URLS] [--seconds 3] [--out FILE]
//                      [--cluster-dir DIR --kills N]
// Start the servers with scripts/nats (docs/store-jetstream.md). Prints a Markdown table. With
// --cluster-dir (the folder of `scripts/nats start DIR auto --cluster 3`) and --kills N, also
// kills the stream leader N times (kill -9, then restart) under a writer appending batches of
// 8 events back to back, and reports the time from each kill to the first acknowledged append
// after it (p50, p99, max).
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

// Kill -9 the R3 stream's leader `kills` times under a writer appending batches of 8 back to
// back; the time from each kill to the first acknowledged append after it.
std::string Failover(const std::string& url, const std::string& cluster_dir, int kills) {
  const std::string nats = std::string(NCC_SOURCE_DIR) + "/scripts/nats ";
  jetstream::JetStreamOptions o;
  o.replicas = 3;
  o.append_timeout_ms = 60'000;
  const auto now = std::chrono::system_clock::now().time_since_epoch().count();
  auto log = jetstream::JetStreamEventLog::Open(
      url, "failover_" + std::to_string(now % 1'000'000'000), "bench", o);
  if (!log.ok()) return "failover: " + log.status().ToString() + "\n";
  Hash head{};
  Seq seq;
  auto append = [&]() -> Status {
    std::vector<StoredEvent> batch;
    for (int i = 0; i < 8; ++i) {
      Event e;
      e.body = UnitStatusChanged{UnitId(1), UnitStatus::kAvailable, UnitStatus::kEnRoute, {}, ""};
      e.meta.seq = Seq(seq.value + 1 + static_cast<uint64_t>(i));
      e.meta.time = Time{1'700'000'000'000 + static_cast<int64_t>(e.meta.seq.value)};
      e.meta.actor = "bench";
      e.meta.agency = "fire";
      batch.push_back(Encode(e, head));
      head = batch.back().hash;
    }
    Status s = (*log)->Append(batch);
    if (s.ok()) seq = batch.back().seq;
    return s;
  };
  std::vector<double> ms;
  for (int k = 0; k < kills; ++k) {
    for (int i = 0; i < 50; ++i)
      if (Status s = append(); !s.ok()) return "failover: " + s.ToString() + "\n";
    auto leader = (*log)->StreamLeader();
    if (!leader.ok()) return "failover: " + leader.status().ToString() + "\n";
    const std::string node = leader->substr(1);
    if (std::system((nats + "kill " + cluster_dir + " " + node).c_str()) != 0)
      return "failover: kill failed\n";
    const auto t0 = BenchClock::now();
    if (Status s = append(); !s.ok()) return "failover: " + s.ToString() + "\n";
    ms.push_back(std::chrono::duration<double, std::milli>(BenchClock::now() - t0).count());
    std::cerr << "… kill " << k + 1 << " of n" << node << ": " << ms.back() << " ms\n";
    if (std::system((nats + "restart " + cluster_dir + " " + node + " >/dev/null").c_str()) != 0)
      return "failover: restart failed\n";
  }
  Status verified = VerifyChain(**log);
  char line[512];
  std::snprintf(
      line, sizeof line,
      "\nFailover, %d kills of the stream leader (kill -9, R3): first acknowledged append "
      "after the kill p50 %.0f ms, p99 %.0f ms, max %.0f ms; %llu events, chain %s.\n",
      kills, Percentile(ms, 0.5), Percentile(ms, 0.99), *std::max_element(ms.begin(), ms.end()),
      static_cast<unsigned long long>(seq.value),
      verified.ok() ? "verifies" : verified.ToString().c_str());
  return line;
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
  std::string cluster_dir;
  int kills = 0;
  app.add_option("--cluster-dir", cluster_dir, "Folder of the --nats-cluster (scripts/nats)");
  app.add_option("--kills", kills, "Stream-leader kills for the failover figures");
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
  if (kills > 0 && !cluster_dir.empty() && !nats_cluster.empty())
    md << Failover(nats_cluster, cluster_dir, kills);
  std::cout << md.str();
  if (!out_path.empty()) std::ofstream(out_path) << md.str();
  return 0;
}
