// `ncc audit verify` and `ncc audit who`: the audit trail from the command line.
#pragma once

#include <CLI/CLI.hpp>

namespace ncc::audit {

void AddAuditCommands(CLI::App& app);

}  // namespace ncc::audit
