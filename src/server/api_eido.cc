// EIDO import (docs/exchange.md "EIDO import"):
//   POST /api/v1/eido[?classification=&agency=]   a NENA EIDO JSON document (incident.create)
// creates the incident it describes, or updates the one it names: this centre's own (the $id
// its export writes, urn:emergency:uid:incidentid:<n>:<--eido-issuer>) or the one an earlier
// EIDO with the same $id created (its source "eido:<$id>"). Every change is an ordinary
// command through decide (ReceiveAlarms opening the incident with its source, ShareIncident,
// ChangeIncidentPriority, AddIncidentNote, ChangeIncidentStatus), authorized on the incident's
// label like the routes that issue them one by one; refusals name the EIDO field.
#include <algorithm>
#include <cstdio>
#include <deque>
#include <map>
#include <set>

#include "exchange/eido/eido_reader.h"
#include "server/api_rooms.h"
#include "visibility/access.h"

namespace ncc {
namespace {

using nlohmann::json;

// One command of an import and the EIDO field a refusal of it names.
struct Step {
  Command command;
  std::string field;
  std::string what;  // for the reply's "applied"
  // What the route that issues it alone requires, on the incident's label.
  auth::Action action = auth::Action::kIncidentUpdateStatus;
};

// The statuses from `from` to `to` by legal steps (breadth first; merged is never a step: it
// needs the incident merged into). Empty when there is no way forward.
std::vector<IncidentStatus> StatusPath(IncidentStatus from, IncidentStatus to) {
  if (from == to) return {};
  std::vector<int> previous(kIncidentStatusCount, -1);
  std::deque<IncidentStatus> queue{from};
  previous[static_cast<int>(from)] = static_cast<int>(from);
  while (!queue.empty()) {
    IncidentStatus s = queue.front();
    queue.pop_front();
    for (int n = 0; n < kIncidentStatusCount; ++n) {
      auto next = static_cast<IncidentStatus>(n);
      if (next == IncidentStatus::kMerged || previous[n] >= 0 || !IsLegal(s, next)) continue;
      previous[n] = static_cast<int>(s);
      queue.push_back(next);
    }
  }
  if (previous[static_cast<int>(to)] < 0) return {};
  std::vector<IncidentStatus> path;
  for (int at = static_cast<int>(to); at != static_cast<int>(from); at = previous[at])
    path.insert(path.begin(), static_cast<IncidentStatus>(at));
  return path;
}

std::string Coordinates(const LatLon& p) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6f,%.6f", p.lat, p.lon);
  return buf;
}

// What the document says differently of an existing incident that no command changes (type,
// summary, place): one note, so that the operator sees it.
std::string Differences(const eido::EidoIncident& e, const Incident& i) {
  std::string out;
  auto add = [&](const char* what, const std::string& now, const std::string& was) {
    if (now == was) return;
    out += (out.empty() ? "" : "; ") + std::string(what) + " " + (now.empty() ? "(none)" : now) +
           " (here: " + (was.empty() ? "(none)" : was) + ")";
  };
  add("type", e.type, i.type);
  add("summary", e.summary, i.summary);
  if (DistanceMeters(e.location, i.location) > 1)
    add("location", Coordinates(e.location), Coordinates(i.location));
  add("address", e.address, i.address);
  add("landmark", e.landmark, i.landmark);
  if (out.empty()) return out;
  return "EIDO from " + e.issuer + " says " + out;
}

// The commands that bring incident `i` to what the document says, in an order decide accepts:
// shares, priority, notes (before any terminal status closes them), then the status steps.
std::vector<Step> Followups(const eido::EidoIncident& e, const Incident& i, const World& w,
                            bool created, json& not_applied) {
  std::vector<Step> steps;
  const std::string why = "EIDO from " + e.issuer;
  for (const std::string& a : e.assisting) {
    bool shared = std::find(i.shared_with.begin(), i.shared_with.end(), a) != i.shared_with.end();
    if (a == i.agency || shared) continue;
    if (!w.FindAgency(a)) {
      not_applied.push_back("agencyComponent: no agency " + a.substr(0, 64) + " here");
      continue;
    }
    steps.push_back({ShareIncident{i.id, a}, "agencyComponent", "shared:" + a});
  }
  if (!created && e.priority && *e.priority != i.priority)
    steps.push_back({ChangeIncidentPriority{i.id, *e.priority, why},
                     "incidentComponent.incidentPriorityInternalText",
                     "priority:" + std::to_string(*e.priority)});
  if (!created)
    if (std::string d = Differences(e, i); !d.empty())
      steps.push_back({AddIncidentNote{i.id, d.substr(0, Limits::kNote)}, "incidentComponent",
                       "note:differences", auth::Action::kIncidentNote});
  std::set<std::string> known;
  for (const TimelineEntry& t : i.timeline)
    if (t.kind == "note") known.insert(t.text);
  for (const eido::EidoNote& n : e.notes)
    if (known.insert(n.text).second)
      steps.push_back(
          {AddIncidentNote{i.id, n.text}, n.field, "note", auth::Action::kIncidentNote});
  if (e.status == IncidentStatus::kMerged) {
    not_applied.push_back(e.status_field + ": merged (needs the incident it was merged into)");
  } else if (e.status && *e.status != i.status) {
    std::vector<IncidentStatus> path = StatusPath(i.status, *e.status);
    if (path.empty())
      not_applied.push_back(e.status_field + ": " + std::string(Name(*e.status)) +
                            " (no legal step from " + std::string(Name(i.status)) + ")");
    for (IncidentStatus s : path)
      steps.push_back(
          {ChangeIncidentStatus{i.id, s, why}, e.status_field, "status:" + std::string(Name(s))});
  }
  return steps;
}

// The incident the document names: this centre's own by its $id, else the one an earlier EIDO
// with this $id opened.
std::optional<IncidentId> NamedIncident(const World& w, const eido::EidoIncident& e) {
  if (e.own_id) return IncidentId(*e.own_id);
  const std::string source = "eido:" + e.tracking_id;
  for (auto i = w.incidents().rbegin(); i != w.incidents().rend(); ++i)
    for (const IncidentSource& s : i->sources)
      if (s.id == source) return i->id;
  return std::nullopt;
}

}  // namespace

