// Inline SVG figures for the report pages: plain markup, no script, no external reference
// (no xmlns either: SVG inside HTML needs none), so a page opens offline and prints as drawn.
// Pure string building; any thread. Every text that comes from the log goes through Escape.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "report/report.h"

namespace ncc::report {

// &, <, >, " and ' as entities.
std::string Escape(std::string_view text);

struct CdfCurve {
  std::string label;
  std::string color;  // CSS colour
  const std::vector<double>* samples = nullptr;
};

// Empirical CDFs of one measure (seconds), a dashed line at `target_s` (0: none) and the P50
// and P90 of each curve marked. The x axis runs to the largest P99 of the curves (the curves
// reach 100 % beyond it; nothing is dropped from the figures).
std::string CdfSvg(const std::vector<CdfCurve>& curves, double target_s);

// Open incidents and available units over the window (two lines, a shared y axis).
std::string SeriesSvg(const Series& series);

// Incident density per grid cell over the road network (or alone without one).
std::string HeatMapSvg(const HeatMap& heat);

}  // namespace ncc::report
