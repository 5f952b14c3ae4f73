#include "sim/whatif.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <set>
#include <sstream>

#include "core/json_writer.h"
#include "core/markup.h"
#include "geo/polygon.h"
#include "plan/plan_document.h"
#include "plan/views.h"

namespace ncc::sim {
namespace {

using nlohmann::json;

constexpr int64_t kDayMs = 24LL * 3600 * 1000;
constexpr const char* kAll = "*";
constexpr const char* kCapabilities[] = {"engine", "ambulance"};

int64_t WeekdayOf(Time t) {  // 0 = Thursday, 1970-01-01; only compared
  return ((t.ms / kDayMs) % 7 + 7) % 7;
}

void Shift(Time& t, int64_t by) {
  if (t.ms) t.ms += by;
}

json Num(double v, double scale = 10) {
  return std::isnan(v) ? json(nullptr) : json(std::round(v * scale) / scale);
}

// The figures of one run for calls and samples that `in` keeps.
json CellOf(const SimFigures& f, const std::string& sector,
            const std::function<bool(const LatLon&, Time)>& in, Time from, Time to) {
  std::vector<double> travel;
  size_t calls = 0;
  for (const CallOutcome& c : f.outcomes) {
    if (!in(c.location, c.received)) continue;
    ++calls;
    if (!std::isnan(c.first_unit_travel_s)) travel.push_back(c.first_unit_travel_s);
  }
  size_t within = 0;
  for (double s : travel) within += s <= 240;
  json j{{"calls", calls},
         {"arrivals", travel.size()},
         {"first_unit_travel_p50_s", Num(Percentile(travel, 0.5))},
         {"first_unit_travel_p90_s", Num(Percentile(travel, 0.9))},
         {"within_240s_pct", Num(travel.empty() ? NAN : 100.0 * within / travel.size())}};
  if (sector == kAll) return j;
  for (const char* cap : kCapabilities) {
    const std::string zone = sector + "/" + cap;
    double sum = 0;
    size_t n = 0;
    for (const CoverageSample& s : f.coverage_samples)
      if (s.zone == zone && from <= s.at && s.at < to) sum += s.fraction, ++n;
    j[std::string(cap) + "_coverage_pct"] = Num(n ? 100 * sum / n : NAN);
    j["coverage_samples"] = n;
  }
  return j;
}

std::string Fmt(const json& v, const char* unit = "") {
  if (v.is_null()) return "–";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f%s", v.get<double>(), unit);
  return buf;
}

// The calls whose first unit's travel differs between the runs (both list the same calls in
// the same order), as [received, baseline s, plan s].
json ChangedCalls(const SimFigures& a, const SimFigures& b) {
  json out = json::array();
  for (size_t k = 0; k < a.outcomes.size() && k < b.outcomes.size(); ++k) {
    double x = a.outcomes[k].first_unit_travel_s, y = b.outcomes[k].first_unit_travel_s;
    if (std::isnan(x) && std::isnan(y)) continue;
    if (x == y) continue;
    out.push_back({FormatTime(a.outcomes[k].received), Num(x), Num(y)});
  }
  return out;
}

}  // namespace

StatusOr<PeriodCalls> CallsOverPeriod(const std::vector<UnitResponse>& rows, Time plan_start,
                                      Time plan_end, Time from) {
  if (!plan_start.ms || plan_end <= plan_start)
    return InvalidArgument("the plan needs a period (start before end) to be simulated", "start");
  if (rows.empty()) return InvalidArgument("no calls to map onto the plan's period", "calls");
  Time first = rows.front().received, last = first;
  for (const UnitResponse& r : rows) {
    if (r.received < first) first = r.received;
    if (last < r.received) last = r.received;
  }
  const int64_t length = plan_end.ms - plan_start.ms;
  if (!from.ms) {
    const int64_t time_of_day = ((plan_start.ms % kDayMs) + kDayMs) % kDayMs;
    Time t{(first.ms / kDayMs) * kDayMs + time_of_day};
    while (t < first || WeekdayOf(t) != WeekdayOf(plan_start)) t.ms += kDayMs;
    from = t;
  }
  if (from < first || last.ms < from.ms + length)
    return InvalidArgument("the calls run from " + FormatTime(first) + " to " + FormatTime(last) +
                               ": they do not hold the plan's period mapped onto " +
                               FormatTime(from) + " (give --calls-from inside them)",
                           "calls-from");
  PeriodCalls out;
  out.from = from;
  out.shift_ms = plan_start.ms - from.ms;
  std::set<std::string> kept;
  for (const UnitResponse& r : rows) {  // a call goes whole, by its received time
    if (r.received < from || r.received.ms >= from.ms + length) continue;
    UnitResponse s = r;
    for (Time* t : {&s.received, &s.entry, &s.dispatch, &s.response, &s.on_scene, &s.transport,
                    &s.hospital, &s.available})
      Shift(*t, out.shift_ms);
    kept.insert(s.call_number);
    out.rows.push_back(std::move(s));
  }
  out.calls = kept.size();
  return out;
}

std::vector<SimPosting> PostingsOf(const OperationPlan& plan) {
  std::vector<SimPosting> out;
  for (const PlanPosting& x : plan.postings)
    for (const PlanPhase& ph : plan.phases)
      if (ph.id == x.phase && ph.start.ms && ph.end.ms)
        out.push_back({x.agency, x.unit, x.post, ph.start, ph.end});
  return out;
}

std::vector<dispatch::CoverageZone> SectorZones(const OperationPlan& plan,
                                                const routing::RoutingService& routing,
                                                double minutes, double spacing_m) {
  std::vector<dispatch::CoverageZone> out;
  for (const PlanSector& s : plan.sectors) {
    geo::Ring ring(s.polygon);
    double lat0 = 90, lat1 = -90, lon0 = 180, lon1 = -180;
    for (const LatLon& p : s.polygon)
      lat0 = std::min(lat0, p.lat), lat1 = std::max(lat1, p.lat), lon0 = std::min(lon0, p.lon),
      lon1 = std::max(lon1, p.lon);
    const double dlat = spacing_m / 111'320.0, dlon = dlat / std::cos(lat0 * M_PI / 180);
    std::vector<LatLon> points;
    for (double lat = lat0 + dlat / 2; lat <= lat1; lat += dlat)
      for (double lon = lon0 + dlon / 2; lon <= lon1; lon += dlon) {
        if (!ring.Contains({lat, lon})) continue;
        auto snap = routing.snapper().Nearest({lat, lon}, 150);
        if (snap.ok()) points.push_back(snap->on_road);
      }
    for (const char* cap : kCapabilities) {
      dispatch::CoverageZone z;
      z.id = s.id + "/" + cap;
      z.name = s.name + ", " + cap;
      z.capability = cap;
      z.minutes = minutes;
      z.target = 1;
      z.points = points;
      out.push_back(std::move(z));
    }
  }
  return out;
}

json CompareRuns(const OperationPlan& plan, const SimFigures& baseline,
                 const SimFigures& with_plan) {
  struct Window {
    std::string id, name;
    Time from, to;
  };
  std::vector<Window> windows;
  for (const PlanPhase& ph : plan.phases)
    if (ph.start.ms && ph.end.ms) windows.push_back({ph.id, ph.name, ph.start, ph.end});
  windows.push_back({kAll, "whole operation", plan.start, plan.end});
  json cells = json::array();
  for (const Window& w : windows) {
    std::vector<std::pair<std::string, std::string>> sectors;
    for (const PlanSector& s : plan.sectors) sectors.push_back({s.id, s.name});
    sectors.push_back({kAll, "every simulated call"});
    for (const auto& [id, name] : sectors) {
      const PlanSector* sector = nullptr;
      for (const PlanSector& s : plan.sectors)
        if (s.id == id) sector = &s;
      std::optional<geo::Ring> ring;
      if (sector) ring.emplace(sector->polygon);
      auto in = [&](const LatLon& at, Time t) {
        return w.from <= t && t < w.to && (!ring || ring->Contains(at));
      };
      cells.push_back({{"phase", w.id},
                       {"phase_name", w.name},
                       {"sector", id},
                       {"sector_name", name},
                       {"baseline", CellOf(baseline, id, in, w.from, w.to)},
                       {"plan", CellOf(with_plan, id, in, w.from, w.to)}});
    }
  }
  return cells;
}

std::string WhatIfHtml(const json& r) {
  auto text = [&](const char* key) {
    return EscapeMarkup(r.contains(key) && r[key].is_string() ? r[key].get<std::string>() : "");
  };
  std::string h =
      "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>What-if: " +
      text("operation") +
      "</title><style>"
      "body{font:13px/1.45 \"DejaVu Sans\",Arial,sans-serif;color:#1b1f24;margin:24px auto;"
      "max-width:1000px;padding:0 16px}h1{font-size:22px;margin:0 0 4px}"
      "h2{font-size:17px;margin:28px 0 6px;border-bottom:2px solid #1b1f24}"
      "table{border-collapse:collapse;margin:6px 0 10px;width:100%}"
      "th,td{border:1px solid #c9ced6;padding:2px 6px;text-align:right;vertical-align:top}"
      "th:first-child,td:first-child{text-align:left}th{background:#eef1f5}td{white-space:nowrap}"
      "td:first-child{white-space:normal}"
      "td.better{background:#e3f4e1}td.worse{background:#fbe3e1}.cap{color:#4a525c;font-size:12px}"
      "svg{width:100%;height:auto;font-size:11px;font-family:\"DejaVu Sans\",Arial,sans-serif}"
      "svg .axis{stroke:#1b1f24;stroke-width:1}svg .grid{stroke:#dde1e6;stroke-width:1}"
      "svg .base{fill:#9aa3ad}svg .plan{fill:#1565c0}"
      "code{font-family:\"DejaVu Sans Mono\",monospace;font-size:12px;word-break:break-all}"
      "@page{size:A4;margin:14mm}@media print{body{margin:0;max-width:none;padding:0}"
      "tr{break-inside:avoid}}</style></head><body>";
  h += "<h1>What-if: " + text("operation") + "</h1><p class=\"cap\">" + text("venue") + " · " +
       text("start") + " to " + text("end") + "</p>";
  h += "<p>Real calls for service of <b>" + text("calls_from") + "</b> to <b>" + text("calls_to") +
       "</b>, shifted onto the plan's period, simulated twice on the real road graph with policy "
       "<b>" +
       text("policy") + "</b> and seed " + EscapeMarkup(r.value("seed", json(0)).dump()) +
       ": the <b>baseline</b> with every unit at its quarters, and the <b>plan</b> with its "
       "postings pre-positioning the units for each phase. Travel is the first unit's, en route "
       "to on scene. Coverage is the share of a sector's demand points on its roads that an "
       "available engine (or ladder) and an ambulance reach by road within " +
       Fmt(r.value("coverage_minutes", json(4))) + " minutes, averaged over samples every " +
       Fmt(r.value("sample_every_s", json(300))) +
       " s of the phase. A sector no call came from has no travel figures (–): its coverage, "
       "sampled all the same, says what the postings buy there.</p>";
  const json& cells = r.at("cells");
  std::vector<std::string> phases;
  for (const json& c : cells)
    if (std::find(phases.begin(), phases.end(), c.at("phase").get<std::string>()) == phases.end())
      phases.push_back(c.at("phase"));
  auto pair = [&](const json& b, const json& p, const char* key, bool lower_is_better,
                  const char* unit) {
    const json& x = b.contains(key) ? b[key] : json(nullptr);
    const json& y = p.contains(key) ? p[key] : json(nullptr);
    std::string cls;
    if (x.is_number() && y.is_number() && x != y)
      cls = (y.get<double>() < x.get<double>()) == lower_is_better ? " class=\"better\""
                                                                   : " class=\"worse\"";
    return "<td>" + Fmt(x, unit) + "</td><td" + cls + ">" + Fmt(y, unit) + "</td>";
  };
  for (const std::string& phase : phases) {
    std::string name;
    for (const json& c : cells)
      if (c["phase"] == phase) name = c["phase_name"];
    h += "<h2>" + EscapeMarkup(name) +
         "</h2><table><tr><th rowspan=\"2\">sector</th>"
         "<th colspan=\"2\">calls</th><th colspan=\"2\">travel p50</th>"
         "<th colspan=\"2\">travel p90</th><th colspan=\"2\">≤ 240 s</th>"
         "<th colspan=\"2\">engine coverage</th><th colspan=\"2\">ambulance coverage</th></tr><tr>";
    for (int k = 0; k < 6; ++k) h += "<th>baseline</th><th>plan</th>";
    h += "</tr>";
    for (const json& c : cells) {
      if (c["phase"] != phase) continue;
      const json &b = c["baseline"], &p = c["plan"];
      h += "<tr><td>" + EscapeMarkup(c["sector"].get<std::string>()) + " · " +
           EscapeMarkup(c["sector_name"].get<std::string>()) + "</td><td>" +
           std::to_string(b.value("calls", 0)) + "</td><td>" + std::to_string(p.value("calls", 0)) +
           "</td>" + pair(b, p, "first_unit_travel_p50_s", true, " s") +
           pair(b, p, "first_unit_travel_p90_s", true, " s") +
           pair(b, p, "within_240s_pct", false, " %") +
           pair(b, p, "engine_coverage_pct", false, " %") +
           pair(b, p, "ambulance_coverage_pct", false, " %") + "</tr>";
    }
    h += "</table>";
  }
  // Coverage per sector and phase as bars: baseline grey, plan blue, one group per cell.
  std::vector<const json*> bars;
  for (const json& c : cells)
    if (c["sector"] != kAll && c["phase"] != kAll) bars.push_back(&c);
  if (!bars.empty()) {
    const double left = 48, top = 12, plot_h = 200, group_w = 720.0 / bars.size();
    const double width = left + 720 + 12, height = top + plot_h + 52;
    char buf[1024];
    h += "<h2>Coverage within the time, per sector and phase</h2><div class=\"fig\"><svg "
         "viewBox=\"0 0 " +
         std::to_string(static_cast<int>(width)) + " " + std::to_string(static_cast<int>(height)) +
         "\" role=\"img\" preserveAspectRatio=\"xMidYMid meet\">";
    for (int pct = 0; pct <= 100; pct += 25) {
      double y = top + plot_h * (1 - pct / 100.0);
      std::snprintf(buf, sizeof buf,
                    "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
                    "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%d %%</text>",
                    left, y, left + 720, y, left - 4, y + 4, pct);
      h += buf;
    }
    for (size_t k = 0; k < bars.size(); ++k) {
      const json& c = *bars[k];
      double x = left + k * group_w;
      int slot = 0;
      for (const char* cap : kCapabilities)
        for (const char* run : {"baseline", "plan"}) {
          const json& v = c[run][std::string(cap) + "_coverage_pct"];
          double pct = v.is_number() ? v.get<double>() : 0;
          double bw = group_w / 5, bx = x + bw * (slot + 0.5);
          std::snprintf(buf, sizeof buf,
                        "<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\">"
                        "<title>",
                        std::string(run) == "plan" ? "plan" : "base", bx + (slot >= 2 ? bw / 2 : 0),
                        top + plot_h * (1 - pct / 100), bw * 0.9, plot_h * pct / 100);
          h += buf;
          h += EscapeMarkup(c["sector"].get<std::string>() + " " + c["phase"].get<std::string>() +
                            " " + cap + " " + run + ": " + Fmt(v, " %")) +
               "</title></rect>";
          ++slot;
        }
      std::snprintf(buf, sizeof buf, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
                    x + group_w / 2, top + plot_h + 16);
      h += buf +
           EscapeMarkup(c["sector"].get<std::string>() + " · " + c["phase"].get<std::string>()) +
           "</text>";
      std::snprintf(buf, sizeof buf, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
                    x + group_w / 2, top + plot_h + 30);
      h += std::string(buf) + "eng · amb</text>";
    }
    std::snprintf(buf, sizeof buf,
                  "<line class=\"axis\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
                  "<rect class=\"base\" x=\"%.1f\" y=\"%.1f\" width=\"10\" height=\"10\"/>"
                  "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"start\">baseline</text>"
                  "<rect class=\"plan\" x=\"%.1f\" y=\"%.1f\" width=\"10\" height=\"10\"/>"
                  "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"start\">plan</text>",
                  left, top + plot_h, left + 720, top + plot_h, left, height - 14, left + 14,
                  height - 5, left + 90, height - 14, left + 104, height - 5);
    h += buf;
    h += "</svg></div>";
  }
  if (r.contains("calls_changed")) {
    h += "<h2>Calls the postings changed</h2>";
    if (r["calls_changed"].empty())
      h += "<p class=\"cap\">No call's first unit travelled differently.</p>";
    else {
      h += "<table><tr><th>received</th><th>baseline</th><th>plan</th></tr>";
      for (const json& c : r["calls_changed"])
        h += "<tr><td>" + EscapeMarkup(c[0].get<std::string>()) + "</td>" +
             pair(json{{"t", c[1]}}, json{{"t", c[2]}}, "t", true, " s") + "</tr>";
      h += "</table>";
    }
  }
  h += "<h2>Runs</h2><table><tr><th>run</th><th>calls</th><th>units</th><th>travel p50</th>"
       "<th>travel p90</th><th>posting moves</th><th>refused</th><th>log digest</th></tr>";
  for (const char* run : {"baseline", "plan"}) {
    const json& j = r.at("runs").at(run);
    h += std::string("<tr><td>") + run + "</td><td>" + std::to_string(j.value("calls", 0)) +
         "</td><td>" + std::to_string(j.value("units", 0)) + "</td><td>" +
         Fmt(j.value("first_unit_travel_p50_s", json(nullptr)), " s") + "</td><td>" +
         Fmt(j.value("first_unit_travel_p90_s", json(nullptr)), " s") + "</td><td>" +
         std::to_string(j.value("posting_moves", 0)) + "</td><td>" +
         std::to_string(j.value("refused", 0)) + "</td><td><code>" +
         EscapeMarkup(j.value("log_digest", "")) + "</code></td></tr>";
  }
  h += "</table><p class=\"cap\">Regenerate: <code>" + text("command") + "</code></p>";
  return h + "</body></html>";
}

StatusOr<json> RunWhatIf(const WhatIfConfig& c) {
  std::ifstream in(c.operation);
  if (!in) return NotFound("cannot read " + c.operation, "operation");
  std::stringstream text;
  text << in.rdbuf();
  auto plan = plan::ParsePlanDocument(text.str());
  if (!plan.ok())
    return Status(plan.status().code(), c.operation + ": " + plan.status().message(),
                  plan.status().field());
  if (plan->postings.empty()) return InvalidArgument(c.operation + " has no postings", "postings");
  MappedReadStats read;
  auto all = ReadCalls(c.run, &read);
  if (!all.ok()) return all.status();
  auto period = CallsOverPeriod(*all, plan->start, plan->end, c.calls_from);
  if (!period.ok()) return period.status();
  auto routing = routing::RoutingService::Open(c.run.graph);
  if (!routing.ok()) return routing.status();
  std::filesystem::create_directories(c.run.out);

  RunConfig base = c.run;
  base.rows = &period->rows;
  base.all_rows = &*all;
  base.sample_zones = SectorZones(*plan, **routing, c.minutes);
  base.sample_every_ms = c.sample_every_s * 1000;
  base.sample_from = plan->start;
  base.sample_to = plan->end;
  base.out = c.run.out + "/baseline";
  RunConfig with = base;
  with.out = c.run.out + "/plan";
  with.postings = PostingsOf(*plan);
  auto b = RunSimulation(base);
  if (!b.ok()) return b.status();
  auto p = RunSimulation(with);
  if (!p.ok()) return p.status();
  for (json* run : {&b->json, &p->json})  // wall-clock figures: the report is made again alike
    run->erase("seconds"), run->erase("events_per_s");

  json r{{"operation", plan->name},
         {"venue", plan->venue},
         {"start", FormatTime(plan->start)},
         {"end", FormatTime(plan->end)},
         {"calls_from", FormatTime(period->from)},
         {"calls_to", FormatTime(Time{period->from.ms + (plan->end.ms - plan->start.ms)})},
         {"shift_s", period->shift_ms / 1000},
         {"calls_in_period", period->calls},
         {"policy", c.run.policy},
         {"seed", c.run.seed},
         {"coverage_minutes", c.minutes},
         {"sample_every_s", c.sample_every_s},
         {"postings", with.postings.size()},
         {"cells", CompareRuns(*plan, b->figures, p->figures)},
         {"calls_changed", ChangedCalls(b->figures, p->figures)},
         {"runs", {{"baseline", b->json}, {"plan", p->json}}}};
  std::string command = "ncc sim --operation " + c.operation + " --graph " + c.run.graph +
                        " --policy " + c.run.policy + " --seed " + std::to_string(c.run.seed) +
                        " --out " + c.run.out;
  r["command"] = command;
  std::ofstream(c.run.out + "/whatif.json") << r.dump(2) << "\n";
  std::ofstream(c.run.out + "/whatif.html") << WhatIfHtml(r);
  OperationPlan as_written = *plan;  // as decide defines it: held tasks held, revision 1
  ResetPlanProgress(as_written);
  as_written.revision = 1;
  std::ofstream(c.run.out + "/matrix.html") << plan::MatrixHtml(as_written, World{}, plan->start);
  return r;
}

}  // namespace ncc::sim
