// `ncc serve --config FILE`: every option of a command settable from a file (docs/operations.md).
// CLI11 reads the file (its TOML reader: `key = value`, `# comments`, arrays `[a, b]`) and checks
// and converts each value with the option's own validators; this adds what CLI11 does not do
// for a subcommand: it applies the file after the command line (a flag given there wins), and it
// refuses, before anything is applied, a key the command does not know, a key set twice, a
// section or dotted key, and keys that are not options of a file (help, config), naming
// FILE:LINE and the key. Nothing in a file is ever ignored silently.
// Owner: src/service. Thread: the main thread, once, after the command line is parsed and before
// the command runs. Errors: Unavailable when the file cannot be read; InvalidArgument naming
// "FILE:LINE" and the key (also the Status's field) for anything refused.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace CLI {
class App;
}

namespace ncc::service {

// Reads `path` and applies it to `command` (see above). `command` has been parsed already.
Status ApplyConfigFile(CLI::App& command, const std::string& path);

// The same on a file's text; `file` only names it in messages (tests, fuzzing).
Status ApplyConfigText(CLI::App& command, std::string_view file, std::string_view text);

// 1-based numbers of the lines of `text` that set `key` ("name", or "section.name" for a key
// under [section]), read the way CLI11's reader reads lines; empty when none does.
std::vector<int> LinesOfKey(std::string_view text, std::string_view key);

}  // namespace ncc::service
