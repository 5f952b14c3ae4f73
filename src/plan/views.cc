#include "plan/views.h"

#include <algorithm>
#include <cmath>

#include "core/json_writer.h"
#include "core/markup.h"
#include "geo/polygon.h"

namespace ncc::plan {
namespace {

using nlohmann::json;

bool Open(const PlanTask& t) {
  return t.status == "planned" || t.status == "in_progress";
}

const PlanSector* FindSector(const OperationPlan& p, const std::string& id) {
  for (const PlanSector& s : p.sectors)
    if (s.id == id) return &s;
  return nullptr;
}

std::string Meters(double m) {
  char buf[32];
  if (m >= 1000)
    std::snprintf(buf, sizeof buf, "%.1f km", m / 1000);
  else
    std::snprintf(buf, sizeof buf, "%.0f m", m);
  return buf;
}

// Why a posting is not met, or "" when its unit stands at its post (views.h).
std::string PostingProblemOf(const OperationPlan& p, const PlanPosting& x, const World& w) {
  const Unit* u = w.FindUnitByCallsign(x.agency, x.unit);
  if (!u) return "no such unit";
  if (u->incident.value) return "committed to incident " + std::to_string(u->incident.value);
  if (u->status == UnitStatus::kOutOfService) return "out of service";
  if (!u->position) return "no position";
  double off = DistanceMeters(*u->position, x.post);
  if (off <= kPostToleranceMeters) return "";
  const PlanSector* s = FindSector(p, x.sector);
  if (s && geo::Ring(s->polygon).Contains(*u->position)) return "";
  return Meters(off) + " from its post, outside sector " + x.sector;
}

std::string Time0(Time t) {
  return t.ms ? FormatTime(t) : "";
}

const char* kPageStyle =
    "body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#111}"
    "table{border-collapse:collapse;width:100%;margin:12px 0}"
    "th,td{border:1px solid #999;padding:6px;vertical-align:top;text-align:start}"
    "th{background:#e8e8e8}.t{display:block;margin:2px 0;padding:2px 4px;border-radius:3px}"
    ".planned{background:#e3ecf7}.in_progress{background:#fff1c2}.done{background:#d9f2d9}"
    ".cancelled{background:#eee;text-decoration:line-through}.held{background:#f3e5f5}"
    ".late{outline:2px solid #c00}.blocked{border-inline-start:4px solid #c60}"
    "h1{font-size:20px}h2{font-size:16px;margin-top:24px}.muted{color:#555}"
    "@media print{body{margin:0}}";

std::string PageStart(const std::string& title) {
  return "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>" +
         EscapeMarkup(title) + "</title><style>" + kPageStyle + "</style></head><body>";
}

std::string PlanHeading(const OperationPlan& p, Time now, const char* what) {
  return "<h1>" + EscapeMarkup(p.name) + " — " + what + "</h1><p class=\"muted\">" +
         EscapeMarkup(p.venue) + " · " + EscapeMarkup(Time0(p.start)) + " to " +
         EscapeMarkup(Time0(p.end)) + " · plan " + std::to_string(p.id) + " revision " +
         std::to_string(p.revision) + " · " + EscapeMarkup(p.status) + " · " +
         EscapeMarkup(Name(p.classification)) + " · as of " + EscapeMarkup(FormatTime(now)) +
         "</p>";
}

std::string TaskChip(const OperationPlan& p, const PlanTask& t, Time now) {
  std::string cls = t.status;
  if (IsLate(t, now)) cls += " late";
  if (IsBlocked(p, t)) cls += " blocked";
  std::string owner = t.unit.empty() ? t.team : t.unit;
  std::string due = t.deadline.ms ? " · due " + FormatTime(t.deadline) : "";
  return "<span class=\"t " + cls + "\"><b>" + EscapeMarkup(t.id) + "</b> " +
         EscapeMarkup(t.title) + (owner.empty() ? "" : " (" + EscapeMarkup(owner) + ")") +
         "<br><small>" + EscapeMarkup(t.status) + EscapeMarkup(due) +
         (t.sector.empty() ? "" : " · sector " + EscapeMarkup(t.sector)) + "</small></span>";
}

Time NextDeadline(const OperationPlan& p, const std::vector<size_t>& tasks) {
  Time next;
  for (size_t k : tasks) {
    const PlanTask& t = p.tasks[k];
    if (Open(t) && t.deadline.ms && (!next.ms || t.deadline < next)) next = t.deadline;
  }
  return next;
}

}  // namespace

std::string PostingProblem(const OperationPlan& plan, const PlanPosting& posting,
                           const World& world) {
  return PostingProblemOf(plan, posting, world);
}

bool IsLate(const PlanTask& t, Time now) {
  return Open(t) && t.deadline.ms && now > t.deadline;
}

bool IsBlocked(const OperationPlan& p, const PlanTask& t) {
  if (t.status != "planned") return false;
  for (const std::string& before : t.after) {
    const PlanTask* b = p.FindTask(before);
    if (b && b->status != "done" && b->status != "cancelled") return true;
  }
  return false;
}

Progress MeasureProgress(const OperationPlan& p, const World& w, Time now) {
  Progress out;
  out.tasks = p.tasks.size();
  for (const PlanTask& t : p.tasks) {
    out.done += t.status == "done";
    out.in_progress += t.status == "in_progress";
    out.held += t.status == "held";
    out.cancelled += t.status == "cancelled";
    if (IsLate(t, now)) out.late.push_back(t.id);
    if (IsBlocked(p, t)) out.blocked.push_back(t.id);
  }
  if (p.status != "active") return out;
  for (const PlanPhase& ph : p.phases) {
    if (!ph.started.ms || ph.ended.ms) continue;
    out.phase = ph.id;
    for (const PlanPosting& x : p.postings)
      if (x.phase == ph.id)
        if (std::string why = PostingProblem(p, x, w); !why.empty())
          out.gaps.push_back({x.sector, x.phase, x.agency, x.unit, std::move(why)});
  }
  return out;
}

json ProgressJson(const Progress& g) {
  json gaps = json::array();
  for (const PostingGap& x : g.gaps)
    gaps.push_back({{"sector", x.sector},
                    {"phase", x.phase},
                    {"agency", x.agency},
                    {"unit", x.unit},
                    {"why", x.why}});
  return {{"tasks", g.tasks},
          {"done", g.done},
          {"in_progress", g.in_progress},
          {"held", g.held},
          {"cancelled", g.cancelled},
          {"late", g.late},
          {"blocked", g.blocked},
          {"sectors_without_units", gaps},
          {"phase", g.phase}};
}

SyncMatrix BuildMatrix(const OperationPlan& p) {
  SyncMatrix m;
  m.rows = Participants(p);
  for (const PlanPhase& ph : p.phases) m.columns.push_back(ph.id);
  bool unphased = std::any_of(p.tasks.begin(), p.tasks.end(),
                              [](const PlanTask& t) { return t.phase.empty(); });
  if (unphased) m.columns.push_back("");
  m.cells.assign(m.rows.size(), std::vector<std::vector<size_t>>(m.columns.size()));
  for (size_t k = 0; k < p.tasks.size(); ++k) {
    const PlanTask& t = p.tasks[k];
    auto row = std::find(m.rows.begin(), m.rows.end(), t.agency);
    auto col = std::find(m.columns.begin(), m.columns.end(), t.phase);
    if (row == m.rows.end() || col == m.columns.end()) continue;
    m.cells[row - m.rows.begin()][col - m.columns.begin()].push_back(k);
  }
  return m;
}

json MatrixJson(const OperationPlan& p, Time now) {
  SyncMatrix m = BuildMatrix(p);
  json rows = json::array();
  for (size_t r = 0; r < m.rows.size(); ++r) {
    json cells = json::array();
    for (size_t c = 0; c < m.columns.size(); ++c) {
      json tasks = json::array();
      for (size_t k : m.cells[r][c]) {
        const PlanTask& t = p.tasks[k];
        tasks.push_back({{"id", t.id},
                         {"title", t.title},
                         {"status", t.status},
                         {"late", IsLate(t, now)},
                         {"blocked", IsBlocked(p, t)},
                         {"deadline", t.deadline.ms ? json(FormatTime(t.deadline)) : json()}});
      }
      Time next = NextDeadline(p, m.cells[r][c]);
      cells.push_back({{"phase", m.columns[c]},
                       {"tasks", tasks},
                       {"next_deadline", next.ms ? json(FormatTime(next)) : json()}});
    }
    rows.push_back({{"agency", m.rows[r]}, {"cells", cells}});
  }
  json columns = json::array();
  for (const std::string& c : m.columns) {
    auto ph = std::find_if(p.phases.begin(), p.phases.end(),
                           [&](const PlanPhase& x) { return x.id == c; });
    columns.push_back({{"phase", c}, {"name", ph == p.phases.end() ? "no phase" : ph->name}});
  }
  return {{"plan", p.id},
          {"revision", p.revision},
          {"at", FormatTime(now)},
          {"columns", columns},
          {"rows", rows}};
}

std::string MatrixHtml(const OperationPlan& p, const World& w, Time now) {
  SyncMatrix m = BuildMatrix(p);
  std::string html = PageStart(p.name + " — synchronization matrix") +
                     PlanHeading(p, now, "synchronization matrix") + "<table><tr><th>Agency</th>";
  for (const std::string& c : m.columns) {
    auto ph = std::find_if(p.phases.begin(), p.phases.end(),
                           [&](const PlanPhase& x) { return x.id == c; });
    html += "<th>" + (ph == p.phases.end() ? std::string("No phase") : EscapeMarkup(ph->name));
    if (ph != p.phases.end() && ph->start.ms)
      html += "<br><small>" + EscapeMarkup(FormatTime(ph->start)) + "</small>";
    if (ph != p.phases.end() && ph->started.ms)
      html += "<br><small>started " + EscapeMarkup(FormatTime(ph->started)) + "</small>";
    html += "</th>";
  }
  html += "</tr>";
  for (size_t r = 0; r < m.rows.size(); ++r) {
    const Agency* a = w.FindAgency(m.rows[r]);
    html += "<tr><th>" + EscapeMarkup(a ? a->name : m.rows[r]) + "</th>";
    for (size_t c = 0; c < m.columns.size(); ++c) {
      html += "<td>";
      for (size_t k : m.cells[r][c]) html += TaskChip(p, p.tasks[k], now);
      if (Time next = NextDeadline(p, m.cells[r][c]); next.ms)
        html +=
            "<small class=\"muted\">next deadline " + EscapeMarkup(FormatTime(next)) + "</small>";
      html += "</td>";
    }
    html += "</tr>";
  }
  Progress g = MeasureProgress(p, w, now);
  html += "</table><p>" + std::to_string(g.done) + " of " + std::to_string(g.tasks) +
          " tasks done, " + std::to_string(g.in_progress) + " in progress, " +
          std::to_string(g.late.size()) + " late, " + std::to_string(g.blocked.size()) +
          " blocked, " + std::to_string(g.gaps.size()) + " postings not met.</p></body></html>";
  return html;
}

std::string FormsHtml(const OperationPlan& p, const World& w, Time now) {
  std::string html = PageStart(p.name + " — ICS forms") + PlanHeading(p, now, "ICS forms");
  html += "<h2>ICS 202 — Incident objectives</h2><p>Operational period: " +
          EscapeMarkup(Time0(p.start)) + " to " + EscapeMarkup(Time0(p.end)) + "</p><ol>";
  for (const std::string& o : p.objectives) html += "<li>" + EscapeMarkup(o) + "</li>";
  html +=
      "</ol><h2>ICS 203 — Organisation</h2><table><tr><th>Agency</th><th>Role</th>"
      "<th>Units in the plan</th><th>Approved</th></tr>";
  for (const std::string& code : Participants(p)) {
    const Agency* a = w.FindAgency(code);
    std::vector<std::string> units;
    for (const PlanPosting& x : p.postings)
      if (x.agency == code && std::find(units.begin(), units.end(), x.unit) == units.end())
        units.push_back(x.unit);
    std::string approved;
    for (const PlanApproval& ap : p.approvals)
      if (ap.agency == code) approved = ap.by + " " + FormatTime(ap.at);
    std::string listed;
    for (const std::string& u : units) listed += (listed.empty() ? "" : ", ") + EscapeMarkup(u);
    html += "<tr><td>" + EscapeMarkup(a ? a->name : code) + "</td><td>" +
            (code == p.agency ? "lead" : "supporting") + "</td><td>" + listed + "</td><td>" +
            EscapeMarkup(approved) + "</td></tr>";
  }
  html += "</table><h2>ICS 204 — Assignments per sector</h2>";
  std::vector<std::string> sectors;
  for (const PlanSector& s : p.sectors) sectors.push_back(s.id);
  sectors.push_back("");
  for (const std::string& sid : sectors) {
    const PlanSector* s = FindSector(p, sid);
    html += "<h3>" +
            (s ? "Sector " + EscapeMarkup(s->id) + " — " + EscapeMarkup(s->name)
               : std::string("Whole operation")) +
            "</h3><table><tr><th>Phase</th><th>Tasks</th><th>Posted units</th></tr>";
    for (const PlanPhase& ph : p.phases) {
      std::string tasks, posted;
      for (const PlanTask& t : p.tasks)
        if (t.sector == sid && t.phase == ph.id) tasks += TaskChip(p, t, now);
      for (const PlanPosting& x : p.postings)
        if (x.sector == sid && x.phase == ph.id)
          posted += "<span class=\"t\">" + EscapeMarkup(x.unit) + " (" + EscapeMarkup(x.agency) +
                    ")</span>";
      if (tasks.empty() && posted.empty()) continue;
      html += "<tr><td>" + EscapeMarkup(ph.name) + "</td><td>" + tasks + "</td><td>" + posted +
              "</td></tr>";
    }
    html += "</table>";
  }
  return html + "</body></html>";
}

}  // namespace ncc::plan
