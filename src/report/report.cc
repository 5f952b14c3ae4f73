#include "report/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

#include <nlohmann/json.hpp>

#include "routing/road_graph.h"

namespace ncc::report {
namespace {

bool HasLocation(const LatLon& p) {
  return std::isfinite(p.lat) && std::isfinite(p.lon) && !(p.lat == 0 && p.lon == 0);
}

// Resolves open ends of the window to the log's span (first event .. one past the last).
Window Resolve(const Window& w, const LogContent& c) {
  Window out = w;
  if (!out.from.ms) out.from = c.first_time;
  if (!out.to.ms) out.to = Time{c.last_time.ms + 1};
  return out;
}

void AddRoads(const routing::RoadGraph& g, HeatMap& h) {
  auto inside = [&](const LatLon& p) {
    return p.lat >= h.min_lat && p.lat <= h.max_lat && p.lon >= h.min_lon && p.lon <= h.max_lon;
  };
  std::set<std::pair<uint32_t, uint32_t>> seen;  // a two-way street is one line
  for (uint32_t e = 0; e < g.edge_count(); ++e) {
    uint32_t a = g.tail[e], b = g.head[e];
    if (a >= g.node_count() || b >= g.node_count()) continue;
    LatLon pa = g.Position(a), pb = g.Position(b);
    if (!inside(pa) && !inside(pb)) continue;
    if (!seen.insert({std::min(a, b), std::max(a, b)}).second) continue;
    h.roads.push_back({pa, pb});
  }
}

// Samples of `measure` by group: "all", "agency=X", "priority=N".
std::map<std::string, std::vector<double>> GroupSamples(const Selection& s, Measure measure) {
  std::map<std::string, std::vector<double>> out;
  for (const IncidentMeasures& m : s.incidents) {
    auto v = m.seconds[static_cast<size_t>(measure)];
    if (!v) continue;
    out["all"].push_back(*v);
    out["agency=" + m.incident->agency].push_back(*v);
    out["priority=" + std::to_string(m.incident->priority)].push_back(*v);
  }
  return out;
}

std::string Cell(const std::optional<double>& v, const char* unit) {
  if (!v) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.1f%s", *v, unit);
  return buf;
}

}  // namespace

HeatMap BuildHeatMap(const std::vector<IncidentMeasures>& incidents,
                     const routing::RoadGraph* graph, int columns) {
  HeatMap h;
  std::vector<LatLon> points;
  for (const IncidentMeasures& m : incidents) {
    if (!HasLocation(m.incident->location)) {
      ++h.without_location;
      continue;
    }
    points.push_back(m.incident->location);
    h.seqs.Add(m.seqs);
  }
  h.incidents = points.size();
  if (points.empty() || columns <= 0) return h;
  h.min_lat = h.max_lat = points[0].lat;
  h.min_lon = h.max_lon = points[0].lon;
  for (const LatLon& p : points) {
    h.min_lat = std::min(h.min_lat, p.lat), h.max_lat = std::max(h.max_lat, p.lat);
    h.min_lon = std::min(h.min_lon, p.lon), h.max_lon = std::max(h.max_lon, p.lon);
  }
  // A margin of 2 % so that points on the edge are inside a cell; a degenerate box grows.
  double dlat = std::max(h.max_lat - h.min_lat, 1e-3), dlon = std::max(h.max_lon - h.min_lon, 1e-3);
  h.min_lat -= dlat * 0.02, h.max_lat += dlat * 0.02;
  h.min_lon -= dlon * 0.02, h.max_lon += dlon * 0.02;
  double aspect = (h.max_lat - h.min_lat) /
                  ((h.max_lon - h.min_lon) * std::cos((h.min_lat + h.max_lat) / 2 * M_PI / 180));
  h.columns = columns;
  h.rows = std::max(1, static_cast<int>(std::lround(columns * aspect)));
  std::map<std::pair<int, int>, int> counts;
  for (const LatLon& p : points) {
    int x = static_cast<int>((p.lon - h.min_lon) / (h.max_lon - h.min_lon) * h.columns);
    int y = static_cast<int>((h.max_lat - p.lat) / (h.max_lat - h.min_lat) * h.rows);
    ++counts[{std::clamp(x, 0, h.columns - 1), std::clamp(y, 0, h.rows - 1)}];
  }
  for (const auto& [xy, n] : counts) {
    h.cells.push_back({xy.first, xy.second, n});
    h.max_count = std::max(h.max_count, n);
  }
  if (graph) AddRoads(*graph, h);
  return h;
}

Report BuildReport(std::string source, std::shared_ptr<const LogContent> content,
                   std::optional<RunInfo> run, const ReportOptions& options) {
  Report r;
  r.source = std::move(source);
  r.run = std::move(run);
  r.content = std::move(content);
  r.options = options;
  r.window = Resolve(options.window, *r.content);
  r.selection = Select(*r.content, r.window);
  r.nfpa = NfpaTable(r.selection, options.bootstrap);
  for (const MeasureInfo& m : kMeasures)
    r.samples[static_cast<size_t>(m.measure)] = Samples(r.selection.incidents, m.measure);
  r.series = OpenVersusAvailable(*r.content, r.window.from, r.window.to, options.series_buckets);
  r.heat = BuildHeatMap(r.selection.incidents, options.graph, 72);
  r.utilisation = UnitUtilisation(*r.content, r.window.from, r.window.to);
  if (options.plans) r.sla = SlaCompliance(r.selection, *options.plans, r.content->escalations);
  return r;
}

std::string SummaryJson(const Report& r) {
  auto value = [](const std::optional<double>& v) {
    return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
  };
  nlohmann::json j = {{"incidents", r.selection.incidents.size()},
                      {"seq_first", r.content->seqs.first.value},
                      {"seq_last", r.content->seqs.last.value},
                      {"excluded_rows", r.selection.quality.excluded}};
  for (const MeasureInfo& info : kMeasures) {
    const Summary& s = r.nfpa.front().measures[static_cast<size_t>(info.measure)];
    const std::string name = info.name;
    j[name + "_n"] = s.n;
    j[name + "_p50_s"] = value(s.p50);
    j[name + "_p90_s"] = value(s.p90);
    j[name + "_p90_ci_s"] =
        s.p90_ci ? nlohmann::json::array({s.p90_ci->low, s.p90_ci->high}) : nlohmann::json(nullptr);
    if (info.measure != Measure::kTotal) j[name + "_within_pct"] = value(s.within_pct);
  }
  return j.dump();
}

std::vector<Difference> CompareRuns(const Report& a, const Report& b,
                                    const BootstrapOptions& bootstrap) {
  std::vector<Difference> out;
  for (const MeasureInfo& info : kMeasures) {
    auto ga = GroupSamples(a.selection, info.measure), gb = GroupSamples(b.selection, info.measure);
    for (const auto& [group, sa] : ga) {
      auto it = gb.find(group);
      if (it == gb.end()) continue;
      for (double p : {50.0, 90.0}) {
        Difference d;
        d.group = group;
        d.measure = info.measure;
        d.percentile = p;
        d.a = Percentile(sa, p);
        d.b = Percentile(it->second, p);
        d.ci = BootstrapPercentileDifference(
            sa, it->second, p, bootstrap, group + "/" + info.name + "/p" + std::to_string(int(p)));
        out.push_back(d);
      }
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const Difference& x, const Difference& y) {
    return (x.group == "all") > (y.group == "all");
  });
  return out;
}

std::string CompareText(const Report& a, const Report& b, const std::vector<Difference>& diffs) {
  auto name = [](const Report& r) {
    return r.run ? r.run->policy + " (" + r.source + ")" : r.source;
  };
  std::string out;
  char line[256];
  std::snprintf(line, sizeof line, "%-28s %12s %12s %12s  %s\n", "measure (all incidents)", "A",
                "B", "B-A", "95% CI of B-A");
  out += line;
  for (const Difference& d : diffs) {
    if (d.group != "all") continue;
    std::string measure = std::string(kMeasures[static_cast<size_t>(d.measure)].name) + " P" +
                          std::to_string(static_cast<int>(d.percentile));
    std::optional<double> diff;
    if (d.a && d.b) diff = *d.b - *d.a;
    std::string ci = d.ci ? "[" + Cell(d.ci->low, "") + ", " + Cell(d.ci->high, "") + "]" : "-";
    std::snprintf(line, sizeof line, "%-28s %12s %12s %12s  %s\n", measure.c_str(),
                  Cell(d.a, " s").c_str(), Cell(d.b, " s").c_str(), Cell(diff, " s").c_str(),
                  ci.c_str());
    out += line;
  }
  const Summary& ta = a.nfpa.front().measures[static_cast<size_t>(Measure::kTravel)];
  const Summary& tb = b.nfpa.front().measures[static_cast<size_t>(Measure::kTravel)];
  std::optional<double> dw;
  if (ta.within_pct && tb.within_pct) dw = *tb.within_pct - *ta.within_pct;
  std::snprintf(line, sizeof line, "%-28s %12s %12s %12s\n", "first_unit_travel <= 240 s",
                Cell(ta.within_pct, " %").c_str(), Cell(tb.within_pct, " %").c_str(),
                Cell(dw, " pt").c_str());
  out += line;
  out += "A = " + name(a) + "\nB = " + name(b) + "\n";
  return out;
}

}  // namespace ncc::report
