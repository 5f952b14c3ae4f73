// ncc-bench-routing: import, contraction and query figures for the real OSM extracts and a
// synthetic 1M-node road grid, printed as a Markdown table (docs/benchmarks-routing.md).
// Imports run in a child process so that each peak RSS is the import's own.
//
//   ncc-bench-routing [--data DIR] [--side 1000] [--out FILE] [--skip-synthetic] [--skip-extracts]
//                     [--synthetic-graph FILE]
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

#include "routing/fleet_times.h"
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
  // Snapping throughput and the live fleet (FleetTimes, unit -> incident, 5,000 units).
  double snaps_per_s = 0;
  double upsert_p50_us = 0, upsert_p99_us = 0, upserts_per_s = 0;
  double fleet_query_p50 = 0, fleet_query_p99 = 0;  // incident already snapped
  double fleet_snap_p50 = 0, fleet_snap_p99 = 0;    // incident snapping included
  double fleet_top10_p50 = 0;                       // limit 10, snapping included
  double full_dijkstra_ms = 0;                      // one Dijkstra settling the whole graph
  uint64_t fleet_entries = 0, fleet_mismatches = 0, fleet_checked = 0;
};

std::vector<LatLon> RandomPoints(const RoadGraph& g, size_t n, std::mt19937& rng) {
  auto [la0, la1] = std::minmax_element(g.lat_e7.begin(), g.lat_e7.end());
  auto [lo0, lo1] = std::minmax_element(g.lon_e7.begin(), g.lon_e7.end());
  std::uniform_real_distribution<double> lat(*la0 / 1e7, *la1 / 1e7), lon(*lo0 / 1e7, *lo1 / 1e7);
  std::vector<LatLon> out;
  while (out.size() < n) out.push_back({lat(rng), lon(rng)});
  return out;
}

