#include "report/svg.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/json_writer.h"
#include "core/markup.h"

namespace ncc::report {
namespace {

constexpr double kW = 760, kH = 260;                                // plot area of a chart
constexpr double kLeft = 56, kTop = 12, kBottom = 34, kRight = 12;  // margins
constexpr int kCdfPoints = 400;

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

std::string Whole(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f", v);
  return buf;
}

std::string Open(double width, double height) {
  return "<svg viewBox=\"0 0 " + Num(width) + " " + Num(height) +
         "\" role=\"img\" preserveAspectRatio=\"xMidYMid meet\">";
}

std::string Text(double x, double y, const std::string& s, const char* anchor = "middle") {
  return "<text x=\"" + Num(x) + "\" y=\"" + Num(y) + "\" text-anchor=\"" + anchor + "\">" +
         Escape(s) + "</text>";
}

std::string Line(double x1, double y1, double x2, double y2, const char* cls) {
  return "<line class=\"" + std::string(cls) + "\" x1=\"" + Num(x1) + "\" y1=\"" + Num(y1) +
         "\" x2=\"" + Num(x2) + "\" y2=\"" + Num(y2) + "\"/>";
}

// A "nice" step for about `ticks` ticks over [0, max].
double TickStep(double max, int ticks) {
  double raw = max / ticks, mag = std::pow(10, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (raw <= m * mag) return m * mag;
  return 10 * mag;
}

std::string Axes(double x_max, const std::string& x_unit, double y_max, bool y_percent) {
  std::string s = Line(kLeft, kTop + kH, kLeft + kW, kTop + kH, "axis") +
                  Line(kLeft, kTop, kLeft, kTop + kH, "axis");
  double ys = y_percent ? 0.25 : TickStep(y_max, 5);
  for (double y = 0; y <= y_max + 1e-9; y += ys) {
    double py = kTop + kH - y / y_max * kH;
    s += Line(kLeft, py, kLeft + kW, py, "grid");
    s += Text(kLeft - 6, py + 4, y_percent ? Whole(y * 100) + " %" : Whole(y), "end");
  }
  if (!x_unit.empty()) {
    double xs = TickStep(x_max, 8);
    for (double x = 0; x <= x_max + 1e-9; x += xs) {
      double px = kLeft + x / x_max * kW;
      s += Line(px, kTop + kH, px, kTop + kH + 4, "axis");
      s += Text(px, kTop + kH + 16, Whole(x) + x_unit);
    }
  }
  return s;
}

// (value, cumulative fraction) points of the empirical CDF at kCdfPoints quantiles.
std::vector<std::pair<double, double>> CdfPoints(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  std::vector<std::pair<double, double>> out;
  if (v.empty()) return out;
  size_t n = v.size(), steps = std::min<size_t>(n, kCdfPoints);
  for (size_t k = 0; k <= steps; ++k) {
    size_t count = k * n / steps;  // samples <= the value drawn
    double x = count == 0 ? v.front() : v[count - 1];
    out.push_back({x, static_cast<double>(count) / n});
  }
  return out;
}

}  // namespace

std::string Escape(std::string_view text) {
  return EscapeMarkup(text);
}

std::string CdfSvg(const std::vector<CdfCurve>& curves, double target_s) {
  double x_max = 0;
  for (const CdfCurve& c : curves)
    if (auto p99 = Percentile(*c.samples, 99)) x_max = std::max(x_max, *p99);
  if (target_s > 0) x_max = std::max(x_max, target_s * 1.1);
  if (x_max <= 0) return "<p class=\"empty\">No samples.</p>";
  std::string s = Open(kLeft + kW + kRight, kTop + kH + kBottom) + Axes(x_max, " s", 1.0, true);
  auto px = [&](double x) { return kLeft + std::min(x, x_max) / x_max * kW; };
  auto py = [&](double f) { return kTop + kH - f * kH; };
  if (target_s > 0) {
    s += Line(px(target_s), kTop, px(target_s), kTop + kH, "target");
    s += Text(px(target_s) + 4, kTop + 12, "target " + Whole(target_s) + " s", "start");
  }
  int index = 0;
  for (const CdfCurve& c : curves) {
    auto points = CdfPoints(*c.samples);
    std::string d;
    double prev_f = 0;
    for (size_t k = 0; k < points.size(); ++k) {
      double x = px(points[k].first);
      d += (k == 0 ? "M" : "L") + Num(x) + " " + Num(py(prev_f)) + "L" + Num(x) + " " +
           Num(py(points[k].second));
      prev_f = points[k].second;
    }
    s += "<path class=\"cdf\" stroke=\"" + Escape(c.color) + "\" d=\"" + d + "\"/>";
    for (double p : {50.0, 90.0})
      if (auto v = Percentile(*c.samples, p))
        s += "<circle cx=\"" + Num(px(*v)) + "\" cy=\"" + Num(py(p / 100)) +
             "\" r=\"3.5\" fill=\"" + Escape(c.color) + "\"><title>" + Escape(c.label) + " P" +
             Whole(p) + " " + Num(*v) + " s</title></circle>";
    s += "<rect x=\"" + Num(kLeft + kW - 230) + "\" y=\"" + Num(kTop + kH - 22 - 16 * index) +
         "\" width=\"12\" height=\"4\" fill=\"" + Escape(c.color) + "\"/>" +
         Text(kLeft + kW - 212, kTop + kH - 16 - 16 * index,
              c.label + " (n=" + std::to_string(c.samples->size()) + ")", "start");
    ++index;
  }
  return s + "</svg>";
}

std::string SeriesSvg(const Series& series) {
  if (series.points.size() < 2) return "<p class=\"empty\">No span to draw.</p>";
  double y_max = 1;
  for (const SeriesPoint& p : series.points)
    y_max = std::max({y_max, double(p.open_incidents), double(p.available_units)});
  y_max = std::ceil(y_max / TickStep(y_max, 5)) * TickStep(y_max, 5);
  const Time t0 = series.points.front().time, t1 = series.points.back().time;
  auto px = [&](Time t) { return kLeft + double(t.ms - t0.ms) / double(t1.ms - t0.ms) * kW; };
  auto py = [&](double v) { return kTop + kH - v / y_max * kH; };
  std::string s = Open(kLeft + kW + kRight, kTop + kH + kBottom) + Axes(1, "", y_max, false);
  for (int k = 0; k <= 4; ++k) {
    Time t{t0.ms + (t1.ms - t0.ms) * k / 4};
    s += Text(px(t), kTop + kH + 16, FormatTime(t).substr(0, 16) + "Z",
              k == 0   ? "start"
              : k == 4 ? "end"
                       : "middle");
  }
  std::string open, avail;
  for (size_t k = 0; k < series.points.size(); ++k) {
    const SeriesPoint& p = series.points[k];
    const char* cmd = k == 0 ? "M" : "L";
    open += cmd + Num(px(p.time)) + " " + Num(py(p.open_incidents));
    avail += cmd + Num(px(p.time)) + " " + Num(py(p.available_units));
  }
  s += "<path class=\"series open\" d=\"" + open + "\"/><path class=\"series avail\" d=\"" + avail +
       "\"/>";
  // The key sits below the top grid line, clear of the y axis labels.
  const double key_y = kTop + 24, key_x = kLeft + 40;
  s += "<rect x=\"" + Num(key_x) + "\" y=\"" + Num(key_y - 6) +
       "\" width=\"12\" height=\"4\" class=\"open-key\"/>" +
       Text(key_x + 18, key_y, "open incidents", "start") + "<rect x=\"" + Num(key_x + 140) +
       "\" y=\"" + Num(key_y - 6) + "\" width=\"12\" height=\"4\" class=\"avail-key\"/>" +
       Text(key_x + 158, key_y, "available units", "start");
  return s + "</svg>";
}

std::string HeatMapSvg(const HeatMap& h) {
  if (h.cells.empty()) return "<p class=\"empty\">No incident has a location.</p>";
  const double width = 760, cell = width / h.columns, height = cell * h.rows;
  auto px = [&](double lon) { return (lon - h.min_lon) / (h.max_lon - h.min_lon) * width; };
  auto py = [&](double lat) { return (h.max_lat - lat) / (h.max_lat - h.min_lat) * height; };
  std::string s = Open(width, height) + "<rect class=\"map\" width=\"" + Num(width) +
                  "\" height=\"" + Num(height) + "\"/>";
  if (!h.roads.empty()) {
    std::string d;
    for (const auto& seg : h.roads)
      d += "M" + Num(px(seg[0].lon)) + " " + Num(py(seg[0].lat)) + "L" + Num(px(seg[1].lon)) + " " +
           Num(py(seg[1].lat));
    s += "<path class=\"roads\" d=\"" + d + "\"/>";
  }
  const double log_max = std::log1p(h.max_count);
  for (const HeatCell& c : h.cells) {
    double f = std::log1p(c.count) / log_max;  // log scale: one busy corner does not hide the rest
    s += "<rect class=\"heat\" x=\"" + Num(c.x * cell) + "\" y=\"" + Num(c.y * cell) +
         "\" width=\"" + Num(cell) + "\" height=\"" + Num(cell) + "\" fill-opacity=\"" +
         Num(0.15 + 0.8 * f) + "\"><title>" + std::to_string(c.count) + " incidents</title></rect>";
  }
  return s + "</svg>";
}

}  // namespace ncc::report
