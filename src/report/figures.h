// The report's figures as pure functions over incident timelines (timeline.h): no I/O, no
// clock, no HTML (html.h draws them). Any thread.
//
// Measures, per incident, from its unit response rows that pass the data-quality rules:
//  - call processing  = first unit assigned - incident created            (NFPA 1225: 60 s)
//  - turnout          = the first-arriving unit's en route - its assigned  (NFPA 1710: 60 s
//                       EMS, i.e. types medical.*; 80 s for every other type)
//  - first-unit travel= the first-arriving unit's on scene - its en route  (NFPA 1710: 240 s)
//  - total response   = first unit on scene - incident created
//  - full-alarm travel= fire.* incidents whose initial assignment (rows assigned within 60 s of
//                       the first) has 2 or more units with en route and on scene: the largest
//                       travel among them                                  (NFPA 1710: 480 s)
// The first-arriving unit is the valid row with the earliest on scene; a measure it cannot give
// (no en route logged) is left out for that incident, never filled in.
//
// Data quality: each row is checked against the rules of kRules in order; the first rule it
// breaks names why it is excluded, and the whole row is left out of every figure (never
// reordered or "flipped"). No sample is trimmed before a percentile is taken.
#pragma once

#include <array>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "dispatch/plans.h"
#include "report/stats.h"
#include "report/timeline.h"

namespace ncc::report {

// --- data quality ---------------------------------------------------------------------------

enum class QualityRule {
  kStepWithoutAssignment,  // an en route / on scene step for a unit never assigned to it
  kDispatchBeforeCall,     // assigned earlier than the incident was created
  kEnRouteBeforeDispatch,  // en route earlier than assigned
  kOnSceneBeforeDispatch,  // on scene earlier than assigned
  kOnSceneBeforeEnRoute,   // on scene earlier than en route
  kClearedBeforeStep,      // cleared earlier than a step it reached
};
inline constexpr int kQualityRuleCount = 6;

struct QualityRuleInfo {
  QualityRule rule;
  const char* name;  // stable, e.g. "en_route_before_dispatch"
  const char* text;
};
extern const std::array<QualityRuleInfo, kQualityRuleCount> kRules;

// The first rule `row` of `incident` breaks, or nullopt when it passes all.
std::optional<QualityRule> BrokenRule(const IncidentTimeline& incident, const UnitResponseRow& row);

struct QualityExample {
  IncidentId incident;
  std::string callsign;
  SeqRange seqs;
};

struct QualityReport {
  uint64_t rows = 0, excluded = 0;
  std::array<uint64_t, kQualityRuleCount> by_rule{};
  std::array<std::vector<QualityExample>, kQualityRuleCount> examples;  // the first few
  // Gaps (kept, but a measure that needs the missing step is not taken for that row):
  uint64_t on_scene_without_en_route = 0, never_on_scene = 0, incidents_without_rows = 0;
  SeqRange seqs;
};

// --- measures -------------------------------------------------------------------------------

enum class Measure { kCallProcessing, kTurnout, kTravel, kTotal, kFullAlarm };
inline constexpr int kMeasureCount = 5;

struct MeasureInfo {
  Measure measure;
  const char* name;   // "first_unit_travel"
  const char* label;  // "En route → on scene (first-unit travel)"
  const char* standard;
};
extern const std::array<MeasureInfo, kMeasureCount> kMeasures;

// The NFPA target of `measure` for an incident of `type`, in seconds.
double NfpaTarget(Measure measure, const std::string& type);

// One incident's measures (seconds), from its valid rows.
struct IncidentMeasures {
  const IncidentTimeline* incident = nullptr;
  std::array<std::optional<double>, kMeasureCount> seconds;
  SeqRange seqs;  // the incident's events
};

// The window of a report: incidents created in [from, to) (Time{0}: open-ended).
struct Window {
  Time from, to;
  bool Contains(Time t) const { return (!from.ms || t >= from) && (!to.ms || t < to); }
};

// Incidents of `content` in `window`, with the data-quality verdict of every row.
struct Selection {
  std::vector<IncidentMeasures> incidents;
  QualityReport quality;
};
Selection Select(const LogContent& content, const Window& window);

// --- the NFPA table -------------------------------------------------------------------------

struct Summary {
  size_t n = 0;
  std::optional<double> p50, p90, within_pct;  // within: % of incidents meeting their target
  std::optional<Interval> p50_ci, p90_ci;
  double target_s = 0;  // the group's target; with mixed targets (turnout) the larger one
  bool mixed_targets = false;
  SeqRange seqs;
};

// A group of incidents: "all", "agency=sffd", "type=fire.structure", "priority=1".
struct GroupSummary {
  std::string group;
  std::array<Summary, kMeasureCount> measures;
};

// All, then by agency, by type, by priority (each in order of size, largest first).
std::vector<GroupSummary> NfpaTable(const Selection& selection, const BootstrapOptions& bootstrap);

// The samples of one measure over a set of incidents (for CDFs and comparisons).
std::vector<double> Samples(const std::vector<IncidentMeasures>& incidents, Measure measure);
Summary Summarise(const std::vector<const IncidentMeasures*>& incidents, Measure measure,
                  const BootstrapOptions& bootstrap, const std::string& label);

// --- time series, utilisation, SLA ----------------------------------------------------------

struct SeriesPoint {
  Time time;
  int open_incidents = 0, available_units = 0;
};
struct Series {
  std::vector<SeriesPoint> points;  // the counts at the end of each of `buckets` equal spans
  int max_open = 0;                 // the most incidents open at once in the window
  int min_available = 0;            // the fewest units available right after one was taken
  SeqRange seqs;
};
// Counts over [from, to) (both set: the caller resolves an open window to the log's span).
Series OpenVersusAvailable(const LogContent& content, Time from, Time to, int buckets);

struct UnitUse {
  const UnitRecord* unit = nullptr;
  double busy_s = 0;  // assigned -> cleared (or the window's end), clipped to the window
  double fraction = 0;
  int responses = 0;
};
struct Utilisation {
  std::vector<UnitUse> units;                  // busiest first
  std::map<std::string, double> mean_by_kind;  // mean fraction of that kind's units
  double window_s = 0;
  SeqRange seqs;
};
// Every valid row of the log that overlaps [from, to), whatever incident it belongs to; a row
// not cleared counts until `to`; a unit registered after `from` counts from its registration.
Utilisation UnitUtilisation(const LogContent& content, Time from, Time to);

// Compliance with the response plans' time targets, the steps as the dispatch room's SLA
// timers measure them (dispatch/service.cc OverdueSteps): call -> first assigned, first assigned
// -> first en route, first en route -> first on scene, over every valid row.
struct SlaStep {
  int target_s = 0;
  uint64_t met = 0, missed = 0, not_reached = 0, escalations_logged = 0;
};
struct SlaRow {
  std::string plan;  // plan type, e.g. "fire.structure"
  int priority = 0;
  std::array<SlaStep, 3> steps;  // dispatch, en_route, on_scene
  SeqRange seqs;
};
inline constexpr std::array<const char*, 3> kSlaSteps = {"dispatch", "en_route", "on_scene"};
std::vector<SlaRow> SlaCompliance(const Selection& selection, const dispatch::PlanSet& plans,
                                  const std::vector<LoggedEscalation>& escalations);

}  // namespace ncc::report
