// ncc-bench-routing: import, contraction and query figures for the real OSM extracts and a
// synthetic 1M-node road grid, printed as a Markdown table (docs/benchmarks-routing.md).
// Imports run in a child process so that each peak RSS is the import's own.
//
//   ncc-bench-routing [--data DIR] [--side 1000] [--out FILE] [--skip-synthetic]
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>

#include "routing/graph_builder.h"
#include "routing/importer.h"
#include "routing/routing_service.h"
#include "routing/synthetic.h"

namespace ncc::routing {
namespace {

using Clock = std::chrono::steady_clock;
double Ms(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

struct BuildFigures {
  bool ok = false;
  double total_s = 0, contract_s = 0, load_ms = 0;
  uint64_t peak_rss_kb = 0, nodes = 0, edges = 0, file_bytes = 0;
};

// Runs `build` (which writes `graph_path` and returns "total_s contract_s") in a child process.
template <typename Fn>
BuildFigures BuildInChild(const std::string& graph_path, Fn build) {
  BuildFigures f;
  int fds[2];
  if (pipe(fds) != 0) return f;
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    std::string line = build(graph_path);
    (void)!write(fds[1], line.data(), line.size());
    _exit(line.empty() ? 1 : 0);
  }
  close(fds[1]);
  char buf[256] = {0};
  ssize_t n = read(fds[0], buf, sizeof buf - 1);
  close(fds[0]);
  int status = 0;
  rusage ru{};
  wait4(pid, &status, 0, &ru);
  if (n <= 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return f;
  std::istringstream(buf) >> f.total_s >> f.contract_s;
  f.peak_rss_kb = static_cast<uint64_t>(ru.ru_maxrss);
  f.ok = true;
  return f;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))];
}

struct QueryFigures {
  double p2p_p50 = 0, p2p_p99 = 0, dijkstra_mean = 0, ch_mean = 0;
  double t100_p50 = 0, t100_p99 = 0, t1000_p50 = 0, t1000_p99 = 0, t5000_p50 = 0, t5000_p99 = 0;
  double t5000_snap_p50 = 0;                  // the snapping share of 1x5000
  double prepared_p50 = 0, prepared_p99 = 0;  // 1x5000, targets prepared once, origin snapped
};

std::vector<LatLon> RandomPoints(const RoadGraph& g, size_t n, std::mt19937& rng) {
  auto [la0, la1] = std::minmax_element(g.lat_e7.begin(), g.lat_e7.end());
  auto [lo0, lo1] = std::minmax_element(g.lon_e7.begin(), g.lon_e7.end());
  std::uniform_real_distribution<double> lat(*la0 / 1e7, *la1 / 1e7), lon(*lo0 / 1e7, *lo1 / 1e7);
  std::vector<LatLon> out;
  while (out.size() < n) out.push_back({lat(rng), lon(rng)});
  return out;
}

