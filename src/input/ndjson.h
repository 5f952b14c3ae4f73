// NDJSON request bodies (POST /api/v1/positions with Content-Type application/x-ndjson): one
// JSON value per line, each through the strict body reader. Kept out of the server so that its
// fuzz target (fuzz/positions_body_fuzz.cc) needs no server.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "core/commands.h"

namespace ncc {

// Splits `body` into lines (LF or CRLF; empty lines skipped and not counted) and parses each.
// Returns the array of the lines that parsed; `index_of` gets each one's line number and a line
// that does not parse becomes a rejection "fixes[N]" in `rejected`.
nlohmann::json ParseNdjson(std::string_view body, std::vector<Rejection>& rejected,
                           std::vector<size_t>& index_of);

}  // namespace ncc
