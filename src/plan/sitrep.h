// Situation reports: the figures generated from a World at a chosen moment, as one reader may
// see it (the caller passes the visibility filter of the server's one mechanism), and the
// report as a page and as CAP-friendly JSON. Pure functions; any thread.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "core/world.h"

namespace ncc::plan {

struct SitRepFilter {
  std::function<bool(const Incident&)> incident;
  std::function<bool(const Unit&)> unit;
  std::function<bool(const OperationPlan&)> plan;
};

// Incidents open at `at` by status, type, priority and (with a plan) sector; units per agency
// available / committed / out of service; the plan's progress; significant items (open
// priority-1 incidents, decision points fired, overdue tasks), each list capped.
nlohmann::json SitRepFigures(const World& world, Time at, uint64_t plan, const SitRepFilter& see);

// The report with its figures read back as JSON, and the header CAP readers know
// (identifier, sender, sent, status, scope, addresses, headline, description).
nlohmann::json SitRepJson(const SitRep& report);
// A self-contained page (no script; every text escaped) for the screen and for print/PDF.
std::string SitRepHtml(const SitRep& report, const World& world);

}  // namespace ncc::plan
