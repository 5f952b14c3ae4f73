// One report, computed: every figure of `ncc report` for one data folder (or simulator run),
// and the side-by-side of `ncc compare`. Assembles the pure figures of figures.h; draws
// nothing (html.h does). Any thread; a Report is immutable once built.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "report/figures.h"
#include "report/run_info.h"

namespace ncc::routing {
class RoadGraph;
}

namespace ncc::report {

struct ReportOptions {
  Window window;  // incidents created in [from, to); open ends: the log's own span
  BootstrapOptions bootstrap;
  int series_buckets = 240;
  const dispatch::PlanSet* plans = nullptr;   // null: no SLA section
  const routing::RoadGraph* graph = nullptr;  // null: the heat map has no roads
  std::string plans_source, graph_source;     // named in the report
};

// A point with a count, for the heat map (incidents in one grid cell).
struct HeatCell {
  int x = 0, y = 0, count = 0;
};
struct HeatMap {
  double min_lat = 0, max_lat = 0, min_lon = 0, max_lon = 0;
  int columns = 0, rows = 0, max_count = 0;
  std::vector<HeatCell> cells;
  std::vector<std::array<LatLon, 2>> roads;  // road segments inside the box (with --graph)
  size_t incidents = 0, without_location = 0;
  SeqRange seqs;
};

struct Report {
  std::string source;  // the folder read
  std::optional<RunInfo> run;
  std::shared_ptr<const LogContent> content;
  Window window;  // resolved: both ends set
  Selection selection;
  std::vector<GroupSummary> nfpa;
  std::array<std::vector<double>, kMeasureCount> samples;  // every incident of the window
  Series series;
  HeatMap heat;
  Utilisation utilisation;
  std::vector<SlaRow> sla;
  ReportOptions options;
};

// Computes every figure. `content` is shared: the selection points into it.
Report BuildReport(std::string source, std::shared_ptr<const LogContent> content,
                   std::optional<RunInfo> run, const ReportOptions& options);

HeatMap BuildHeatMap(const std::vector<IncidentMeasures>& incidents,
                     const routing::RoadGraph* graph, int columns);

// The "all" row as one line of JSON for scripts (what `ncc report` prints to stdout):
// {"incidents":N,"seq_first":..,"seq_last":..,"excluded_rows":..,"first_unit_travel_p50_s":..,
//  "first_unit_travel_p90_s":..,"first_unit_travel_p90_ci_s":[lo,hi],"first_unit_travel_within_pct":..,
//  ... the same for call_processing, turnout, total_response, full_alarm_travel}; null: no samples.
std::string SummaryJson(const Report& report);

// --- ncc compare ----------------------------------------------------------------------------

struct Difference {
  std::string group;  // "all", "priority=1", ...
  Measure measure = Measure::kTravel;
  double percentile = 90;
  std::optional<double> a, b;
  std::optional<Interval> ci;  // of b - a
};

// P50 and P90 of every measure, for "all" and each agency and priority group both runs have.
std::vector<Difference> CompareRuns(const Report& a, const Report& b,
                                    const BootstrapOptions& bootstrap);

// The short text table `ncc compare` prints: the "all" rows, one measure and percentile a line.
std::string CompareText(const Report& a, const Report& b, const std::vector<Difference>& diffs);

}  // namespace ncc::report
