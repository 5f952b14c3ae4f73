// The `ncc sim` subcommand (docs/sim.md):
//   ncc sim --graph G (--calls FILE [--mapping M] | --from-log DATA) --policy P --seed S
//           [--speed X] [--data DIR] [--out RUN] [--overwrite] [--limit-calls N]
// Runs one simulation (run.h), shows progress on stderr (a bar on a terminal, plain lines
// otherwise) and prints the run's one line of JSON on stdout, also kept in RUN/run.json.
// Failures exit non-zero through CLI::RuntimeError with the error on stderr.
#pragma once

#include <CLI/CLI.hpp>

namespace ncc::sim {

void AddSimCommands(CLI::App& app);

}  // namespace ncc::sim
