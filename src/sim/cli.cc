#include "sim/cli.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <memory>

#include "core/json_writer.h"
#include "sim/run.h"
#include "sim/whatif.h"

namespace ncc::sim {
namespace {

struct SimArgs {
  RunConfig run;
  std::string data = "../shared/data";
  std::string operation, calls_from;  // the what-if of a plan (whatif.h)
  int64_t sample_every_s = 300;
};

[[noreturn]] void Fail(const Status& s) {
  std::cerr << "ncc sim: " << s.ToString() << "\n";
  throw CLI::RuntimeError(
      s.code() == StatusCode::kInvalidArgument || s.code() == StatusCode::kMalformed ? 2 : 1);
}

// `--operation FILE`: both runs, the report's one line of JSON on stdout.
void RunOperation(SimArgs& a, RunConfig c) {
  WhatIfConfig w;
  w.operation = a.operation;
  w.sample_every_s = a.sample_every_s;
  if (!a.calls_from.empty() && !ParseTime(a.calls_from, w.calls_from))
    Fail(InvalidArgument("not an ISO-8601 time: " + a.calls_from, "calls-from"));
  if (a.run.out.empty()) c.out = "var/sim/whatif-" + c.policy + "-seed" + std::to_string(c.seed);
  w.run = std::move(c);
  auto report = RunWhatIf(w);
  if (!report.ok()) Fail(report.status());
  std::cout << report->dump() << std::endl;
}

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
  if (!a.operation.empty()) {
    if (c.shards != 0)
      Fail(
          InvalidArgument("--shards is for a plain run, not the what-if of --operation", "shards"));
    return RunOperation(a, std::move(c));
  }
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
  cmd->add_option("--shards", r.shards,
                  "Split the fleet and calls into K regional shards with mutual aid across them "
                  "(docs/sharding.md; 0: one centre, no sharding figures)")
      ->capture_default_str();
  cmd->add_option("--shard-aid", r.shard_aid,
                  "when-short (a shard asks the others only for what it cannot fill) | closest "
                  "(every shard sees all units and sends the best)")
      ->capture_default_str();
  cmd->add_option("--operation", args->operation,
                  "What-if of an operation plan file: its period with and without its postings "
                  "(OUT/whatif.html, OUT/whatif.json, OUT/matrix.html)");
  cmd->add_option("--calls-from", args->calls_from,
                  "With --operation: the real moment the plan's start maps onto (default: the "
                  "first day of the calls on the plan's weekday, same time of day)");
  cmd->add_option("--sample-every", args->sample_every_s,
                  "With --operation: seconds of virtual time between coverage samples")
      ->capture_default_str();
  cmd->callback([args] { Run(*args); });
}

}  // namespace ncc::sim
