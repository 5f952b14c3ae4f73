#include "sim/cli.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <memory>

#include "core/json_writer.h"
#include "sim/run.h"

namespace ncc::sim {
namespace {

struct SimArgs {
  RunConfig run;
  std::string data = "../shared/data";
};

void ShowProgress(const SimProgress& p, bool tty) {
  static int last_decile = -1;
  double f = p.calls ? double(p.calls_done) / p.calls : 1;
  std::string when = FormatTime(p.virtual_now).substr(0, 16);
  if (tty) {
    int filled = static_cast<int>(f * 30);
    std::fprintf(stderr, "\r[%-30s] %5.1f%%  %s UTC  %zu/%zu calls  %llu events",
                 std::string(static_cast<size_t>(filled), '#').c_str(), f * 100, when.c_str(),
                 p.calls_done, p.calls, static_cast<unsigned long long>(p.events));
    if (p.calls_done == p.calls) std::fprintf(stderr, "\n");
    return;
  }
  int decile = static_cast<int>(f * 10);
  if (decile == last_decile) return;
  last_decile = decile;
  std::fprintf(stderr, "sim: %3d%%  virtual %s UTC  %zu/%zu calls  %llu events\n", decile * 10,
               when.c_str(), p.calls_done, p.calls, static_cast<unsigned long long>(p.events));
}

void Run(SimArgs& a) {
  // stdout carries the run's one line of JSON only: the log goes to stderr.
  spdlog::set_default_logger(spdlog::stderr_color_mt("ncc-sim"));
  RunConfig c = a.run;
  if (c.calls.empty() && c.from_log.empty())
    c.calls = a.data + "/calls/sf_fire_calls_for_service_2020-04.csv";
  if (c.out.empty()) c.out = "var/sim/" + c.policy + "-seed" + std::to_string(c.seed);
  const bool tty = ::isatty(2);
  c.progress = [tty](const SimProgress& p) { ShowProgress(p, tty); };
  auto outcome = RunSimulation(c);
  if (!outcome.ok()) {
    std::cerr << "ncc sim: " << outcome.status().ToString() << "\n";
    throw CLI::RuntimeError(outcome.status().code() == StatusCode::kInvalidArgument ? 2 : 1);
  }
  std::cout << outcome->json.dump() << std::endl;
}

}  // namespace

void AddSimCommands(CLI::App& app) {
  auto args = std::make_shared<SimArgs>();
  auto* cmd = app.add_subcommand(
      "sim", "Simulate real calls on real roads under a dispatch policy, deterministically");
  RunConfig& r = args->run;
  cmd->add_option("--graph", r.graph, "Road graph from `ncc import-osm`")->required();
  cmd->add_option(
      "--calls", r.calls,
      "Calls-for-service CSV (default: DIR/calls/sf_fire_calls_for_service_2020-04.csv)");
  cmd->add_option(
      "--mapping", r.mapping,
      "Mapping file of the CSV (default: the repository's config/mappings/sf-fire.json)");
  cmd->add_option("--from-log", r.from_log,
                  "Take the calls recorded in an ncc data folder's log instead of a CSV");
  cmd->add_option("--policy", r.policy, "ncc | ncc+moveup | nearest-straight-line | historical")
      ->capture_default_str();
  cmd->add_option("--seed", r.seed, "Seed of the draws for intervals a row lacks")
      ->capture_default_str();
  cmd->add_option("--speed", r.speed, "Pace at X times real time (0: as fast as possible)")
      ->capture_default_str();
  cmd->add_option("--data", args->data, "Folder of the real data (calls/, osm/)")
      ->capture_default_str();
  cmd->add_option("--out", r.out,
                  "Run folder: a normal ncc data folder plus run.json (default: "
                  "var/sim/POLICY-seedS)");
  cmd->add_flag("--overwrite", r.overwrite, "Replace an earlier run in --out");
  cmd->add_option("--limit-calls", r.limit_calls, "Only the first N calls (0: all)")
      ->capture_default_str();
  cmd->callback([args] { Run(*args); });
}

}  // namespace ncc::sim
