// The what-if of an operation plan before go-live (issue 15 item 4, docs/sim.md "What-if of an
// operation plan"): `ncc sim --operation FILE` runs real call load over the plan's period twice
// with the same seed and policy, once as the city is (baseline) and once with the plan's
// postings pre-positioning the units per phase, and reports per sector and phase the first
// unit's travel (p50, p90, count, share within 240 s) and the coverage of each sector by an
// engine and by an ambulance within 4 minutes, sampled every 5 minutes of virtual time.
//
// Call load: the plan's period mapped onto a real day of the data (by default the first day of
// the data on the plan's weekday, at the same time of day), its calls shifted by the difference
// so they arrive during the plan's phases. The calls are real; only their dates move.
//
// Owner: src/sim. Thread: the caller's. Errors: the plan file's (naming the field), a period
// the data does not hold (naming `calls-from`), and those of RunSimulation.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/operation_plan.h"
#include "sim/run.h"

namespace ncc::sim {

struct WhatIfConfig {
  RunConfig run;          // graph, calls or from_log, mapping, policy, seed; out: the what-if
  std::string operation;  // the plan file (docs/plans.md)
  Time calls_from;        // the real moment the plan's start is mapped onto; zero: by weekday
  int64_t sample_every_s = 300;
  double minutes = 4;  // coverage: reachable within this by road
};

// The plan's calls: the rows received in [from, from + the plan's length), every time shifted
// by `shift_ms` (= plan start - from). `from` zero picks the first moment in the data with the
// plan start's weekday and UTC time of day from which the whole period lies in the data.
struct PeriodCalls {
  std::vector<UnitResponse> rows;
  Time from;
  int64_t shift_ms = 0;
  size_t calls = 0;
};
StatusOr<PeriodCalls> CallsOverPeriod(const std::vector<UnitResponse>& rows, Time plan_start,
                                      Time plan_end, Time from);

// Each posting over its phase's planned times (postings of a phase without times are left out).
std::vector<SimPosting> PostingsOf(const OperationPlan& plan);

// One coverage zone per sector and capability (engine, ambulance), id "SECTOR/capability":
// demand points every `spacing_m` inside the sector, kept on a road within 150 m.
std::vector<dispatch::CoverageZone> SectorZones(const OperationPlan& plan,
                                                const routing::RoutingService& routing,
                                                double minutes, double spacing_m = 100);

// Figures per sector (and "*", every simulated call) and phase (and "*", the whole period) of
// the two runs: the comparison as JSON (pure; the what-if's tests call it on a small case).
nlohmann::json CompareRuns(const OperationPlan& plan, const SimFigures& baseline,
                           const SimFigures& with_plan);

// The report as one self-contained page (inline style and SVG, no script; every text escaped).
std::string WhatIfHtml(const nlohmann::json& report);

// Both runs (OUT/baseline, OUT/plan: ordinary run folders), then OUT/whatif.json,
// OUT/whatif.html and OUT/matrix.html (the plan's synchronization matrix). Returns the report.
StatusOr<nlohmann::json> RunWhatIf(const WhatIfConfig& config);

}  // namespace ncc::sim