// The steps of one import, submitted one after the other as the caller; the first refusal
// stops the rest and is the answer (naming the EIDO field), with what was applied before it.
struct EidoRoutes::Import {
  auth::Principal who;
  eido::EidoIncident doc;
  IncidentId id;
  bool created = false;
  std::vector<Step> steps;
  size_t next = 0;
  Seq last_seq;
  json applied = json::array(), not_applied = json::array();
  Reply reply;
};

void EidoRoutes::AddRoutes(Router& router) {
  router.Add({"POST", "/api/v1/eido", auth::Action::kIncidentCreate, Gate::kSignedIn,
              BodyType::kJson, [this](const RouteCall& c, Reply reply) {
                ImportRoute(c.request(), c.who(), std::move(reply));
              }});
}

void EidoRoutes::ImportRoute(const HttpRequest& r, Who who, Reply reply) {
  auto doc = eido::ReadEido(r.body, options_.eido_issuer);
  if (!doc.ok()) return reply(ErrorResponse(doc.status()));
  auto import = std::make_shared<Import>();
  import->who = who;
  import->doc = std::move(*doc);
  import->reply = std::move(reply);
  auto named = engine_.Read([&](const World& w) { return NamedIncident(w, import->doc); });
  if (named) return Update(import, *named);
  if (import->doc.own_id)
    return import->reply(ErrorResponse(
        NotFound("no incident " + std::to_string(*import->doc.own_id) + " here", "$id")));
  Create(r, import);
}

void EidoRoutes::Create(const HttpRequest& r, std::shared_ptr<Import> import) {
  const eido::EidoIncident& e = import->doc;
  Classification classification = Classification::kRestricted;
  if (auto it = r.query.find("classification"); it != r.query.end()) {
    auto parsed = ParseClassification(it->second);
    if (!parsed)
      return import->reply(ErrorResponse(
          Malformed("must be public, restricted, confidential or secret", "classification")));
    classification = *parsed;
  }
  // The owner: ?agency=, else the document's owning agency when this centre has it, else the
  // caller's.
  std::string agency = r.query.count("agency") ? r.query.at("agency") : "";
  if (agency.empty())
    agency = engine_.Read([&](const World& w) { return w.FindAgency(e.agency) != nullptr; })
                 ? e.agency
                 : import->who.agency;
  auth::RecordLabel label{agency, classification, {}};
  if (Status s = auth::Authorize(import->who, auth::Action::kIncidentCreate, &label); !s.ok())
    return import->reply(ErrorResponse(s));
  std::string source_id = "eido:" + e.tracking_id;
  if (source_id.size() > Limits::kShortText)
    return import->reply(
        ErrorResponse(InvalidArgument("an incident tracking id of at most 250 bytes", "$id")));
  ReceiveAlarms::Item item;
  item.alarm.id = source_id;
  item.alarm.source = "eido";
  item.alarm.kind = "call";
  item.alarm.location = e.location;
  item.alarm.time = clock_.Now();
  item.alarm.sensor = e.issuer.substr(0, Limits::kShortText);
  item.alarm.details = "EIDO from " + e.issuer.substr(0, 200);
  item.open =
      CreateIncident{e.type, e.priority.value_or(3), e.location, e.address, e.landmark, e.summary,
                     agency, classification};
  import->created = true;
  import->steps.push_back({ReceiveAlarms{
                               { std::move(item) }},
                           "", "incident_created", auth::Action::kIncidentCreate});
  Next(import);
}

