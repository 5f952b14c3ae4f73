// `ncc projections --store postgres:URL [--shard NAME] [--rebuild] [--once]`: the PostGIS
// tables of a shard's log for analysts (postgis_projections.h, docs/store-postgres.md).
// Without --once it follows the log until SIGINT/SIGTERM. Exit codes: 0 done (or stopped),
// 2 the command could not run (a bad --store, no server, no PostGIS), naming why on stderr.
#pragma once

#include <CLI/CLI.hpp>

namespace ncc::projections {

void AddProjectionCommands(CLI::App& app);

}  // namespace ncc::projections
