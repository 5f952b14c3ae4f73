// ncc-bench-core: durable command throughput with group commit against one sync per command
// (both measured in this run, same disk), apply and replay rates, and command latency at half
// of peak load. Prints a Markdown report; --out writes it to a file too. With --store
// postgres:URL the durable-command runs are made on PostgreSQL too, in the same run, and a table
// puts both backends side by side (docs/benchmarks.md says how to start the server).
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

#include "app/huge_pages.h"
#include "bench_events.h"
#include "engine/engine.h"
#include "store/sqlite/sqlite_event_log.h"
#include "store/store_spec.h"

namespace ncc {
namespace {

using Clock_ = std::chrono::steady_clock;

double Elapsed(Clock_::time_point a, Clock_::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  size_t k = std::min(v.size() - 1, static_cast<size_t>(p * v.size()));
  std::nth_element(v.begin(), v.begin() + static_cast<ptrdiff_t>(k), v.end());
  return v[k];
}

struct Bench {
  std::string dir;
  SystemClock clock;
  // Where the durable runs write: SQLite in `dir` (default), or a PostgreSQL URL.
  std::optional<StoreSpec> postgres;
  bool on_postgres = false;

  // A fresh log: a new folder, or a new shard (table) of its own on PostgreSQL.
  std::unique_ptr<EventLog> OpenLog(const std::string& name) {
    StoreOptions so;
    so.node = "bench";
    if (on_postgres) {
      so.shard = "bench_" + std::to_string(::getpid()) + "_" + name;
      std::replace(so.shard.begin(), so.shard.end(), '-', '_');
      auto opened = OpenEventLog(*postgres, so);
      if (!opened.ok()) {
        std::cerr << opened.status().ToString() << "\n";
        std::exit(1);
      }
      return std::move(opened->log);
    }
    std::string d = dir + "/" + name;
    std::filesystem::remove_all(d);
    std::filesystem::create_directories(d);
    return std::move(*SqliteEventLog::Open(d + "/events.db"));
  }

  std::unique_ptr<Engine> OpenEngine(const std::string& name, size_t max_batch) {
    EngineOptions o;
    o.max_batch = max_batch;
    o.snapshot_every = 0;
    auto engine = Engine::Open(OpenLog(name), nullptr, clock, o);
    (void)(*engine)->SubmitAndWait(RegisterAgency{{"fire", "Fire", "fire"}}, "bench", "fire");
    return std::move(*engine);
  }

  struct Run {
    double per_second = 0, p50_ms = 0, p99_ms = 0;
    uint64_t syncs = 0, commands = 0;
  };

