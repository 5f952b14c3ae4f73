// What readers look at in a plan: its progress against the plan (late tasks, blocked
// dependencies, sectors without their planned units), the synchronization matrix (phases as
// columns, participating agencies as rows, each cell its tasks) and ICS-202/203/204-style
// forms, as JSON and as self-contained HTML pages (no script, no external reference; every
// text escaped). Pure functions over a World the caller holds (the engine's read lock).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/world.h"

namespace ncc::plan {

// How far a posted unit may stand from its post and still count as there (outside its
// sector polygon too).
inline constexpr double kPostToleranceMeters = 300;

struct PostingGap {
  std::string sector, phase, agency, unit;
  std::string why;  // "no such unit", "committed to incident 12", "1.4 km from its post"...
};

struct Progress {
  size_t tasks = 0, done = 0, in_progress = 0, held = 0, cancelled = 0;
  std::vector<std::string> late;     // open tasks past their deadline at `now`
  std::vector<std::string> blocked;  // planned tasks whose predecessors have not ended
  std::vector<PostingGap> gaps;      // postings of running phases not met
  std::string phase;                 // the phase running now (the last started, not ended)
};

// Why `posting` is not met now ("no such unit", "committed to incident 12", "1.4 km from its
// post, outside sector A"), or "" when its unit is free and stands at its post or in its sector.
std::string PostingProblem(const OperationPlan& plan, const PlanPosting& posting,
                           const World& world);

bool IsLate(const PlanTask& task, Time now);
bool IsBlocked(const OperationPlan& plan, const PlanTask& task);
Progress MeasureProgress(const OperationPlan& plan, const World& world, Time now);
nlohmann::json ProgressJson(const Progress& progress);

// Rows are the participants (owner first), columns the phases in plan order plus "" for
// tasks of no phase (templates); cells hold task indexes into plan.tasks.
struct SyncMatrix {
  std::vector<std::string> rows;
  std::vector<std::string> columns;
  std::vector<std::vector<std::vector<size_t>>> cells;  // [row][column] -> tasks
};
SyncMatrix BuildMatrix(const OperationPlan& plan);
nlohmann::json MatrixJson(const OperationPlan& plan, Time now);

// The matrix as a page (task status colours, late and blocked marked, the next deadline per
// cell), for the screen and for print/PDF.
std::string MatrixHtml(const OperationPlan& plan, const World& world, Time now);
// ICS-202 (objectives, period), ICS-203 (organisation: agencies and their units in the plan)
// and ICS-204 (assignments per sector and phase: tasks and postings) on one printable page.
std::string FormsHtml(const OperationPlan& plan, const World& world, Time now);

}  // namespace ncc::plan
