// ncc-bench-sim: the simulator's speed on the whole real SF file (docs/benchmarks.md, "Simulator").
//
// Measured: `ncc sim`'s pipeline (RunSimulation: mapping, area rule, embedded engine on a virtual
// clock, policy, CH routes, 1 Hz fixes through the real AVL lane) over every call of
// calls/sf_fire_calls_for_service_2020-04.csv inside the north-SF graph: wall time, log events
// and events/s. Same-run baseline: the same calls replayed verbatim (sim/call_replay.h, the old
// demo: history's own units and times, no routing, no fixes, no policy) on an engine with the
// same unsynced log, as fast as it goes.
//
//   ncc-bench-sim [--data DIR] [--graph FILE] [--policy P] [--dir TMP]
#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "routing/importer.h"
#include "sim/call_replay.h"
#include "sim/run.h"
#include "store/snapshot_store.h"
#include "store/sqlite/sqlite_event_log.h"

namespace ncc::sim {
namespace {

struct Figures {
  double seconds = 0;
  uint64_t events = 0;
};

StatusOr<Figures> Baseline(const std::string& calls, const routing::RoutingService& routing,
                           const std::string& dir) {
  auto rows = ReadSfCalls(calls);
  if (!rows.ok()) return rows.status();
  AreaFilter area = RestrictToGraph(std::move(*rows), routing);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto log = SqliteEventLog::OpenUnsynced(dir + "/events.db");
  if (!log.ok()) return log.status();
  ManualClock clock(area.kept.front().received);
  auto engine =
      Engine::Open(std::move(*log), std::make_unique<SnapshotStore>(dir + "/snapshots"), clock, {});
  if (!engine.ok()) return engine.status();
  auto started = std::chrono::steady_clock::now();
  NCC_RETURN_IF_ERROR(SeedAgenciesAndUnits(**engine, area.kept));
  std::atomic<bool> stop{false};
  (void)RunReplay(**engine, area.kept, BuildReplay(area.kept), 0, clock, stop);
  Figures f;
  f.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  f.events = (*engine)->log().LastSeq().value;
  (*engine)->Stop();
  return f;
}

int Main(int argc, char** argv) {
  CLI::App app{"ncc-bench-sim: simulated events/s on the whole SF file against a verbatim replay"};
  std::string data = "../shared/data", graph, policy = "ncc+moveup", dir = "build/bench-sim";
  app.add_option("--data", data, "Real data folder")->capture_default_str();
  app.add_option("--graph", graph, "Road graph (default: imported from osm/sf-north-2020.osm)");
  app.add_option("--policy", policy, "Policy of the simulated run")->capture_default_str();
  app.add_option("--dir", dir, "Scratch folder for the runs")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  std::filesystem::create_directories(dir);
  if (graph.empty()) {
    graph = dir + "/sf-north-2020.graph";
    routing::ImportOptions o;
    o.show_progress = false;
    auto built = routing::ImportOsmToFile(data + "/osm/sf-north-2020.osm", graph, o);
    if (!built.ok()) return std::cerr << built.status().ToString() << "\n", 1;
  }
  RunConfig c;
  c.graph = graph;
  c.calls = data + "/calls/sf_fire_calls_for_service_2020-04.csv";
  c.policy = policy;
  c.out = dir + "/run";
  c.overwrite = true;
  auto run = RunSimulation(c);
  if (!run.ok()) return std::cerr << run.status().ToString() << "\n", 1;
  auto routing = routing::RoutingService::Open(graph);
  if (!routing.ok()) return std::cerr << routing.status().ToString() << "\n", 1;
  auto base = Baseline(c.calls, **routing, dir + "/replay");
  if (!base.ok()) return std::cerr << base.status().ToString() << "\n", 1;
  const SimFigures& f = run->figures;
  std::printf(
      "| run | calls | log events | fixes | wall s | events/s |\n|---|---|---|---|---|---|\n");
  std::printf("| ncc sim --policy %s | %zu | %llu | %llu | %.1f | %.0f |\n", policy.c_str(),
              f.calls, static_cast<unsigned long long>(f.events),
              static_cast<unsigned long long>(f.fixes), f.seconds, f.events / f.seconds);
  std::printf(
      "| baseline: verbatim replay, no routing, no fixes | %zu | %llu | 0 | %.1f | %.0f |\n",
      f.calls, static_cast<unsigned long long>(base->events), base->seconds,
      base->events / base->seconds);
  std::printf("\n%s\n", run->json.dump().c_str());
  return 0;
}

}  // namespace
}  // namespace ncc::sim

int main(int argc, char** argv) {
  return ncc::sim::Main(argc, argv);
}
