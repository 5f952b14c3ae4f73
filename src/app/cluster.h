// `ncc cluster status --store postgres:URL [--shard NAME] [--json]`: who writes a shard and who
// follows it, read from the database (the lease row and the node rows of app/failover.h): the
// writer node, its epoch and how long its lease runs, and each node's role, epoch, last seq,
// advertised URL and the age of its report. Reads only (the schema is created if missing, as
// every node does). Exit codes: 0 printed, 2 the store could not be read (named on stderr).
#pragma once

#include <CLI/CLI.hpp>

namespace ncc {

void AddClusterCommands(CLI::App& app);

}  // namespace ncc