// The dispatch case as the dispatch room runs it: 5,000 units upserted (one snap + one upward
// search per GPS fix), then incidents asked about. Checked against CH point-to-point.
void MeasureFleet(const RoutingService& svc, std::mt19937& rng, QueryFigures& f) {
  const RoadGraph& g = svc.graph();
  {
    auto pts = RandomPoints(g, 20000, rng);
    auto t0 = Clock::now();
    size_t ok = 0;
    for (const LatLon& p : pts) ok += svc.snapper().Nearest(p, 1e9).ok();
    f.snaps_per_s = pts.size() / (Ms(t0, Clock::now()) / 1000);
    if (ok != pts.size()) std::cerr << "snap failures: " << pts.size() - ok << "\n";
  }
  auto fleet = svc.NewFleet();
  auto units = RandomPoints(g, 5000, rng);
  std::vector<double> upserts;
  for (int pass = 0; pass < 2; ++pass)  // the second pass moves every unit (the live case)
    for (size_t u = 0; u < units.size(); ++u) {
      LatLon p = pass == 0 ? units[u] : RandomPoints(g, 1, rng)[0];
      if (pass == 1) units[u] = p;
      auto t0 = Clock::now();
      Status s = fleet->Upsert(u, p);
      upserts.push_back(Ms(t0, Clock::now()) * 1000);
      if (!s.ok()) std::cerr << s.ToString() << "\n";
    }
  double total_us = 0;
  for (double us : upserts) total_us += us;
  f.upsert_p50_us = Percentile(upserts, 0.5);
  f.upsert_p99_us = Percentile(upserts, 0.99);
  f.upserts_per_s = upserts.size() / (total_us / 1e6);
  f.fleet_entries = fleet->Stats().bucket_entries;
  std::vector<double> query, with_snap, top10;
  FleetQueryOptions ten;
  ten.limit = 10;
  for (const LatLon& incident : RandomPoints(g, 300, rng)) {
    auto t0 = Clock::now();
    auto snap = svc.snapper().Nearest(incident, 1e9);
    auto t1 = Clock::now();
    std::vector<FleetEta> etas = fleet->ToSnapped(*snap);
    auto t2 = Clock::now();
    query.push_back(Ms(t1, t2));
    with_snap.push_back(Ms(t0, t2));
    auto t3 = Clock::now();
    auto best = fleet->ToPoint(incident, ten);
    top10.push_back(Ms(t3, Clock::now()));
    if (f.fleet_checked < 2000) {  // exactness spot check against point-to-point CH
      for (size_t i = 0; i < etas.size(); i += 250) {
        auto ref = svc.RouteBetween(units[etas[i].key], incident, Algorithm::kCh, false);
        ++f.fleet_checked;
        if (!ref.ok() ? etas[i].reachable : ref->cost.time_ms != etas[i].cost.time_ms)
          ++f.fleet_mismatches;
      }
    }
  }
  f.fleet_query_p50 = Percentile(query, 0.5);
  f.fleet_query_p99 = Percentile(query, 0.99);
  f.fleet_snap_p50 = Percentile(with_snap, 0.5);
  f.fleet_snap_p99 = Percentile(with_snap, 0.99);
  f.fleet_top10_p50 = Percentile(top10, 0.5);
  // Baseline: the one plain Dijkstra that would answer all units at once (every node settled).
  RouteQuery q(g);
  std::vector<double> full;
  for (const LatLon& p : RandomPoints(g, 3, rng)) {
    auto snap = svc.snapper().Nearest(p, 1e9);
    auto t0 = Clock::now();
    (void)q.Reachable(snap->as_source, kUnreachable - 1);
    full.push_back(Ms(t0, Clock::now()));
  }
  f.full_dijkstra_ms = Percentile(full, 0.5);
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
  MeasureFleet(svc, rng, f);
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
  s << "\n| graph | snaps/s | fleet upsert p50 / p99 µs (upserts/s) | fleet 1×5000 query only p50 "
       "/ "
       "p99 ms | fleet 1×5000 incl. incident snap p50 / p99 ms | fleet top-10 p50 ms | old RPHAST "
       "prepared p50 ms (fleet speed-up) | one full Dijkstra ms (fleet speed-up) | bucket entries "
       "(MiB) | exact (checked) |\n|---|---|---|---|---|---|---|---|---|---|\n";
  for (const Row& r : rows) {
    const QueryFigures& q = r.q;
    s << "| " << r.name << " | " << Fmt1("%.0f", q.snaps_per_s) << " | "
      << Fmt("%.1f / %.1f", q.upsert_p50_us, q.upsert_p99_us) << Fmt1(" (%.0f)", q.upserts_per_s)
      << " | " << Fmt("%.3f / %.3f", q.fleet_query_p50, q.fleet_query_p99) << " | "
      << Fmt("%.3f / %.3f", q.fleet_snap_p50, q.fleet_snap_p99) << " | "
      << Fmt1("%.3f", q.fleet_top10_p50) << " | "
      << Fmt("%.3f (%.2f×)", q.prepared_p50, q.prepared_p50 / q.fleet_snap_p50) << " | "
      << Fmt("%.1f (%.1f×)", q.full_dijkstra_ms, q.full_dijkstra_ms / q.fleet_snap_p50) << " | "
      << q.fleet_entries << Fmt1(" (%.0f)", q.fleet_entries * 16.0 / (1 << 20)) << " | "
      << (q.fleet_mismatches == 0 ? "yes" : "NO, " + std::to_string(q.fleet_mismatches)) << " ("
      << q.fleet_checked << ") |\n";
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
  std::string synthetic_graph;
  bool skip_extracts = false;
  app.add_option("--data", data, "data folder with osm/");
  app.add_option("--side", side, "synthetic grid side (nodes = side^2)");
  app.add_option("--out", out, "also write the table to this file");
  app.add_option("--tmp", tmp, "where graph files are written");
  app.add_flag("--skip-synthetic", skip_synthetic);
  app.add_flag("--skip-extracts", skip_extracts, "only the synthetic graph");
  app.add_option("--synthetic-graph", synthetic_graph,
                 "keep the synthetic graph in this file and reuse it when it exists (query "
                 "figures only; build columns then read 0)");
  CLI11_PARSE(app, argc, argv);

  std::vector<Row> rows;
  auto run = [&](const std::string& name, auto build, int dijkstra_samples,
                 const std::string& keep = "") {
    std::string path =
        keep.empty() ? tmp + "/ncc-bench-" + std::to_string(getpid()) + ".graph" : keep;
    Row row;
    row.name = name;
    if (!keep.empty() && RoadGraph::Load(keep).ok()) {
      std::cerr << "reusing " << keep << "\n";
      row.build.ok = true;
    } else {
      std::cerr << "building " << name << "...\n";
      row.build = BuildInChild(path, build);
    }
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
    if (keep.empty()) std::remove(path.c_str());
    rows.push_back(row);
  };
  std::vector<std::string> extracts;
  if (!skip_extracts)
    extracts = {"monaco.osm.pbf", "andorra.osm.pbf", "sf-north-2020.osm",
                "helsinki-centre.osm.pbf"};
  for (const std::string& f : extracts) {
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
        20, synthetic_graph);
  }
  std::string table = Table(rows);
  std::cout << table;
  if (!out.empty()) std::ofstream(out) << table;
  return 0;
}
