#include "projections/cli.h"

#include <signal.h>

#include <atomic>
#include <iostream>
#include <memory>
#include <thread>

#include "projections/postgis_projections.h"
#include "store/postgres/postgres_event_log.h"
#include "store/store_spec.h"

namespace ncc::projections {
namespace {

struct Options {
  std::string store, shard = "main";
  bool rebuild = false, once = false;
};

int Fail(const Status& s) {
  std::cerr << "ncc projections: " << s.ToString() << "\n";
  return 2;
}

// SIGINT/SIGTERM are blocked in every thread (main.cc): one thread waits for them.
void StopOnSignal(std::atomic<bool>& stop) {
  std::thread([&stop] {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    int sig = 0;
    sigwait(&set, &sig);
    stop = true;
  }).detach();
}

int Run(const Options& o) {
  auto spec = ParseStoreSpec(o.store, "");
  if (!spec.ok()) return Fail(spec.status());
  if (spec->kind != StoreSpec::Kind::kPostgres)
    return Fail(InvalidArgument("projections need --store postgres:URL", "store"));
  auto log = PostgresEventLog::Open({spec->location, o.shard, "projections"});
  if (!log.ok()) return Fail(log.status());
  auto tables = Projections::Open(spec->location, o.shard);
  if (!tables.ok()) return Fail(tables.status());
  Status s = o.rebuild ? (*tables)->Rebuild(**log) : (*tables)->CatchUp(**log).status();
  if (!s.ok()) return Fail(s);
  auto at = (*tables)->seq();
  if (!at.ok()) return Fail(at.status());
  std::cout << "projections in " << (*tables)->schema() << " at seq " << at->value << "\n"
            << std::flush;
  if (o.once) return 0;
  static std::atomic<bool> stop{false};
  StopOnSignal(stop);
  s = (*tables)->Follow(**log, stop);
  return s.ok() ? 0 : Fail(s);
}

}  // namespace

void AddProjectionCommands(CLI::App& app) {
  auto opts = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "projections",
      "PostGIS tables (incidents, units, assignments, tracks) of a shard's log for analysts, "
      "kept current by following it");
  cmd->add_option("--store", opts->store, "postgres:URL of the event log")->required();
  cmd->add_option("--shard", opts->shard, "Which log")->capture_default_str();
  cmd->add_flag("--rebuild", opts->rebuild, "Drop the tables and project the whole log again");
  cmd->add_flag("--once", opts->once, "Catch up and exit instead of following");
  cmd->callback([opts] {
    if (int rc = Run(*opts)) throw CLI::RuntimeError(rc);
  });
}

}  // namespace ncc::projections
