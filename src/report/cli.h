// `ncc report` and `ncc compare`: after-action and performance reports from a data folder's
// event log (read-only), written as one self-contained HTML file (docs/report.md).
// Exit codes: 0 written, 2 the command could not run (no such folder, not a data folder, a
// damaged log, a bad option or run.json), naming what is wrong on stderr.
#pragma once

#include <CLI/CLI.hpp>

namespace ncc::report {

void AddReportCommands(CLI::App& app);

}  // namespace ncc::report
