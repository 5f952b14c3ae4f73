#include "plan/sitrep.h"

#include <map>

#include "core/json_writer.h"
#include "core/markup.h"
#include "geo/polygon.h"
#include "plan/views.h"

namespace ncc::plan {
namespace {

using nlohmann::json;

constexpr size_t kSignificantMax = 50;

json Counts(const std::map<std::string, int>& counts) {
  json out = json::object();
  for (const auto& [k, n] : counts) out[k] = n;
  return out;
}

const char* UnitState(const Unit& u) {
  if (u.status == UnitStatus::kOutOfService) return "out_of_service";
  return u.status == UnitStatus::kAvailable ? "available" : "committed";
}

json IncidentFigures(const World& w, const OperationPlan* p, const SitRepFilter& see,
                     json& significant) {
  std::map<std::string, int> by_status, by_type, by_priority, by_sector;
  std::vector<geo::Ring> rings;
  if (p)
    for (const PlanSector& s : p->sectors) rings.emplace_back(s.polygon);
  int open = 0;
  for (const Incident& i : w.incidents()) {
    if (IsTerminal(i.status) || !see.incident(i)) continue;
    ++open;
    ++by_status[std::string(Name(i.status))];
    ++by_type[i.type];
    ++by_priority[std::to_string(i.priority)];
    if (p) {
      std::string where = "outside";
      for (size_t k = 0; k < rings.size(); ++k)
        if (rings[k].Contains(i.location)) where = p->sectors[k].id;
      ++by_sector[where];
    }
    if (i.priority == 1 && significant.size() < kSignificantMax)
      significant.push_back({{"kind", "incident"},
                             {"id", i.id.value},
                             {"type", i.type},
                             {"priority", i.priority},
                             {"status", Name(i.status)},
                             {"address", i.address}});
  }
  json out = {{"open", open},
              {"by_status", Counts(by_status)},
              {"by_type", Counts(by_type)},
              {"by_priority", Counts(by_priority)}};
  if (p) out["by_sector"] = Counts(by_sector);
  return out;
}

json UnitFigures(const World& w, const SitRepFilter& see) {
  std::map<std::string, std::map<std::string, int>> by_agency;
  for (const Unit& u : w.units())
    if (see.unit(u)) ++by_agency[u.agency][UnitState(u)];
  json out = json::object();
  for (const auto& [agency, states] : by_agency) {
    json row = {{"available", 0}, {"committed", 0}, {"out_of_service", 0}};
    for (const auto& [state, n] : states) row[state] = n;
    out[agency] = row;
  }
  return out;
}

json PlanFigures(const World& w, const OperationPlan& p, Time at, json& significant) {
  for (const DecisionPoint& d : p.decision_points)
    if (d.fired.ms && significant.size() < kSignificantMax)
      significant.push_back({{"kind", "decision_point"},
                             {"plan", p.id},
                             {"point", d.id},
                             {"name", d.name},
                             {"time", FormatTime(d.fired)}});
  for (const PlanTask& t : p.tasks)
    if (t.escalated.ms && significant.size() < kSignificantMax)
      significant.push_back({{"kind", "task_overdue"},
                             {"plan", p.id},
                             {"task", t.id},
                             {"title", t.title},
                             {"agency", t.agency}});
  return {{"id", p.id},
          {"name", p.name},
          {"status", p.status},
          {"progress", ProgressJson(MeasureProgress(p, w, at))}};
}

std::string Rows(const json& counts) {
  std::string html;
  for (const auto& [k, v] : counts.items())
    html += "<tr><td>" + EscapeMarkup(k) + "</td><td>" + EscapeMarkup(v.dump()) + "</td></tr>";
  return html;
}

std::string Paragraphs(const std::string& text) {
  std::string html = "<p>";
  for (char c : text) {
    if (c == '\n')
      html += "</p><p>";
    else
      html += EscapeMarkup(std::string_view(&c, 1));
  }
  return html + "</p>";
}

}  // namespace

json SitRepFigures(const World& w, Time at, uint64_t plan, const SitRepFilter& see) {
  const OperationPlan* p = plan ? w.FindPlan(plan) : nullptr;
  if (p && !see.plan(*p)) p = nullptr;
  json significant = json::array();
  json out = {{"at", FormatTime(at)},
              {"seq", w.last_seq().value},
              {"incidents", IncidentFigures(w, p, see, significant)},
              {"units", UnitFigures(w, see)}};
  if (p) out["plan"] = PlanFigures(w, *p, at, significant);
  out["significant"] = std::move(significant);
  return out;
}

json SitRepJson(const SitRep& r) {
  json out = JsonWriter::ToJson(r);
  json figures = json::parse(r.figures, nullptr, false);
  out["figures"] = figures.is_discarded() ? json::object() : figures;
  out["cap"] = {
      {"identifier", "ncc-sitrep-" + std::to_string(r.id) + "-" + std::to_string(r.revision)},
      {"sender", r.agency},
      {"sent", FormatTime(r.approved.ms ? r.approved : r.updated)},
      {"status", r.status == "approved" ? "Actual" : "Draft"},
      {"msgType", "Alert"},
      {"scope", r.shared_with.empty() ? "Private" : "Restricted"},
      {"addresses", r.shared_with},
      {"headline", r.title},
      {"description", r.narrative}};
  return out;
}

std::string SitRepHtml(const SitRep& r, const World& w) {
  json figures = json::parse(r.figures, nullptr, false);
  if (figures.is_discarded()) figures = json::object();
  const Agency* a = w.FindAgency(r.agency);
  std::string html =
      "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>" +
      EscapeMarkup(r.title) +
      "</title><style>body{font:14px/1.4 system-ui,sans-serif;margin:24px}table{border-collapse:"
      "collapse;margin:8px 0}td,th{border:1px solid #999;padding:4px 8px;text-align:start}"
      ".muted{color:#555}</style></head><body><h1>" +
      EscapeMarkup(r.title) + "</h1><p class=\"muted\">Situation report " + std::to_string(r.id) +
      " revision " + std::to_string(r.revision) + " · " + EscapeMarkup(a ? a->name : r.agency) +
      " · as of " + EscapeMarkup(FormatTime(r.at)) + " · " + EscapeMarkup(r.status) +
      (r.approved.ms ? " by " + EscapeMarkup(r.approved_by) : std::string()) + " · " +
      EscapeMarkup(Name(r.classification)) + "</p>" + Paragraphs(r.narrative);
  const json inc = figures.value("incidents", json::object());
  html += "<h2>Incidents open: " + EscapeMarkup(inc.value("open", json(0)).dump()) + "</h2>";
  for (const char* part : {"by_status", "by_type", "by_priority", "by_sector"})
    if (inc.contains(part))
      html += "<h3>" + EscapeMarkup(part) + "</h3><table>" + Rows(inc[part]) + "</table>";
  html +=
      "<h2>Units per agency</h2><table><tr><th>agency</th><th>available</th><th>committed"
      "</th><th>out of service</th></tr>";
  const json units = figures.value("units", json::object());
  for (const auto& [agency, row] : units.items())
    html += "<tr><td>" + EscapeMarkup(agency) + "</td><td>" +
            row.value("available", json(0)).dump() + "</td><td>" +
            row.value("committed", json(0)).dump() + "</td><td>" +
            row.value("out_of_service", json(0)).dump() + "</td></tr>";
  html += "</table>";
  if (figures.contains("plan"))
    html += "<h2>Plan: " + EscapeMarkup(figures["plan"].value("name", "")) + "</h2><table>" +
            Rows(figures["plan"].value("progress", json::object())) + "</table>";
  html += "<h2>Significant</h2><ul>";
  const json significant = figures.value("significant", json::array());
  for (const json& s : significant) html += "<li>" + EscapeMarkup(s.dump()) + "</li>";
  return html + "</ul></body></html>";
}

}  // namespace ncc::plan
