// The operation plan document: the JSON a planner writes (or the console sends) to define or
// revise a plan, and the JSON every reader gets back. Sectors are GeoJSON Polygon geometries
// ([lon, lat] positions, one outer ring); times ISO-8601 with a zone or epoch milliseconds.
// docs/plans.md describes every field; config/operations/ holds an example.
//
// Pure functions (no I/O): any thread.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "core/operation_plan.h"
#include "core/status.h"

namespace ncc::plan {

// Reads a plan definition. Unknown fields, wrong types and oversized lists are refused
// (kMalformed naming the field path, e.g. "tasks[3].after[0]"); references between the parts
// and the agencies are decide's to check (core/decide_plan.cc).
StatusOr<OperationPlan> ReadPlanDocument(const nlohmann::json& document);
// The same from text (the JSON parser's refusals are kMalformed too).
StatusOr<OperationPlan> ParsePlanDocument(std::string_view text);

// The definition alone, as ReadPlanDocument reads it (a template copied into a new plan, an
// export a planner edits and sends back).
nlohmann::json PlanDocument(const OperationPlan& plan);

// The whole record: the definition, its lifecycle (status, revision, approvals, times) and each
// task's, phase's and point's progress.
nlohmann::json PlanJson(const OperationPlan& plan);

}  // namespace ncc::plan
