// The routing subcommands of the `ncc` command line:
//   import-osm FILE --out FILE.graph
//   route --graph G FROM TO                       (FROM/TO as lat,lon; prints JSON)
//   route --graph G --pairs FILE [--algorithm ch|dijkstra]
//     one query per line "lat,lon lat,lon" -> "seconds meters", "unreachable" or "error: ...";
//     total query time on stderr.
// Failures exit with a non-zero code through CLI::RuntimeError.
#pragma once

#include <CLI/CLI.hpp>

namespace ncc::routing {

void AddRoutingCommands(CLI::App& app);

}  // namespace ncc::routing
