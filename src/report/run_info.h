// A simulator run's own summary, RUN/run.json: one line of JSON written by `ncc sim` beside the
// data folder it filled. The report shows it next to what it computed from the log itself.
// Fields read (others are allowed and ignored): policy, seed, calls, events, seconds,
// first_unit_travel_p50_s, first_unit_travel_p90_s, within_240s_pct (numbers, or null when the
// run measured none; the key must be there), log_digest.
//
// Pure; any thread. Errors: kMalformed naming the field ("run.json: seed: must be an integer").
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace ncc::report {

struct RunInfo {
  std::string policy;
  int64_t seed = 0;
  int64_t calls = 0, events = 0;
  double seconds = 0;
  std::optional<double> first_unit_travel_p50_s, first_unit_travel_p90_s, within_240s_pct;
  std::string log_digest;
};

// Parses the text of a run.json (its first line; trailing white space allowed).
StatusOr<RunInfo> ParseRunInfo(std::string_view text);

// DIR/run.json if the folder has one (nullopt when it has none), else its parse error.
StatusOr<std::optional<RunInfo>> LoadRunInfo(const std::string& dir);

}  // namespace ncc::report
