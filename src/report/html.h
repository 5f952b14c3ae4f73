// The report as one self-contained HTML page: inline CSS and SVG, no script, no external asset
// and no http(s) reference, print styles for A4 (chromium --headless --print-to-pdf). Every
// figure's caption names the seq range of the log it came from. Pure; any thread.
#pragma once

#include <string>
#include <vector>

#include "report/report.h"

namespace ncc::report {

// `ncc report`.
std::string RenderReport(const Report& report);

// `ncc compare`: the differences with their intervals, the CDFs of both runs on one plot, then
// each run's own figures side by side.
std::string RenderCompare(const Report& a, const Report& b, const std::vector<Difference>& diffs);

}  // namespace ncc::report
