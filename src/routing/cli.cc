#include "routing/cli.h"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "routing/importer.h"
#include "routing/routing_service.h"

namespace ncc::routing {
namespace {

StatusOr<LatLon> ParseLatLon(const std::string& text, const std::string& field) {
  LatLon p;
  char comma = 0;
  std::istringstream in(text);
  if (!(in >> p.lat >> comma >> p.lon) || comma != ',' || !(in >> std::ws).eof())
    return InvalidArgument("expected lat,lon but got '" + text + "'", field);
  NCC_RETURN_IF_ERROR(ValidateLatLon(p, field));
  return p;
}

[[noreturn]] void Fail(const Status& s) {
  std::cerr << "error: " << s.ToString() << "\n";
  throw CLI::RuntimeError(1);
}

struct RouteArgs {
  std::string graph, from, to, pairs, algorithm = "ch";
  double max_snap = 500;
};

void RunPairs(const RoutingService& service, const RouteArgs& args, Algorithm algo) {
  std::ifstream in(args.pairs);
  if (!in) Fail(NotFound("cannot open pairs file " + args.pairs, "pairs"));
  std::string line;
  double total_ms = 0;
  size_t queries = 0;
  std::string out;
  char buf[64];
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string a, b;
    if (!(fields >> a >> b)) {
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;  // blank line
      out += "error: expected 'lat,lon lat,lon'\n";
      continue;
    }
    auto pa = ParseLatLon(a, "from");
    auto pb = ParseLatLon(b, "to");
    if (!pa.ok() || !pb.ok()) {
      out += "error: " + (pa.ok() ? pb.status() : pa.status()).ToString() + "\n";
      continue;
    }
    auto t0 = std::chrono::steady_clock::now();
    auto r = service.RouteBetween(*pa, *pb, algo, false);
    total_ms +=
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    ++queries;
    if (r.ok()) {
      std::snprintf(buf, sizeof buf, "%.1f %.1f\n", r->cost.time_ms / 1000.0,
                    r->cost.length_dm / 10.0);
      out += buf;
    } else if (r.status().code() == StatusCode::kNotFound) {
      out += "unreachable\n";
    } else {
      out += "error: " + r.status().ToString() + "\n";
    }
  }
  std::cout << out;
  std::fprintf(stderr, "%zu queries (%s, snapping included) in %.3f ms total, %.4f ms each\n",
               queries, args.algorithm.c_str(), total_ms, queries ? total_ms / queries : 0.0);
}

}  // namespace

void AddRoutingCommands(CLI::App& app) {
  auto import_input = std::make_shared<std::string>();
  auto import_out = std::make_shared<std::string>();
  auto quiet = std::make_shared<bool>(false);
  CLI::App* imp = app.add_subcommand(
      "import-osm", "Build a routable graph (with contraction hierarchy) from an OSM extract");
  imp->add_option("input", *import_input, "OSM file: .osm.pbf, .osm, .osm.gz, .osm.bz2")
      ->required();
  imp->add_option("--out", *import_out, "graph file to write")->required();
  imp->add_flag("--quiet", *quiet, "no progress or summary");
  imp->callback([=] {
    ImportOptions opt;
    opt.show_progress = !*quiet;
    auto sum = ImportOsmToFile(*import_input, *import_out, opt);
    if (!sum.ok()) Fail(sum.status());
    if (!*quiet) std::cerr << sum->ToString() << "\n";
  });

  auto verify_path = std::make_shared<std::string>();
  CLI::App* graph = app.add_subcommand("graph", "Graph file tools");
  graph->require_subcommand(1);
  CLI::App* verify = graph->add_subcommand(
      "verify", "Check a graph file completely: header, every section checksum, structure");
  verify->add_option("file", *verify_path, "graph file")->required();
  verify->callback([verify_path] {
    auto t0 = std::chrono::steady_clock::now();
    auto g = RoadGraph::Load(*verify_path);
    if (!g.ok()) Fail(g.status());
    auto t1 = std::chrono::steady_clock::now();
    Status s = (*g)->Verify();
    if (!s.ok()) Fail(s);
    auto ms = [](auto a, auto b) {
      return std::chrono::duration<double, std::milli>(b - a).count();
    };
    std::fprintf(stderr, "ok: %u nodes, %u edges, %llu bytes; load %.2f ms, verify %.1f ms\n",
                 (*g)->node_count(), (*g)->edge_count(),
                 static_cast<unsigned long long>((*g)->file_bytes()), ms(t0, t1),
                 ms(t1, std::chrono::steady_clock::now()));
  });

  auto args = std::make_shared<RouteArgs>();
  CLI::App* route = app.add_subcommand("route", "Fastest route(s) over a graph file");
  route->add_option("--graph", args->graph, "graph file from import-osm")->required();
  route->add_option("from", args->from, "start as lat,lon");
  route->add_option("to", args->to, "destination as lat,lon");
  route->add_option("--pairs", args->pairs, "file with one 'lat,lon lat,lon' query per line");
  route->add_option("--algorithm", args->algorithm, "ch (default) or dijkstra")
      ->check(CLI::IsMember({"ch", "dijkstra"}));
  route->add_option("--max-snap", args->max_snap, "metres to the nearest road, at most");
  route->callback([args] {
    // A one-shot command verifies the whole file before answering (a server does it in the
    // background instead).
    auto service = RoutingService::Open(args->graph,
                                        RoutingOptions{args->max_snap, GraphVerification::kAtOpen});
    if (!service.ok()) Fail(service.status());
    Algorithm algo = args->algorithm == "dijkstra" ? Algorithm::kDijkstra : Algorithm::kCh;
    if (!args->pairs.empty()) return RunPairs(**service, *args, algo);
    if (args->from.empty() || args->to.empty())
      Fail(InvalidArgument("give FROM and TO (lat,lon) or --pairs FILE", "from"));
    auto a = ParseLatLon(args->from, "from");
    if (!a.ok()) Fail(a.status());
    auto b = ParseLatLon(args->to, "to");
    if (!b.ok()) Fail(b.status());
    auto r = (*service)->Route(*a, *b);
    if (!r.ok()) Fail(r.status());
    std::cout << r->dump() << "\n";
  });
}

}  // namespace ncc::routing