QueryFigures MeasureQueries(const RoutingService& svc, int dijkstra_samples) {
  QueryFigures f;
  const RoadGraph& g = svc.graph();
  std::mt19937 rng(12345);
  // Point to point, snapping included (as OSRM's figures).
  std::vector<double> p2p;
  auto pts = RandomPoints(g, 2000, rng);
  for (size_t i = 0; i + 1 < pts.size(); i += 2) {
    auto t0 = Clock::now();
    auto r = svc.RouteBetween(pts[i], pts[i + 1], Algorithm::kCh, false);
    auto t1 = Clock::now();
    if (r.ok()) p2p.push_back(Ms(t0, t1));
  }
  f.p2p_p50 = Percentile(p2p, 0.5);
  f.p2p_p99 = Percentile(p2p, 0.99);
  // Speed-up: the same node pairs through CH and through plain Dijkstra.
  RouteQuery q(g);
  std::uniform_int_distribution<uint32_t> pick(0, g.node_count() - 1);
  double ch_total = 0, dij_total = 0;
  for (int i = 0; i < dijkstra_samples; ++i) {
    uint32_t s = pick(rng), t = pick(rng);
    auto t0 = Clock::now();
    Cost c = q.Ch(s, t);
    auto t1 = Clock::now();
    Cost d = q.Dijkstra(s, t);
    auto t2 = Clock::now();
    if (c.time_ms != d.time_ms) std::cerr << "MISMATCH " << s << "->" << t << "\n";
    ch_total += Ms(t0, t1);
    dij_total += Ms(t1, t2);
  }
  for (int i = 0; i < 2000; ++i) {  // more CH samples for a stable mean
    uint32_t s = pick(rng), t = pick(rng);
    auto t0 = Clock::now();
    (void)q.Ch(s, t);
    ch_total += Ms(t0, Clock::now());
  }
  f.ch_mean = ch_total / (dijkstra_samples + 2000);
  f.dijkstra_mean = dij_total / dijkstra_samples;
  // One origin to many targets, snapping of every point included.
  for (size_t n : {size_t{100}, size_t{1000}, size_t{5000}}) {
    std::vector<double> times, snap_times;
    int reps = n == 5000 ? 30 : 60;
    for (int r = 0; r < reps; ++r) {
      auto targets = RandomPoints(g, n, rng);
      LatLon origin = RandomPoints(g, 1, rng)[0];
      auto t0 = Clock::now();
      auto o = svc.snapper().Nearest(origin, 1e9);
      std::vector<std::vector<Seed>> seeds;
      seeds.reserve(n);
      for (const LatLon& p : targets) {
        auto s = svc.snapper().Nearest(p, 1e9);
        seeds.push_back(s.ok() ? s->as_target : std::vector<Seed>{});
      }
      auto t_snapped = Clock::now();
      std::vector<Cost> costs = q.OneToMany(o->as_source, seeds);
      times.push_back(Ms(t0, Clock::now()));
      snap_times.push_back(Ms(t0, t_snapped));
    }
    double p50 = Percentile(times, 0.5), p99 = Percentile(times, 0.99);
    if (n == 100) f.t100_p50 = p50, f.t100_p99 = p99;
    if (n == 1000) f.t1000_p50 = p50, f.t1000_p99 = p99;
    if (n == 5000) f.t5000_p50 = p50, f.t5000_p99 = p99;
    if (n == 5000) f.t5000_snap_p50 = Percentile(snap_times, 0.5);
  }
  // The dispatch case: a fixed set of 5,000 targets (units) prepared once, many origins.
  {
    auto targets = RandomPoints(g, 5000, rng);
    std::vector<std::vector<Seed>> seeds;
    for (const LatLon& p : targets) {
      auto s = svc.snapper().Nearest(p, 1e9);
      seeds.push_back(s.ok() ? s->as_target : std::vector<Seed>{});
    }
    TargetSet prepared = q.PrepareTargets(seeds);
    std::vector<double> times;
    for (const LatLon& origin : RandomPoints(g, 100, rng)) {
      auto t0 = Clock::now();
      auto o = svc.snapper().Nearest(origin, 1e9);
      std::vector<Cost> costs = q.OneToMany(o->as_source, prepared);
      times.push_back(Ms(t0, Clock::now()));
    }
    f.prepared_p50 = Percentile(times, 0.5);
    f.prepared_p99 = Percentile(times, 0.99);
  }
  return f;
}

struct Row {
  std::string name;
  BuildFigures build;
  QueryFigures q;
  uint32_t nodes = 0, edges = 0;
};

std::string Fmt(const char* f, double a, double b) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, a, b);
  return buf;
}

std::string Fmt1(const char* f, double a) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, a);
  return buf;
}

