#include "app/cluster.h"

#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "store/postgres/postgres_event_log.h"
#include "store/store_spec.h"

namespace ncc {
namespace {

struct StatusOptions {
  std::string store, shard = "main";
  bool json = false;
};

void PrintText(const std::string& shard, const StatusOr<LeaseState>& lease,
               const std::vector<NodeReport>& nodes) {
  std::cout << "shard " << shard << ": ";
  if (!lease.ok())
    std::cout << "no writer has ever held it\n";
  else if (lease->remaining_ms > 0)
    std::cout << "writer " << lease->holder
              << (lease->holder_url.empty() ? "" : " (" + lease->holder_url + ")") << ", epoch "
              << lease->epoch << ", lease " << lease->remaining_ms << " ms left\n";
  else
    std::cout << "no writer now: the lease of " << lease->holder << " (epoch " << lease->epoch
              << ") ran out " << -lease->remaining_ms << " ms ago\n";
  std::printf("%-20s %-8s %6s %10s %8s  %s\n", "node", "role", "epoch", "last seq", "seen", "url");
  for (const NodeReport& n : nodes)
    std::printf("%-20s %-8s %6llu %10llu %6lldms  %s\n", n.node.c_str(), n.role.c_str(),
                static_cast<unsigned long long>(n.epoch),
                static_cast<unsigned long long>(n.last_seq), static_cast<long long>(n.age_ms),
                n.url.c_str());
}

void PrintJson(const std::string& shard, const StatusOr<LeaseState>& lease,
               const std::vector<NodeReport>& nodes) {
  nlohmann::json out = {{"shard", shard}, {"writer", nullptr}, {"nodes", nlohmann::json::array()}};
  if (lease.ok()) {
    out["lease"] = {{"holder", lease->holder},
                    {"epoch", lease->epoch},
                    {"remaining_ms", lease->remaining_ms},
                    {"url", lease->holder_url}};
    if (lease->remaining_ms > 0) out["writer"] = lease->holder;
  }
  for (const NodeReport& n : nodes)
    out["nodes"].push_back({{"node", n.node},
                            {"role", n.role},
                            {"epoch", n.epoch},
                            {"last_seq", n.last_seq},
                            {"url", n.url},
                            {"age_ms", n.age_ms}});
  std::cout << out.dump() << "\n";
}

int Run(const StatusOptions& o) {
  auto spec = ParseStoreSpec(o.store, "");
  if (!spec.ok() || spec->kind != StoreSpec::Kind::kPostgres) {
    std::cerr << "ncc cluster status: --store must be postgres:URL"
              << (spec.ok() ? "" : " (" + spec.status().message() + ")") << "\n";
    return 2;
  }
  auto log = PostgresEventLog::Open({spec->location, o.shard, "ncc-cluster-status"});
  if (!log.ok()) {
    std::cerr << "ncc cluster status: " << log.status().ToString() << "\n";
    return 2;
  }
  auto lease = (*log)->Lease();
  if (!lease.ok() && lease.status().code() != StatusCode::kNotFound) {
    std::cerr << "ncc cluster status: " << lease.status().ToString() << "\n";
    return 2;
  }
  auto nodes = (*log)->Nodes();
  if (!nodes.ok()) {
    std::cerr << "ncc cluster status: " << nodes.status().ToString() << "\n";
    return 2;
  }
  (o.json ? PrintJson : PrintText)(o.shard, lease, *nodes);
  return 0;
}

}  // namespace

void AddClusterCommands(CLI::App& app) {
  auto* cluster = app.add_subcommand("cluster", "The nodes of a shared event log");
  cluster->require_subcommand(1);
  auto opts = std::make_shared<StatusOptions>();
  auto* status = cluster->add_subcommand(
      "status", "Who writes the shard (lease, epoch, time left) and each node's role and last seq");
  status->add_option("--store", opts->store, "postgres:URL of the event log")->required();
  status->add_option("--shard", opts->shard, "Which log")->capture_default_str();
  status->add_flag("--json", opts->json, "One line of JSON instead of the table");
  status->callback([opts] {
    if (int rc = Run(*opts)) throw CLI::RuntimeError(rc);
  });
}

}  // namespace ncc