void EidoRoutes::Update(std::shared_ptr<Import> import, IncidentId id) {
  if (auto no =
          Refuse(import->who, auth::Action::kIncidentUpdateStatus, auth::Action::kIncidentRead,
                 IncidentLabel(engine_, id), "incident", id.value, "$id"))
    return import->reply(std::move(*no));
  import->id = id;
  bool closed = engine_.Read([&](const World& w) {
    const Incident* i = w.FindIncident(id);
    if (!i || IsTerminal(i->status)) return true;
    import->steps = Followups(import->doc, *i, w, false, import->not_applied);
    return false;
  });
  if (closed)
    return import->reply(JsonResponse(
        200, {{"outcome", "already_closed"}, {"incident", id.value}, {"eido", Echo(*import)}}));
  Next(import);
}

json EidoRoutes::Echo(const Import& import) {
  return {{"$id", import.doc.tracking_id}, {"issuer", import.doc.issuer}};
}

// The decide error in the terms of the document: the step's field, or for the opening command
// the EIDO field of the CreateIncident field named.
Status EidoRoutes::InEidoTerms(const Status& s, const std::string& step_field) {
  static const std::map<std::string, std::string, std::less<>> kCreate = {
      {"type", "incidentComponent.incidentTypeInternalCode"},
      {"priority", "incidentComponent.incidentPriorityInternalText"},
      {"location", "locationComponent"},
      {"address", "locationComponent.locationDescriptionText"},
      {"landmark", "locationComponent.locationByValue"},
      {"summary", "incidentComponent.incidentTypeInternalText"},
      {"agency", "agency"},
      {"alarms[0].id", "$id"},
      {"alarms[0].sensor", "issuingElementIdentification"},
  };
  std::string field = step_field;
  if (field.empty()) {
    auto it = kCreate.find(s.field());
    field = it != kCreate.end()                   ? it->second
            : s.field().rfind("location", 0) == 0 ? "locationComponent"
                                                  : s.field();
  }
  return Status(s.code(), s.message(), field);
}

// Each change as the route that makes it alone would allow it: one the caller may not make is
// left out and said, the others go on.
bool EidoRoutes::Allowed(Import& import) {
  if (!import.id) return true;  // the creation: authorized before it was queued
  const Step& step = import.steps[import.next];
  auto label = IncidentLabel(engine_, import.id);
  Status allowed = label ? auth::Authorize(import.who, step.action, &*label)
                         : NotFound("no incident " + std::to_string(import.id.value), "$id");
  if (allowed.ok()) return true;
  import.not_applied.push_back(step.field + ": " + step.what + " (" + allowed.message() + ")");
  return false;
}

void EidoRoutes::Next(std::shared_ptr<Import> import) {
  while (import->next < import->steps.size() && !Allowed(*import)) ++import->next;
  if (import->next == import->steps.size()) return Finish(import);
  const Step& step = import->steps[import->next];
  engine_.Submit(step.command, import->who.user, import->who.agency,
                 [this, import](CommandOutcome o) {
                   const Step& done = import->steps[import->next];
                   if (!o.status.ok()) {
                     Status s = InEidoTerms(o.status, done.field);
                     std::string message = s.message();
                     if (!import->applied.empty())
                       message += " (after " + std::to_string(import->applied.size()) +
                                  " change(s) applied; importing the document again resumes)";
                     return import->reply(ErrorResponse(Status(s.code(), message, s.field())));
                   }
                   if (o.last_seq.value) import->last_seq = o.last_seq;
                   import->applied.push_back(done.what);
                   ++import->next;
                   if (import->created && import->next == 1) return AfterCreate(import, o);
                   Next(import);
                 });
}

void EidoRoutes::AfterCreate(std::shared_ptr<Import> import, const CommandOutcome& o) {
  import->id = IncidentId(o.created_id);
  engine_.Read([&](const World& w) {
    if (const Incident* i = w.FindIncident(import->id)) {
      std::vector<Step> more = Followups(import->doc, *i, w, true, import->not_applied);
      for (Step& s : more) import->steps.push_back(std::move(s));
    }
  });
  Next(import);
}

void EidoRoutes::Finish(std::shared_ptr<Import> import) {
  json body = {{"outcome", import->created ? "created" : "updated"},
               {"incident", import->id.value},
               {"seq", import->last_seq.value},
               {"applied", import->applied},
               {"not_applied", import->not_applied},
               {"eido", Echo(*import)}};
  import->reply(JsonResponse(import->created ? 201 : 200, body));
}

}  // namespace ncc