  // `clients` commands always in flight: each acknowledgement submits that client's next one.
  Run ClosedLoop(size_t max_batch, int clients, double seconds) {
    std::string name = "closed-";
    name += std::to_string(max_batch);
    name += "-";
    name += std::to_string(clients);
    auto engine = OpenEngine(name, max_batch);
    std::atomic<bool> stop{false};
    std::atomic<uint64_t> done{0};
    std::atomic<int> in_flight{0};
    std::mutex lat_mu;
    std::vector<double> latencies;
    latencies.reserve(1 << 20);
    uint64_t syncs_before = engine->log().Syncs();
    std::function<void(uint64_t)> submit = [&](uint64_t k) {
      ++in_flight;
      auto t0 = Clock_::now();
      engine->Submit(SampleIncident(k), "bench", "fire", [&, t0, k](CommandOutcome) {
        double ms = Elapsed(t0, Clock_::now()) * 1e3;
        {
          std::lock_guard l(lat_mu);
          latencies.push_back(ms);
        }
        ++done;
        --in_flight;
        if (!stop) submit(k + static_cast<uint64_t>(clients));
      });
    };
    auto start = Clock_::now();
    for (int c = 0; c < clients; ++c) submit(static_cast<uint64_t>(c));
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    stop = true;
    uint64_t counted = done.load();
    auto end = Clock_::now();
    while (in_flight.load() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    Run r;
    r.commands = counted;
    r.per_second = static_cast<double>(counted) / Elapsed(start, end);
    r.syncs = engine->log().Syncs() - syncs_before;
    std::lock_guard l(lat_mu);
    r.p50_ms = Percentile(latencies, 0.50);
    r.p99_ms = Percentile(latencies, 0.99);
    return r;
  }

  // Commands arrive at a fixed rate regardless of acknowledgements (open loop).
  Run OpenLoop(double rate, double seconds) {
    auto engine = OpenEngine("open", 8192);
    std::mutex lat_mu;
    std::vector<double> latencies;
    std::atomic<uint64_t> sent{0}, done{0};
    auto start = Clock_::now();
    auto interval = std::chrono::duration<double>(1.0 / rate);
    uint64_t n = static_cast<uint64_t>(rate * seconds);
    for (uint64_t k = 0; k < n; ++k) {
      auto due =
          start + std::chrono::duration_cast<Clock_::duration>(interval * static_cast<double>(k));
      // Arrivals are released in small bursts (a sleep per 200 µs of schedule): spinning for
      // exact spacing would take a whole core of this 2-core machine from the writer.
      if (Clock_::now() < due) std::this_thread::sleep_until(due + std::chrono::microseconds(200));
      auto t0 = Clock_::now();
      ++sent;
      engine->Submit(SampleIncident(k), "bench", "fire", [&, t0](CommandOutcome) {
        double ms = Elapsed(t0, Clock_::now()) * 1e3;
        std::lock_guard l(lat_mu);
        latencies.push_back(ms);
        ++done;
      });
    }
    while (done.load() < sent.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    Run r;
    r.commands = n;
    r.per_second = static_cast<double>(n) / Elapsed(start, Clock_::now());
    std::lock_guard l(lat_mu);
    r.p50_ms = Percentile(latencies, 0.50);
    r.p99_ms = Percentile(latencies, 0.99);
    return r;
  }
};

}  // namespace
}  // namespace ncc

int main(int argc, char** argv) {
  using namespace ncc;
  EnsureHugePageMalloc(argv);  // as `ncc` does; NCC_NO_HUGE_PAGES=1 measures without
  CLI::App app{"ncc core benchmark"};
  std::string out_path, dir = "build/bench-core";
  double seconds = 2;
  size_t replay_events = 1'000'000;
  app.add_option("--out", out_path, "Also write the Markdown report here");
  app.add_option("--dir", dir, "Scratch folder for event logs (same disk as production data)")
      ->capture_default_str();
  app.add_option("--seconds", seconds, "Duration of each throughput run")->capture_default_str();
  app.add_option("--replay-events", replay_events, "Events for the apply/replay runs")
      ->capture_default_str();
  std::string store;
  app.add_option("--store", store,
                 "postgres:URL: also measure durable commands on this PostgreSQL (side by side)");
  bool replay_only = false;
  app.add_flag("--replay-only", replay_only,
               "Only the apply/replay/restart runs (skip the durable-command throughput)");
  CLI11_PARSE(app, argc, argv);
  std::filesystem::create_directories(dir);
  Bench bench{dir, {}, std::nullopt, false};
  if (!store.empty()) {
    auto spec = ParseStoreSpec(store, dir);
    if (!spec.ok() || spec->kind != StoreSpec::Kind::kPostgres) {
      std::cerr << "--store must be postgres:URL\n";
      return 2;
    }
    bench.postgres = *spec;
  }
  std::ostringstream md;
  auto progress = [](const std::string& s) { std::cerr << "… " << s << std::endl; };

  char line[2048];
  if (!replay_only) {
    struct Row {
      int clients;
      Bench::Run group, single;
    };
    std::vector<Row> sqlite_rows, postgres_rows;
    auto durable = [&](const char* title, std::vector<Row>& rows) {
      md << "## Durable commands (" << title << ")\n\n"
         << "| clients | group commit cmd/s | p50 ms | p99 ms | cmds per sync | one sync per "
            "command cmd/s | p99 ms | ratio |\n"
         << "|---:|---:|---:|---:|---:|---:|---:|---:|\n";
      for (int clients : {1, 16, 256}) {
        progress(std::string(title) + ": group commit, " + std::to_string(clients) + " clients");
        auto g = bench.ClosedLoop(8192, clients, seconds);
        progress(std::string(title) + ": one sync per command, " + std::to_string(clients) +
                 " clients");
        auto s = bench.ClosedLoop(1, clients, seconds);
        rows.push_back({clients, g, s});
        std::snprintf(line, sizeof line,
                      "| %d | %.0f | %.2f | %.2f | %.1f | %.0f | %.2f | %.1f× |\n", clients,
                      g.per_second, g.p50_ms, g.p99_ms,
                      g.syncs ? static_cast<double>(g.commands) / static_cast<double>(g.syncs) : 0,
                      s.per_second, s.p99_ms, g.per_second / s.per_second);
        md << line;
      }
      md << "\n";
    };
    durable("SQLite WAL, synchronous=FULL, fsync before every ack", sqlite_rows);
    double peak = 0;
    for (const Row& r : sqlite_rows) peak = std::max(peak, r.group.per_second);

    progress("open loop at 50% of peak");
    auto half = bench.OpenLoop(peak / 2, seconds);
    std::snprintf(line, sizeof line,
                  "At 50%% of peak (%.0f cmd/s offered, open loop): p50 %.3f ms, p99 %.3f ms per "
                  "command.\n\n",
                  peak / 2, half.p50_ms, half.p99_ms);
    md << line;

    if (bench.postgres) {
      bench.on_postgres = true;
      durable("PostgreSQL 15, synchronous_commit=on, lease epoch checked in every commit",
              postgres_rows);
      bench.on_postgres = false;
      md << "## Side by side (group commit, same run)\n\n"
         << "| clients | SQLite cmd/s | p99 ms | PostgreSQL cmd/s | p99 ms |\n"
         << "|---:|---:|---:|---:|---:|\n";
      for (size_t i = 0; i < sqlite_rows.size(); ++i) {
        std::snprintf(line, sizeof line, "| %d | %.0f | %.2f | %.0f | %.2f |\n",
                      sqlite_rows[i].clients, sqlite_rows[i].group.per_second,
                      sqlite_rows[i].group.p99_ms, postgres_rows[i].group.per_second,
                      postgres_rows[i].group.p99_ms);
        md << line;
      }
      md << "\n";
    }
  }

  progress("building " + std::to_string(replay_events) + " events");
  auto events = MakeEvents(replay_events);
  progress("apply");
  World world;
  auto t0 = std::chrono::steady_clock::now();
  for (const Event& e : events) world.Apply(e);
  double apply_s = Elapsed(t0, std::chrono::steady_clock::now());

  progress("writing the log for replay");
  std::string rdir = dir + "/replay";
  std::filesystem::remove_all(rdir);
  std::filesystem::create_directories(rdir);
  {
    auto log = SqliteEventLog::Open(rdir + "/events.db");
    Hash head{}, head_at_cut{};
    size_t cut = events.size() * 9 / 10;
    std::vector<StoredEvent> batch;
    for (const Event& e : events) {
      batch.push_back(Encode(e, head));
      head = batch.back().hash;
      if (e.meta.seq.value == cut) head_at_cut = head;
      if (batch.size() == 10000) {
        (void)(*log)->Append(batch);
        batch.clear();
      }
    }
    (void)(*log)->Append(batch);
    SnapshotStore snaps(rdir + "/snapshots");
    World at90;
    for (size_t i = 0; i < cut; ++i) at90.Apply(events[i]);
    (void)snaps.Write({at90.last_seq(), head_at_cut, at90.Serialize()});
  }
  progress("full replay from the log");
  auto log = SqliteEventLog::Open(rdir + "/events.db");
  t0 = std::chrono::steady_clock::now();
  auto full = Recover(**log, nullptr);
  double replay_s = Elapsed(t0, std::chrono::steady_clock::now());
  bool same = full.ok() && full->world.Digest() == world.Digest();
  progress("restart: snapshot + whole chain checked + tail");
  SnapshotStore snaps(rdir + "/snapshots");
  t0 = std::chrono::steady_clock::now();
  auto restart = Recover(**log, &snaps);
  double restart_s = Elapsed(t0, std::chrono::steady_clock::now());
  same = same && restart.ok() && restart->world.Digest() == world.Digest() && restart->snapshot_seq;
  // Baseline, same run and file: what start-up did before it checked the events under the
  // snapshot (ChainCheck::kTail, which the engine's rebuild after a refused append still uses).
  progress("restart baseline: snapshot + tail only");
  t0 = std::chrono::steady_clock::now();
  auto tail_only = Recover(**log, &snaps, ChainCheck::kTail);
  double tail_only_s = Elapsed(t0, std::chrono::steady_clock::now());
  same = same && tail_only.ok() && tail_only->world.Digest() == world.Digest();
  progress("whole-chain walk (read, link and hash, no decode)");
  ChainPosition walked;
  t0 = std::chrono::steady_clock::now();
  Status walk = WalkChain(**log, walked);
  double walk_s = Elapsed(t0, std::chrono::steady_clock::now());
  same = same && walk.ok() && walked.seq.value == events.size();

  std::snprintf(
      line, sizeof line,
      "## Apply and replay (%zu events: incidents, assignments, unit steps, position batches)\n\n"
      "| what | time | rate |\n|---|---:|---:|\n"
      "| apply in memory | %.3f s | %.2f M events/s |\n"
      "| full replay from SQLite (read, verify every hash, decode, apply) | %.3f s | %.2f M "
      "events/s |\n"
      "| restart: newest snapshot (at 90%%) + whole chain checked + verified tail | %.3f s | |\n"
      "| restart baseline: newest snapshot + verified tail only (the prefix trusted) | %.3f s | "
      "|\n"
      "| whole-chain walk alone (read, link, SHA-256; no decode) | %.3f s | %.1f ms per 100k "
      "events |\n",
      events.size(), apply_s, static_cast<double>(events.size()) / apply_s / 1e6, replay_s,
      static_cast<double>(events.size()) / replay_s / 1e6, restart_s, tail_only_s, walk_s,
      walk_s * 1e3 * 1e5 / static_cast<double>(events.size()));
  md << line;
  md << "\nReplayed and restarted Worlds equal the applied World (SHA-256 digest): "
     << (same ? "yes" : "NO") << ".\n";

  std::cout << md.str();
  if (!out_path.empty()) std::ofstream(out_path) << md.str();
  return same ? 0 : 1;
}
