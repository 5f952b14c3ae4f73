// One simulation run from files to figures, as `ncc sim` and the tests do it: read the calls
// (through a mapping file, or from a real ncc log with --from-log), keep those on the graph's
// roads (the area rule), open the run folder as a normal ncc data folder (event log, snapshots,
// track store) on a virtual clock, run the policy, and write RUN/run.json: the same one line of
// JSON the command prints last.
//
// Owner: src/sim. Thread: the caller's. Errors: the first failure, naming the file and field
// (a mapping column not in the header, a mapping without locations, an unknown policy, a run
// folder that already holds a log).
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sim/call_mapping.h"
#include "sim/simulator.h"

namespace ncc::sim {

struct RunConfig {
  std::string graph, calls, mapping, from_log, out;
  std::string policy = "ncc+moveup";
  uint64_t seed = 1;
  double speed = 0;        // > 0: paced at `speed` times real time (still a virtual clock)
  bool overwrite = false;  // replace an earlier run in `out`
  size_t limit_calls = 0;  // 0: all; else only the first N calls (tests, quick looks)
  // > 0: the fleet and calls split into this many regional shards (sharding.h), with mutual
  // aid by `shard_aid`; run.json gets a "sharding" object.
  int shards = 0;
  std::string shard_aid = "when-short";
  std::function<void(const SimProgress&)> progress;
  // The what-if (whatif.h): these calls instead of reading them (quarters from `all_rows`),
  // and the plan's postings and coverage samples (SimOptions).
  const std::vector<UnitResponse>* rows = nullptr;
  const std::vector<UnitResponse>* all_rows = nullptr;
  std::vector<SimPosting> postings;
  std::vector<dispatch::CoverageZone> sample_zones;
  int64_t sample_every_ms = 0;
  Time sample_from, sample_to;
};

struct RunOutcome {
  SimFigures figures;
  nlohmann::json json;  // figures plus the input counts and the data's own travel figures
};

StatusOr<RunOutcome> RunSimulation(const RunConfig& config);

// The calls recorded in an ncc log (DATA/events.db) as unit responses: each incident_created a
// call, each unit_assigned a response whose times are the unit's logged steps for that
// incident; the same rows a mapping gives, so they run through the same simulator.
StatusOr<std::vector<UnitResponse>> CallsFromLog(const std::string& data_dir);

// Reads calls as `config` says (mapping or log) without running anything.
StatusOr<std::vector<UnitResponse>> ReadCalls(const RunConfig& config, MappedReadStats* stats);

// The first `n` calls of `rows` (by first appearance); every row of each.
std::vector<UnitResponse> FirstCalls(std::vector<UnitResponse> rows, size_t n);

}  // namespace ncc::sim
