// Alarm routes (the intake itself is src/alarms):
//   POST /api/v1/alarms                 one alarm, an array, or {"alarms":[...]}
//   GET  /api/v1/alarms/{id}            the alarm and the incident it is attached to
//   POST /api/v1/incidents/{id}/split   {"sources":[alarm ids]}: an operator splits a wrong merge
//   POST /api/v1/watchlists             {"plate","list","reason"?,"agency"?,"classification"?}
//   GET  /api/v1/watchlists             entries the caller may read
//   DELETE /api/v1/watchlists/{plate}[?agency=]
// and POST /api/v1/incidents when calls are correlated (CorrelatedCall).
#include "core/json_writer.h"
#include "input/json_body.h"
#include "server/api_rooms.h"
#include "visibility/access.h"

namespace ncc {
namespace {

using nlohmann::json;

HttpResponse NoIntake() {
  return ErrorResponse(Unavailable("the alarm intake is not running"));
}

json ItemJson(const alarms::ItemResult& i) {
  json j = {{"index", i.index}, {"id", i.id}, {"outcome", i.outcome}};
  if (i.incident) j["incident"] = i.incident.value;
  if (i.outcome == "rejected") {
    j["field"] = i.status.field();
    j["reason"] = i.status.message();
    j["status"] = HttpStatusOf(i.status);
  }
  return j;
}

// One alarm alone answers with its own status (an error names the field); a batch answers 202
// with every item's outcome, or 4xx when not one alarm was taken.
HttpResponse SubmitReply(const alarms::SubmitResult& r) {
  if (!r.status.ok()) return ErrorResponse(r.status);
  json items = json::array(), rejected = json::array();
  size_t taken = 0;
  for (const alarms::ItemResult& i : r.items) {
    items.push_back(ItemJson(i));
    if (i.outcome == "rejected")
      rejected.push_back(items.back());
    else
      ++taken;
  }
  if (r.single) {
    const alarms::ItemResult& i = r.items.front();
    if (i.outcome == "rejected") return ErrorResponse(i.status);
    int status = i.outcome == "opened" ? 201 : i.outcome == "merged" ? 200 : 200;
    json body = items.front();
    body["seq"] = r.last_seq.value;
    return JsonResponse(status, body);
  }
  json body = {{"accepted", r.accepted()},
               {"items", items},
               {"rejected", rejected},
               {"seq", r.last_seq.value}};
  if (taken == 0) {
    const alarms::ItemResult& first = r.items.front();
    HttpResponse resp = ErrorResponse(first.status);
    json err = json::parse(resp.body);
    err["rejected"] = rejected;
    resp.body = err.dump(-1, ' ', false, json::error_handler_t::replace);
    return resp;
  }
  return JsonResponse(202, body);
}

auth::RecordLabel LabelOf(const WatchlistEntry& e) {
  return {e.agency, e.classification, {}};
}

}  // namespace

void AlarmRoutes::AddRoutes(Router& router) {
  using auth::Action;
  router.Add({"POST", "/api/v1/alarms", Action::kAlarmReport, Gate::kSignedIn, BodyType::kJson,
              [this](const RouteCall& c, Reply reply) {
                AlarmsRoute(c.request(), c.who(), std::move(reply));
              }});
  // Alarm ids may hold '/': everything after /alarms/, percent-decoded.
  router.Add({"GET", "/api/v1/alarms/{alarm_id+}", Action::kIncidentRead, Gate::kSignedIn,
              BodyType::kNone, [this](const RouteCall& c, Reply reply) {
                GetAlarm(c.Param("alarm_id"), c.who(), std::move(reply));
              }});
  router.Add({"POST", "/api/v1/incidents/{id}/split", Action::kIncidentSplit, Gate::kSignedIn,
              BodyType::kJson, [this](const RouteCall& c, Reply reply) {
                SplitRoute(c.request(), IncidentId(c.Id()), c.who(), std::move(reply));
              }});
  router.Add(
      {"GET", "/api/v1/watchlists", Action::kWatchlistRead, Gate::kSignedIn, BodyType::kNone,
       [this](const RouteCall& c, Reply reply) { ListWatchlist(c.who(), std::move(reply)); }});
  router.Add({"POST", "/api/v1/watchlists", Action::kWatchlistManage, Gate::kSignedIn,
              BodyType::kJson,
              [this](const RouteCall& c, Reply reply) {
                SetWatchlistEntryRoute(c.request(), c.who(), std::move(reply));
              },
              true});
  router.Add({"DELETE", "/api/v1/watchlists/{plate+}", Action::kWatchlistManage, Gate::kSignedIn,
              BodyType::kNone,
              [this](const RouteCall& c, Reply reply) {
                RemoveWatchlistEntryRoute(c.request(), c.Param("plate"), c.who(), std::move(reply));
              },
              true});
}

void AlarmRoutes::AlarmsRoute(const HttpRequest& r, Who who, Reply reply) {
  if (!alarms_) return reply(NoIntake());
  alarms_->SubmitAsync(who, r.body,
                       [reply](alarms::SubmitResult result) { reply(SubmitReply(result)); });
}

void AlarmRoutes::GetAlarm(const std::string& id, Who who, Reply reply) {
  auto view = engine_.Read([&](const World& w) -> std::optional<json> {
    // Alarm ids are per owning agency: the caller's own agency's alarm first, then one of
    // another agency on an incident the caller may read (shared with it). Another agency's id
    // the caller may not read answers as an unknown one.
    const Incident* i = nullptr;
    auto visible = [&](const std::string& agency) {
      const Incident* found = w.FindIncident(w.IncidentOfAlarm(agency, id));
      if (found && auth::CanSee(who, LabelOf(*found), auth::Action::kIncidentRead)) i = found;
      return i != nullptr;
    };
    if (!visible(who.agency))
      for (const auto& [code, agency] : w.agencies())
        if (code != who.agency && visible(code)) break;
    if (!i) return std::nullopt;
    json j;
    json linked = json::array();
    for (const IncidentSource& s : i->sources) {
      if (s.id == id) j = JsonWriter::ToJson(s);
      linked.push_back(s.id);
    }
    j["incident"] = i->id.value;
    j["incident_status"] = std::string(Name(i->status));
    j["incident_priority"] = i->priority;
    j["incident_sources"] = linked;
    j["zones"] = w.ZonesOfAlarm(i->agency, id);
    return j;
  });
  if (!view) return reply(ErrorResponse(NotFound("no alarm " + id.substr(0, 256), "id")));
  reply(JsonResponse(200, *view));
}

void AlarmRoutes::SplitRoute(const HttpRequest& r, IncidentId id, Who who, Reply reply) {
  if (!alarms_) return reply(NoIntake());
  auto parsed = ParseJsonBody(r.body);
  if (!parsed.ok()) return reply(ErrorResponse(AsMalformed(parsed.status())));
  FieldReader f(*parsed, {"sources"});
  auto sources = f.Strings("sources", Limits::kAlarmBatch, Limits::kShortText);
  if (!f.ok()) return reply(ErrorResponse(AsMalformed(f.status())));
  if (sources.empty())
    return reply(ErrorResponse(InvalidArgument("name at least one source", "sources")));
  auto label = engine_.Read([&](const World& w) -> std::optional<auth::RecordLabel> {
    const Incident* i = w.FindIncident(id);
    return i ? std::optional(LabelOf(*i)) : std::nullopt;
  });
  if (!label || !auth::CanSee(who, *label, auth::Action::kIncidentRead))
    return reply(ErrorResponse(NotFound("no incident " + std::to_string(id.value), "id")));
  if (Status s = auth::Authorize(who, auth::Action::kIncidentSplit, &*label); !s.ok())
    return reply(ErrorResponse(s));
  alarms_->Split(id, std::move(sources), who.user, [reply, id](StatusOr<CommandOutcome> o) {
    if (!o.ok()) return reply(ErrorResponse(o.status()));
    reply(
        JsonResponse(201, {{"id", o->created_id}, {"from", id.value}, {"seq", o->last_seq.value}}));
  });
}

// Calls correlated with alarms are the intake's work; the incident room hands them over.
void IncidentRoutes::CorrelatedCall(CreateIncident c, Who who, Reply reply) {
  alarms_->SubmitCall(std::move(c), who.user, [reply](StatusOr<alarms::CallResult> r) {
    if (!r.ok()) return reply(ErrorResponse(r.status()));
    json body = {{"id", r->incident.value}, {"source", r->source_id}, {"seq", r->last_seq.value}};
    if (r->merged) body["merged"] = true;
    reply(JsonResponse(r->merged ? 200 : 201, body));
  });
}

void AlarmRoutes::ListWatchlist(Who who, Reply reply) {
  json items = json::array();
  engine_.Read([&](const World& w) {
    for (const auto& [key, e] : w.watchlist())
      if (auth::CanSee(who, LabelOf(e), auth::Action::kWatchlistRead))
        items.push_back(JsonWriter::ToJson(e));
  });
  return reply(JsonResponse(200, {{"items", items}}));
}

void AlarmRoutes::SetWatchlistEntryRoute(const HttpRequest& r, Who who, Reply reply) {
  auto parsed = ParseJsonBody(r.body);
  if (!parsed.ok()) return reply(ErrorResponse(AsMalformed(parsed.status())));
  FieldReader f(*parsed, {"plate", "list", "reason", "agency", "classification"});
  SetWatchlistEntry c;
  c.plate = f.String("plate", true, Limits::kShortText);
  c.list = f.String("list", true, 64);
  c.reason = f.String("reason", false, Limits::kSummary);
  c.agency = f.String("agency", false, 64);
  std::string cls = f.String("classification", false, 32);
  if (!f.ok()) return reply(ErrorResponse(AsMalformed(f.status())));
  if (!cls.empty()) {
    auto parsed_cls = ParseClassification(cls);
    if (!parsed_cls)
      return reply(ErrorResponse(
          InvalidArgument("must be public, restricted, confidential or secret", "classification")));
    c.classification = *parsed_cls;
  }
  if (c.agency.empty()) c.agency = who.agency;
  auth::RecordLabel label{c.agency, c.classification, {}};
  if (Status s = auth::Authorize(who, auth::Action::kWatchlistManage, &label); !s.ok())
    return reply(ErrorResponse(s));
  std::string plate = NormalizePlate(c.plate);
  return Submit(r, std::move(c), who, std::move(reply), [plate](const CommandOutcome& o) {
    return JsonResponse(201, {{"plate", plate}, {"seq", o.last_seq.value}});
  });
}

void AlarmRoutes::RemoveWatchlistEntryRoute(const HttpRequest& r, const std::string& plate, Who who,
                                            Reply reply) {
  RemoveWatchlistEntry c;
  c.plate = plate;
  c.agency = r.query.count("agency") ? r.query.at("agency") : who.agency;
  auto label = engine_.Read([&](const World& w) -> std::optional<auth::RecordLabel> {
    auto it = w.watchlist().find({NormalizePlate(c.plate), c.agency});
    return it == w.watchlist().end() ? std::nullopt : std::optional(LabelOf(it->second));
  });
  if (!label || !auth::CanSee(who, *label, auth::Action::kWatchlistRead))
    return reply(ErrorResponse(
        404,
        NotFound("plate " + NormalizePlate(c.plate).substr(0, 64) + " is not listed", "plate")));
  if (Status s = auth::Authorize(who, auth::Action::kWatchlistManage, &*label); !s.ok())
    return reply(ErrorResponse(s));
  return Submit(r, std::move(c), who, std::move(reply), [](const CommandOutcome& o) {
    return JsonResponse(200, {{"seq", o.last_seq.value}});
  });
}

}  // namespace ncc