std::string Table(const std::vector<Row>& rows) {
  std::ostringstream s;
  s << "| graph | nodes / edges | import s wall (CH s CPU) | peak RSS MiB | load ms | p2p p50 / "
       "p99 ms "
       "| Dijkstra / CH mean ms (speed-up) | 1×100 p50 / p99 ms | 1×1000 p50 / p99 ms | "
       "1×5000 p50 / p99 ms | 1×5000 snapping p50 ms | 1×5000 prepared targets p50 / p99 ms "
       "|\n|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (const Row& r : rows) {
    s << "| " << r.name << " | " << r.nodes << " / " << r.edges << " | "
      << Fmt("%.2f (%.2f)", r.build.total_s, r.build.contract_s) << " | "
      << r.build.peak_rss_kb / 1024 << " | " << Fmt1("%.1f", r.build.load_ms) << " | "
      << Fmt("%.3f / %.3f", r.q.p2p_p50, r.q.p2p_p99) << " | "
      << Fmt("%.2f / %.4f", r.q.dijkstra_mean, r.q.ch_mean)
      << Fmt1(" (%.0f×)", r.q.dijkstra_mean / r.q.ch_mean) << " | "
      << Fmt("%.2f / %.2f", r.q.t100_p50, r.q.t100_p99) << " | "
      << Fmt("%.2f / %.2f", r.q.t1000_p50, r.q.t1000_p99) << " | "
      << Fmt("%.2f / %.2f", r.q.t5000_p50, r.q.t5000_p99) << " | "
      << Fmt1("%.2f", r.q.t5000_snap_p50) << " | "
      << Fmt("%.3f / %.3f", r.q.prepared_p50, r.q.prepared_p99) << " |\n";
  }
  return s.str();
}

}  // namespace
}  // namespace ncc::routing

int main(int argc, char** argv) {
  using namespace ncc::routing;
  CLI::App app{"ncc routing benchmark"};
  const char* env = std::getenv("NCC_DATA_DIR");
  std::string data = env ? env : "../shared/data", out, tmp = "/tmp";
  uint32_t side = 1000;
  bool skip_synthetic = false;
  app.add_option("--data", data, "data folder with osm/");
  app.add_option("--side", side, "synthetic grid side (nodes = side^2)");
  app.add_option("--out", out, "also write the table to this file");
  app.add_option("--tmp", tmp, "where graph files are written");
  app.add_flag("--skip-synthetic", skip_synthetic);
  CLI11_PARSE(app, argc, argv);

  std::vector<Row> rows;
  auto run = [&](const std::string& name, auto build, int dijkstra_samples) {
    std::string path = tmp + "/ncc-bench-" + std::to_string(getpid()) + ".graph";
    Row row;
    row.name = name;
    std::cerr << "building " << name << "...\n";
    row.build = BuildInChild(path, build);
    if (!row.build.ok) {
      std::cerr << "  failed\n";
      return;
    }
    auto t0 = Clock::now();
    auto svc = RoutingService::Open(path, RoutingOptions{1e9});
    row.build.load_ms = Ms(t0, Clock::now());
    if (!svc.ok()) {
      std::cerr << svc.status().ToString() << "\n";
      return;
    }
    row.nodes = (*svc)->graph().node_count();
    row.edges = (*svc)->graph().edge_count();
    std::cerr << "querying " << name << "...\n";
    row.q = MeasureQueries(**svc, dijkstra_samples);
    std::remove(path.c_str());
    rows.push_back(row);
  };
  for (const char* f :
       {"monaco.osm.pbf", "andorra.osm.pbf", "sf-north-2020.osm", "helsinki-centre.osm.pbf"}) {
    std::string input = data + "/osm/" + f;
    run(
        f,
        [input](const std::string& path) {
          ImportOptions opt;
          opt.show_progress = false;
          auto s = ImportOsmToFile(input, path, opt);
          if (!s.ok()) return std::string();
          return std::to_string(s->total_seconds) + " " + std::to_string(s->contract_cpu_seconds);
        },
        200);
  }
  if (!skip_synthetic) {
    run(
        "SYNTHETIC grid " + std::to_string(side) + "²",
        [side](const std::string& path) {
          auto t0 = Clock::now();
          DirectedGraph g = SyntheticRoadGrid(side, 2026);
          BuiltGraph b = BuildGraph(g);
          if (!RoadGraph::Write(b.arrays, path).ok()) return std::string();
          double total = Ms(t0, Clock::now()) / 1000;
          return std::to_string(total) + " " + std::to_string(b.contraction_cpu_seconds);
        },
        20);
  }
  std::string table = Table(rows);
  std::cout << table;
  if (!out.empty()) std::ofstream(out) << table;
  return 0;
}
