#include "report/html.h"

#include <cstdio>

#include "core/json_writer.h"
#include "report/svg.h"

namespace ncc::report {
namespace {

constexpr const char* kCss = R"(
body{font:13px/1.45 "DejaVu Sans",Arial,sans-serif;color:#1b1f24;margin:24px auto;max-width:1000px;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 6px;border-bottom:2px solid #1b1f24}
h3{font-size:14px;margin:16px 0 4px}
table{border-collapse:collapse;margin:6px 0 10px;width:100%}
th,td{border:1px solid #c9ced6;padding:2px 6px;text-align:right;vertical-align:top}
th:first-child,td:first-child,td.l,th.l{text-align:left}
th{background:#eef1f5}
td.ok{background:#e3f4e1}td.miss{background:#fbe3e1}
.cap{color:#4a525c;font-size:12px;margin:2px 0 8px}
.fig{break-inside:avoid;page-break-inside:avoid;margin:8px 0 16px}
svg{width:100%;height:auto;font-size:11px;font-family:"DejaVu Sans",Arial,sans-serif}
svg .axis{stroke:#1b1f24;stroke-width:1}svg .grid{stroke:#dde1e6;stroke-width:1}
svg .target{stroke:#b3261e;stroke-width:1.5;stroke-dasharray:5 4}
svg .cdf{fill:none;stroke-width:2}
svg .series{fill:none;stroke-width:1.6}svg .open{stroke:#b3261e}svg .avail{stroke:#1565c0}
svg .open-key{fill:#b3261e}svg .avail-key{fill:#1565c0}
svg .map{fill:#f7f7f4;stroke:#c9ced6}svg .roads{fill:none;stroke:#9aa3ad;stroke-width:.5}
svg .heat{fill:#d2410a}
.cols{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:12px;font-size:10px}
.cols td,.cols th{padding:1px 3px;overflow-wrap:anywhere}.cols h2{font-size:14px}.cols h3{font-size:11px}
.empty{color:#6b737d;font-style:italic}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:6px 0}dt{font-weight:bold}dd{margin:0}
code{font-family:"DejaVu Sans Mono",monospace;font-size:12px;word-break:break-all}
@page{size:A4;margin:14mm}
@media print{body{margin:0;max-width:none;padding:0}h2{break-after:avoid;page-break-after:avoid}
section{break-before:auto}tr{break-inside:avoid}}
)";

std::string Fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}
std::string Secs(const std::optional<double>& v) {
  return v ? Fmt("%.0f s", *v) : "–";
}
std::string Ci(const std::optional<Interval>& ci) {
  return ci ? "[" + Fmt("%.0f", ci->low) + ", " + Fmt("%.0f", ci->high) + "]" : "";
}
std::string Pct(const std::optional<double>& v) {
  return v ? Fmt("%.1f %%", *v) : "–";
}
std::string Seqs(const SeqRange& r) {
  if (!r.first) return "no events";
  return "log seq " + std::to_string(r.first.value) + "–" + std::to_string(r.last.value);
}
std::string Caption(const SeqRange& r, const std::string& what) {
  return "<p class=\"cap\">From " + Seqs(r) + (what.empty() ? "" : "; " + Escape(what)) + ".</p>";
}
std::string When(Time t) {
  return FormatTime(t);
}
std::string Title(const Report& r) {
  return r.run ? "policy " + r.run->policy + ", seed " + std::to_string(r.run->seed) : r.source;
}

std::string MetaSection(const Report& r) {
  const LogContent& c = *r.content;
  std::string s = "<dl>";
  auto row = [&](const std::string& k, const std::string& v) {
    s += "<dt>" + Escape(k) + "</dt><dd>" + v + "</dd>";
  };
  row("Data folder", "<code>" + Escape(r.source) + "</code>");
  row("Event log", std::to_string(c.events) + " events, " + Seqs(c.seqs) + ", " +
                       Escape(When(c.first_time)) + " to " + Escape(When(c.last_time)) +
                       "; every hash link checked as read");
  row("Chain head", "<code>" + c.chain_head + "</code>");
  row("Window", "incidents created in [" + Escape(When(r.window.from)) + ", " +
                    Escape(When(r.window.to)) +
                    "): " + std::to_string(r.selection.incidents.size()) + " of " +
                    std::to_string(c.incidents.size()));
  if (r.run) {
    const RunInfo& run = *r.run;
    row("Simulator run (run.json)",
        "policy <b>" + Escape(run.policy) + "</b>, seed " + std::to_string(run.seed) + ", " +
            std::to_string(run.calls) + " calls, " + std::to_string(run.events) + " events in " +
            Fmt("%.1f", run.seconds) + " s; its own first-unit travel P50 " +
            Secs(run.first_unit_travel_p50_s) + ", P90 " + Secs(run.first_unit_travel_p90_s) +
            ", within 240 s " + Pct(run.within_240s_pct) + "; log digest <code>" +
            Escape(run.log_digest) + "</code>" +
            (run.log_digest == c.chain_head ? " (equals the chain head read)" : ""));
  }
  row("Percentiles",
      "nearest rank: P<sub>p</sub> = x<sub>⌈p·n/100⌉</sub> of the n sorted samples; "
      "no sample trimmed");
  row("Intervals", "95 % bootstrap percentile intervals, " +
                       std::to_string(r.options.bootstrap.resamples) + " resamples, seed " +
                       std::to_string(r.options.bootstrap.seed) + " (splitmix64)");
  row("Response plans", r.options.plans ? "<code>" + Escape(r.options.plans_source) + "</code>"
                                        : "none given (no SLA section)");
  row("Road graph", r.options.graph ? "<code>" + Escape(r.options.graph_source) + "</code>"
                                    : "none given (heat map without roads)");
  return s + "</dl>";
}

std::string NfpaTableFor(const Report& r, const MeasureInfo& info) {
  const size_t k = static_cast<size_t>(info.measure);
  const bool has_target = info.measure != Measure::kTotal;
  std::string s = "<div class=\"fig\"><h3>" + Escape(info.label) + " — " + Escape(info.standard) +
                  "</h3><table><tr><th>group</th><th>n</th><th>P50</th><th>95 % CI</th><th>P90</th>"
                  "<th>95 % CI</th>" +
                  std::string(has_target ? "<th>target</th><th>within target</th>" : "") + "</tr>";
  for (const GroupSummary& g : r.nfpa) {
    const Summary& m = g.measures[k];
    if (m.n == 0 && g.group != "all") continue;
    std::string cls = !has_target || !m.p90 ? "" : (*m.p90 <= m.target_s ? "ok" : "miss");
    s += "<tr><td>" + Escape(g.group) + "</td><td>" + std::to_string(m.n) + "</td><td>" +
         Secs(m.p50) + "</td><td>" + Ci(m.p50_ci) + "</td><td class=\"" + cls + "\">" +
         Secs(m.p90) + "</td><td>" + Ci(m.p90_ci) + "</td>";
    if (has_target)
      s += "<td>" + (m.n ? (m.mixed_targets ? "60/80 s" : Fmt("%.0f s", m.target_s)) : "") +
           "</td><td>" + Pct(m.within_pct) + "</td>";
    s += "</tr>";
  }
  const Summary& all = r.nfpa.front().measures[k];
  return s + "</table>" +
         Caption(all.seqs, "P90 cells green where the 90th percentile meets the target") + "</div>";
}

std::string NfpaSection(const Report& r) {
  std::string s =
      "<section><h2>1. NFPA 1710 / 1225 at the 90th percentile</h2><p>Per incident, from the "
      "unit responses that pass the data-quality rules (section 7): call processing to the first "
      "assignment; turnout and travel of the first unit on scene; total from the call to the "
      "first unit on scene; full-alarm travel as the longest travel among the fire incident's "
      "units assigned within 60 s of the first (two or more arrived). Turnout targets: 60 s "
      "for medical.* incidents, 80 s otherwise.</p>";
  for (const MeasureInfo& info : kMeasures) s += NfpaTableFor(r, info);
  return s + "</section>";
}

std::string CdfSection(const Report& r) {
  std::string s = "<section><h2>2. Response-time distributions</h2>";
  for (Measure m :
       {Measure::kCallProcessing, Measure::kTurnout, Measure::kTravel, Measure::kTotal}) {
    const size_t k = static_cast<size_t>(m);
    const Summary& all = r.nfpa.front().measures[k];
    double target = m == Measure::kTotal ? 0 : all.target_s;
    s += "<div class=\"fig\"><h3>" + Escape(kMeasures[k].label) + "</h3>" +
         CdfSvg({{"all incidents", "#1565c0", &r.samples[k]}}, target) +
         Caption(all.seqs, "dots: P50 and P90; axis to the P99, the curve reaches 100 % beyond") +
         "</div>";
  }
  return s + "</section>";
}

std::string SeriesSection(const Report& r) {
  const Series& s = r.series;
  return "<section><h2>3. Open incidents against available units</h2><div class=\"fig\">" +
         SeriesSvg(s) +
         Caption(s.seqs, "counts at the end of each of " + std::to_string(s.points.size()) +
                             " equal spans; at most " + std::to_string(s.max_open) +
                             " incidents open and as few as " + std::to_string(s.min_available) +
                             " units available at any event") +
         "</div></section>";
}

std::string HeatSection(const Report& r) {
  const HeatMap& h = r.heat;
  std::string what = std::to_string(h.incidents) + " incidents in cells of 1/" +
                     std::to_string(h.columns) + " of the width (log colour scale)";
  if (h.without_location) what += "; " + std::to_string(h.without_location) + " without a location";
  what += h.roads.empty() ? "; no road graph given"
                          : "; " + std::to_string(h.roads.size()) + " road segments of the graph";
  return "<section><h2>4. Where the incidents were</h2><div class=\"fig\">" + HeatMapSvg(h) +
         Caption(h.seqs, what) + "</div></section>";
}

std::string UtilisationSection(const Report& r) {
  const Utilisation& u = r.utilisation;
  std::string s =
      "<section><h2>5. Unit utilisation</h2><div class=\"fig\"><p>Share of the window "
      "(" +
      Fmt("%.1f", u.window_s / 3600) +
      " h) each unit was committed: assigned to cleared, valid rows only.</p>"
      "<h3>By kind</h3><table><tr><th>kind</th><th>mean utilisation</th></tr>";
  for (const auto& [kind, mean] : u.mean_by_kind)
    s += "<tr><td>" + Escape(kind) + "</td><td>" + Pct(mean * 100) + "</td></tr>";
  s += "</table><h3>Busiest units</h3><table><tr><th>unit</th><th class=\"l\">agency</th><th "
       "class=\"l\">kind</th><th>responses</th><th>committed</th><th>utilisation</th></tr>";
  for (size_t k = 0; k < u.units.size() && k < 15; ++k) {
    const UnitUse& use = u.units[k];
    s += "<tr><td>" + Escape(use.unit->callsign) + "</td><td class=\"l\">" +
         Escape(use.unit->agency) + "</td><td class=\"l\">" + Escape(use.unit->kind) + "</td><td>" +
         std::to_string(use.responses) + "</td><td>" + Fmt("%.1f h", use.busy_s / 3600) +
         "</td><td>" + Pct(use.fraction * 100) + "</td></tr>";
  }
  return s + "</table>" + Caption(u.seqs, std::to_string(u.units.size()) + " units registered") +
         "</div></section>";
}

std::string SlaCell(const SlaStep& st) {
  uint64_t reached = st.met + st.missed;
  if (st.target_s <= 0) return "<td>–</td><td></td><td></td>";
  std::optional<double> pct;
  if (reached) pct = 100.0 * static_cast<double>(st.met) / static_cast<double>(reached);
  return "<td>" + std::to_string(st.target_s) + " s</td><td>" + Pct(pct) + " <small>(" +
         std::to_string(st.missed) + " late, " + std::to_string(st.not_reached) +
         " never)</small></td><td>" + std::to_string(st.escalations_logged) + "</td>";
}

std::string SlaSection(const Report& r) {
  std::string s = "<section><h2>6. Time targets of the response plans</h2>";
  if (!r.options.plans)
    return s + "<p class=\"empty\">No response plans given (--plans).</p></section>";
  s += "<div class=\"fig\"><p>Steps as the dispatch room's SLA timers measure them: call → first "
       "assigned, first assigned → first en route, first en route → first on scene.</p><table>"
       "<tr><th>plan</th><th>priority</th><th>dispatch target</th><th>met</th><th>escalated</th>"
       "<th>en route target</th><th>met</th><th>escalated</th><th>on scene target</th><th>met</th>"
       "<th>escalated</th></tr>";
  SeqRange all;
  for (const SlaRow& row : r.sla) {
    s += "<tr><td>" + Escape(row.plan) + "</td><td>" + std::to_string(row.priority) + "</td>";
    for (const SlaStep& st : row.steps) s += SlaCell(st);
    s += "</tr>";
    all.Add(row.seqs);
  }
  return s + "</table>" +
         Caption(all, "plans from " + r.options.plans_source +
                          "; 'escalated' counts the sla_escalated events the log holds") +
         "</div></section>";
}

std::string QualitySection(const Report& r) {
  const QualityReport& q = r.selection.quality;
  std::string s =
      "<section><h2>7. Data quality</h2><div class=\"fig\"><p>" + std::to_string(q.rows) +
      " unit responses in the window; " + std::to_string(q.excluded) +
      " excluded. Each is checked against these rules in order and left out of every figure under "
      "the first it breaks; no time is reordered or swapped, and no sample is trimmed before a "
      "percentile.</p><table><tr><th>rule</th><th class=\"l\">meaning</th><th>rows "
      "excluded</th><th class=\"l\">first examples (incident, unit, seq)</th></tr>";
  for (const QualityRuleInfo& rule : kRules) {
    const size_t k = static_cast<size_t>(rule.rule);
    std::string ex;
    for (const QualityExample& e : q.examples[k])
      ex += (ex.empty() ? "" : "; ") + std::to_string(e.incident.value) + " " + Escape(e.callsign) +
            " " + std::to_string(e.seqs.first.value) + "–" + std::to_string(e.seqs.last.value);
    s += "<tr><td><code>" + std::string(rule.name) + "</code></td><td class=\"l\">" + rule.text +
         "</td><td>" + std::to_string(q.by_rule[k]) + "</td><td class=\"l\">" + ex + "</td></tr>";
  }
  s += "</table><p>Kept, with a gap: " + std::to_string(q.on_scene_without_en_route) +
       " responses on scene without an en route step (no turnout or travel from them), " +
       std::to_string(q.never_on_scene) + " never on scene, " +
       std::to_string(q.incidents_without_rows) + " incidents no unit was sent to; " +
       std::to_string(r.content->unknown_references) +
       " events named a record the log never created (ignored).</p>";
  return s + Caption(q.seqs, "") + "</div></section>";
}

std::string Page(const std::string& title, const std::string& body) {
  return "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" +
         Escape(title) + "</title><style>" + kCss + "</style></head><body>" + body +
         "<p class=\"cap\">Made by <code>ncc report</code> from the event log alone; figures are "
         "recomputed the same for the same log, window and seed.</p></body></html>\n";
}

std::string ReportBody(const Report& r) {
  return MetaSection(r) + NfpaSection(r) + CdfSection(r) + SeriesSection(r) + HeatSection(r) +
         UtilisationSection(r) + SlaSection(r) + QualitySection(r);
}

std::string DifferenceTable(const Report& a, const Report& b, const std::vector<Difference>& d) {
  std::string s =
      "<table><tr><th>group</th><th class=\"l\">measure</th><th>A</th><th>B</th>"
      "<th>B − A</th><th>95 % CI of B − A</th></tr>";
  for (const Difference& x : d) {
    std::optional<double> diff;
    if (x.a && x.b) diff = *x.b - *x.a;
    bool clear = x.ci && (x.ci->high < 0 || x.ci->low > 0);
    s += "<tr><td>" + Escape(x.group) + "</td><td class=\"l\">" +
         kMeasures[static_cast<size_t>(x.measure)].name + " P" + Fmt("%.0f", x.percentile) +
         "</td><td>" + Secs(x.a) + "</td><td>" + Secs(x.b) + "</td><td" +
         (clear ? (*diff < 0 ? " class=\"ok\"" : " class=\"miss\"") : "") + ">" + Secs(diff) +
         "</td><td>" + Ci(x.ci) + "</td></tr>";
  }
  return s + "</table><p class=\"cap\">A from " + Seqs(a.selection.quality.seqs) + " of " +
         Escape(a.source) + "; B from " + Seqs(b.selection.quality.seqs) + " of " +
         Escape(b.source) +
         ". Intervals resample each run on its own; coloured where the interval excludes 0 "
         "(green: B faster).</p>";
}

}  // namespace

std::string RenderReport(const Report& r) {
  return Page("ncc report — " + Title(r),
              "<h1>After-action and performance report</h1><p class=\"cap\">" + Escape(Title(r)) +
                  "</p>" + ReportBody(r));
}

std::string RenderCompare(const Report& a, const Report& b, const std::vector<Difference>& diffs) {
  std::string s = "<h1>Runs compared</h1><p class=\"cap\">A: " + Escape(Title(a)) +
                  " — B: " + Escape(Title(b)) + "</p><section><h2>Differences</h2>" +
                  DifferenceTable(a, b, diffs) + "</section><section><h2>Distributions</h2>";
  for (Measure m :
       {Measure::kCallProcessing, Measure::kTurnout, Measure::kTravel, Measure::kTotal}) {
    const size_t k = static_cast<size_t>(m);
    double target = m == Measure::kTotal ? 0 : a.nfpa.front().measures[k].target_s;
    s += "<div class=\"fig\"><h3>" + Escape(kMeasures[k].label) + "</h3>" +
         CdfSvg({{"A " + Title(a), "#1565c0", &a.samples[k]},
                 {"B " + Title(b), "#d2410a", &b.samples[k]}},
                target) +
         "<p class=\"cap\">A from " + Seqs(a.nfpa.front().measures[k].seqs) + ", B from " +
         Seqs(b.nfpa.front().measures[k].seqs) + ".</p></div>";
  }
  s += "</section><div class=\"cols\"><div><h2>A</h2>" + ReportBody(a) + "</div><div><h2>B</h2>" +
       ReportBody(b) + "</div></div>";
  return Page("ncc compare — " + Title(a) + " vs " + Title(b), s);
}

}  // namespace ncc::report
