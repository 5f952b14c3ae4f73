// Dispatch over HTTP (docs/dispatch.md):
//   POST /api/v1/incidents/{id}/recommendation         recommend (and log) the units to send
//   POST /api/v1/incidents/{id}/recommendation/accept  send them all, or the dispatcher's choice
//   GET  /api/v1/resource-requests                     mutual-aid requests the caller may see
//   POST /api/v1/resource-requests                     ask another agency for units
//   POST /api/v1/resource-requests/{id}/answer         accept (with units) or decline
//   GET  /api/v1/coverage                              coverage per zone and move-up proposals
// Every decision goes through auth::Authorize / CanSee with the incident's label.
#include <set>

#include "core/json_writer.h"
#include "input/json_body.h"
#include "plan/activation.h"
#include "server/api_rooms.h"
#include "visibility/access.h"
#include "visibility/redact.h"

namespace ncc {
namespace {

using nlohmann::json;

HttpResponse NoDispatch() {
  return ErrorResponse(Unavailable("dispatch is not configured (start with --plans)"));
}

// "units": [positive integers], at most 64; errors name "units[k]".
StatusOr<std::vector<UnitId>> UnitList(const json& body, const char* name, bool required) {
  std::vector<UnitId> out;
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) {
    if (required) return InvalidArgument("is required", name);
    return out;
  }
  if (!it->is_array()) return InvalidArgument("must be an array of unit ids", name);
  if (it->size() > 64) return InvalidArgument("at most 64 units", name);
  for (size_t k = 0; k < it->size(); ++k) {
    const json& v = (*it)[k];
    if (!v.is_number_integer() || v.get<int64_t>() <= 0)
      return InvalidArgument("must be a positive unit id",
                             std::string(name) + "[" + std::to_string(k) + "]");
    out.push_back(UnitId(v.get<uint64_t>()));
  }
  return out;
}

// The caller must command every unit it sends: dispatcher or supervisor of the unit's agency.
// Units of other agencies go through a mutual-aid request instead.
std::optional<HttpResponse> CheckCommands(const auth::Principal& who, const Engine& engine,
                                          const std::vector<UnitId>& units, const char* field) {
  for (size_t k = 0; k < units.size(); ++k) {
    auto label = engine.Read([&](const World& w) -> std::optional<auth::RecordLabel> {
      const Unit* u = w.FindUnit(units[k]);
      return u ? std::optional(LabelOf(*u)) : std::nullopt;
    });
    std::string f = std::string(field) + "[" + std::to_string(k) + "]";
    if (!label || !auth::CanSee(who, *label, auth::Action::kUnitRead))
      return ErrorResponse(NotFound("no unit " + std::to_string(units[k].value), f));
    if (!who.Holds(label->agency, auth::Role::kDispatcher) &&
        !who.Holds(label->agency, auth::Role::kSupervisor))
      return ErrorResponse(Status(StatusCode::kPermissionDenied,
                                  "you do not dispatch for " + label->agency +
                                      "; ask it with POST /api/v1/resource-requests",
                                  f));
  }
  return std::nullopt;
}

// 404 when the caller may not see the incident, 403 when it may see but not dispatch.
std::optional<HttpResponse> RefuseIncident(const auth::Principal& who, const Engine& engine,
                                           IncidentId id, const std::string& field = "id") {
  return Refuse(who, auth::Action::kIncidentAssign, auth::Action::kIncidentRead,
                IncidentLabel(engine, id), "incident", id.value, field);
}

}  // namespace

void DispatchRoutes::RecommendationRoute(const HttpRequest& r, IncidentId id, std::string_view what,
                                         Who who, Reply reply) {
  if (!dispatch_) return reply(NoDispatch());
  if (auto no = RefuseIncident(who, engine_, id)) return reply(std::move(*no));
  if (what.empty()) {
    auto rec = dispatch_->Recommend(
        id, [&](const Unit& u) { return auth::CanSee(who, LabelOf(u), auth::Action::kUnitRead); });
    if (!rec.ok()) return reply(ErrorResponse(rec.status()));
    json body = rec->ToJson();
    // Logged, so the stream shows it and accepting it later sends exactly these units.
    return Submit(r, rec->ToCommand(), who, std::move(reply),
                  [body](const CommandOutcome& o) mutable {
                    body["seq"] = o.last_seq.value;
                    return JsonResponse(200, body);
                  });
  }
  if (what != "accept") return reply(ErrorResponse(NotFound("no route " + r.path)));
  json body = json::object();
  if (!r.body.empty()) {
    auto parsed = ParseJsonBody(r.body);
    if (!parsed.ok()) return reply(ErrorResponse(AsMalformed(parsed.status())));
    body = *parsed;
    if (!body.is_object()) return reply(ErrorResponse(Malformed("must be a JSON object", "body")));
    for (auto it = body.begin(); it != body.end(); ++it)
      if (it.key() != "units" && it.key() != "replace" && it.key() != "omit")
        return reply(ErrorResponse(Malformed("unknown field", it.key())));
  }
  // The dispatcher's own list, or the logged recommendation with per-unit overrides.
  auto listed = UnitList(body, "units", false);
  if (!listed.ok()) return reply(ErrorResponse(AsMalformed(listed.status())));
  auto omit = UnitList(body, "omit", false);
  if (!omit.ok()) return reply(ErrorResponse(AsMalformed(omit.status())));
  std::vector<UnitId> units = *listed;
  if (units.empty()) {
    units = engine_.Read([&](const World& w) {
      const Incident* i = w.FindIncident(id);
      return i ? i->recommended : std::vector<UnitId>{};
    });
    if (units.empty())
      return reply(ErrorResponse(
          409, FailedPrecondition("no recommendation with units for this incident yet: "
                                  "POST .../recommendation first, or name \"units\"",
                                  "units")));
    if (auto rep = body.find("replace"); rep != body.end()) {
      if (!rep->is_object())
        return reply(ErrorResponse(Malformed("must map unit id to unit id", "replace")));
      for (auto it = rep->begin(); it != rep->end(); ++it) {
        std::string field = "replace." + it.key();
        UnitId from(ParsePositiveId(it.key()));
        if (!from || !it->is_number_integer() || it->get<int64_t>() <= 0)
          return reply(ErrorResponse(Malformed("must map a unit id to a unit id", field)));
        auto pos = std::find(units.begin(), units.end(), from);
        if (pos == units.end())
          return reply(ErrorResponse(
              422, InvalidArgument("unit " + it.key() + " is not in the recommendation", field)));
        *pos = UnitId(it->get<uint64_t>());
      }
    }
    for (UnitId o : *omit) units.erase(std::remove(units.begin(), units.end(), o), units.end());
    if (units.empty())
      return reply(ErrorResponse(InvalidArgument("every unit was omitted", "omit")));
  }
  if (auto no = CheckCommands(who, engine_, units, "units")) return reply(std::move(*no));
  json sent = json::array();
  for (UnitId u : units) sent.push_back(u.value);
  Submit(r, AssignUnits{id, units}, who, std::move(reply), [sent](const CommandOutcome& o) {
    return JsonResponse(201, {{"assigned", sent}, {"seq", o.last_seq.value}});
  });
}

void DispatchRoutes::AddRoutes(Router& router) {
  using auth::Action;
  auto recommendation = [this](std::string_view what) {
    return [this, what](const RouteCall& c, Reply reply) {
      RecommendationRoute(c.request(), IncidentId(c.Id()), what, c.who(), std::move(reply));
    };
  };
  router.Add({"POST", "/api/v1/incidents/{id}/recommendation", Action::kIncidentAssign,
              Gate::kSignedIn, BodyType::kJson, recommendation(""), true});
  router.Add({"POST", "/api/v1/incidents/{id}/recommendation/accept", Action::kIncidentAssign,
              Gate::kSignedIn, BodyType::kJson, recommendation("accept"), true});
  router.Add(
      {"GET", "/api/v1/resource-requests", Action::kIncidentRead, Gate::kSignedIn, BodyType::kNone,
       [this](const RouteCall& c, Reply reply) { ListRequests(c.who(), std::move(reply)); }});
  router.Add({"POST", "/api/v1/resource-requests", Action::kIncidentAssign, Gate::kSignedIn,
              BodyType::kJson,
              [this](const RouteCall& c, Reply reply) {
                RequestRoute(c.request(), c.who(), std::move(reply));
              },
              true});
  router.Add({"POST", "/api/v1/resource-requests/{id}/answer", Action::kIncidentAssign,
              Gate::kSignedIn, BodyType::kJson,
              [this](const RouteCall& c, Reply reply) {
                AnswerRoute(c.request(), c.Id(), c.who(), std::move(reply));
              },
              true});
  // The plans name no record (types, needs, time targets): any signed-in user may read them,
  // as call intake offers their types and the queue times against their targets.
  router.Add({"GET", "/api/v1/plans", std::nullopt, Gate::kSignedIn, BodyType::kNone,
              [this](const RouteCall&, Reply reply) { PlansRoute(std::move(reply)); }});
  router.Add({"GET", "/api/v1/coverage", Action::kUnitRead, Gate::kSignedIn, BodyType::kNone,
              [this](const RouteCall& c, Reply reply) {
                CoverageRoute(c.request(), c.who(), std::move(reply));
              }});
}

void DispatchRoutes::ListRequests(Who who, Reply reply) {
  // Each request as the caller is shown it (units it may not see left out); requests on
  // confidential or secret incidents and the confidential or secret units they name are
  // audited reads, as GET /incidents/{id} and GET /units/{id} are.
  json items = json::array();
  RecordAccess audited{{}, "GET /api/v1/resource-requests", {}, {}};
  engine_.Read([&](const World& w) {
    std::set<uint64_t> incidents, units;
    for (const ResourceRequest& q : w.requests()) {
      const Incident* i = w.FindIncident(q.incident);
      if (!i || !auth::CanSee(who, LabelOf(*i), auth::Action::kIncidentRead)) continue;
      items.push_back(VisibleRequestJson(who, q, w));
      if (IsConfidential(*i)) incidents.insert(i->id.value);
      for (UnitId id : q.units) {
        const Unit* u = w.FindUnit(id);
        if (u && u->classification >= Classification::kConfidential && CanSeeUnit(who, id, w))
          units.insert(id.value);
      }
    }
    for (uint64_t id : incidents) audited.incidents.push_back(IncidentId(id));
    for (uint64_t id : units) audited.units.push_back(UnitId(id));
  });
  ReplyAfterAudit(std::move(audited), who, std::move(reply), JsonResponse(200, {{"items", items}}));
}

void DispatchRoutes::RequestRoute(const HttpRequest& r, Who who, Reply reply) {
  auto parsed = ParseJsonBody(r.body);
  if (!parsed.ok()) return reply(ErrorResponse(AsMalformed(parsed.status())));
  FieldReader f(*parsed, {"incident", "agency", "kind", "count", "reason", "deadline"});
  auto incident = f.Integer("incident", true);
  RequestResources c;
  c.to_agency = f.String("agency", true, 64);
  c.kind = f.String("kind", true, 64);
  c.count =
      static_cast<int32_t>(std::clamp<int64_t>(f.Integer("count", false).value_or(1), -1, 1000));
  c.reason = f.String("reason", true, 8192);
  auto deadline = f.Timestamp("deadline", true);
  if (!f.ok()) return reply(ErrorResponse(AsMalformed(f.status())));
  if (*incident <= 0)
    return reply(ErrorResponse(Malformed("must be a positive incident id", "incident")));
  c.incident = IncidentId(static_cast<uint64_t>(*incident));
  c.deadline = *deadline;
  if (auto no = RefuseIncident(who, engine_, c.incident, "incident")) return reply(std::move(*no));
  // The request shares the incident with the asked agency and names the incident's agency
  // as the one asking: only that agency's dispatchers and supervisors may make it (a partner
  // working the incident through a share asks the owner, e.g. in a message).
  std::string owner = IncidentLabel(engine_, c.incident)->agency;
  if (!who.Holds(owner, auth::Role::kDispatcher) && !who.Holds(owner, auth::Role::kSupervisor))
    return reply(ErrorResponse(
        403, Status(StatusCode::kPermissionDenied,
                    "only the incident's own agency asks others for units; ask it", "incident")));
  return Submit(r, std::move(c), who, std::move(reply), [](const CommandOutcome& o) {
    return JsonResponse(201, {{"id", o.created_id}, {"seq", o.last_seq.value}});
  });
}

void DispatchRoutes::AnswerRoute(const HttpRequest& r, uint64_t id, Who who, Reply reply) {
  auto parsed = ParseJsonBody(r.body);
  if (!parsed.ok()) return reply(ErrorResponse(AsMalformed(parsed.status())));
  FieldReader f(*parsed, {"accept", "units", "note"});
  std::string note = f.String("note", false, 8192);
  if (!f.ok()) return reply(ErrorResponse(AsMalformed(f.status())));
  auto accept = parsed->find("accept");
  if (accept == parsed->end() || !accept->is_boolean())
    return reply(ErrorResponse(Malformed("must be true or false", "accept")));
  auto units = UnitList(*parsed, "units", false);
  if (!units.ok()) return reply(ErrorResponse(AsMalformed(units.status())));
  // Only the asked agency answers: its dispatchers or supervisors.
  auto asked =
      engine_.Read([&](const World& w) -> std::optional<std::pair<std::string, auth::RecordLabel>> {
        const ResourceRequest* q = w.FindRequest(id);
        const Incident* i = q ? w.FindIncident(q->incident) : nullptr;
        if (!i) return std::nullopt;
        return std::make_pair(q->to_agency, LabelOf(*i));
      });
  if (!asked || !auth::CanSee(who, asked->second, auth::Action::kIncidentRead))
    return reply(ErrorResponse(NotFound("no resource request " + std::to_string(id), "id")));
  if (!who.Holds(asked->first, auth::Role::kDispatcher) &&
      !who.Holds(asked->first, auth::Role::kSupervisor))
    return reply(ErrorResponse(
        403, Status(StatusCode::kPermissionDenied,
                    "only a dispatcher or supervisor of " + asked->first + " may answer", "id")));
  if (auto no = CheckCommands(who, engine_, *units, "units")) return reply(std::move(*no));
  return Submit(r, AnswerResourceRequest{id, accept->get<bool>(), *units, std::move(note)}, who,
                std::move(reply), [](const CommandOutcome& o) {
                  return JsonResponse(200, {{"seq", o.last_seq.value}});
                });
}

}  // namespace ncc

namespace ncc {

void DispatchRoutes::CoverageRoute(const HttpRequest&, Who who, Reply reply) {
  // Coverage summarises where units are: the same right as reading units.
  if (Status s = auth::Authorize(who, auth::Action::kUnitRead, nullptr); !s.ok())
    return reply(ErrorResponse(s));
  auto visible = [&who](const Unit& u) {
    return auth::CanSee(who, LabelOf(u), auth::Action::kUnitRead);
  };
  // The confidential and secret units coverage counted are read through it: audited like
  // GET /units/{id} before the answer; so are the plans above public whose postings it shows.
  std::set<uint64_t> read;
  json coverage = dispatch_ ? dispatch_->Coverage([&](const Unit& u) {
    bool seen = visible(u);
    if (seen && u.classification >= Classification::kConfidential) read.insert(u.id.value);
    return seen;
  })
                            : json{{"zones", json::array()}, {"travel", "none"}};
  RecordAccess audited{{}, "GET /api/v1/coverage", {}, {}};
  for (uint64_t id : read) audited.units.push_back(UnitId(id));
  // The active plans' postings not met, as move-ups, for the readers of each plan (with or
  // without dispatch: they are the plan's, not a measurement of dispatch's).
  engine_.Read([&](const World& w) {
    for (const OperationPlan& p : w.plans()) {
      if (p.status != "active" || !auth::CanSee(who, LabelOf(p), auth::Action::kPlanRead)) continue;
      json zones = plan::PlanCoverageJson(p, w, visible);
      if (zones.empty()) continue;
      for (json& z : zones) coverage["zones"].push_back(std::move(z));
      if (p.classification > Classification::kPublic) audited.plans.push_back(p.id);
    }
  });
  if (!dispatch_ && coverage["zones"].empty()) return reply(NoDispatch());
  ReplyAfterAudit(std::move(audited), who, std::move(reply), JsonResponse(200, coverage));
}

void DispatchRoutes::PlansRoute(Reply reply) {
  if (!dispatch_) return reply(ErrorResponse(Unavailable("dispatch is not running")));
  const dispatch::PlanSet& set = dispatch_->plans();
  nlohmann::json items = nlohmann::json::array();
  for (const auto& [type, plan] : set.plans()) {
    nlohmann::json needs = nlohmann::json::array();
    for (const dispatch::Need& n : plan.needs) {
      nlohmann::json need = {{"count", n.count}, {"capability", n.capability}};
      if (!n.agency.empty()) need["agency"] = n.agency;
      needs.push_back(std::move(need));
    }
    // Every priority's targets as they apply (own line, "*", or the default plan's).
    nlohmann::json targets = nlohmann::json::object();
    for (int priority = 1; priority <= 5; ++priority) {
      dispatch::Targets t = set.TargetsFor(plan, priority);
      targets[std::to_string(priority)] = {
          {"dispatch_s", t.dispatch_s}, {"en_route_s", t.en_route_s}, {"on_scene_s", t.on_scene_s}};
    }
    items.push_back({{"type", type},
                     {"name", plan.name},
                     {"needs", std::move(needs)},
                     {"targets", std::move(targets)}});
  }
  reply(JsonResponse(200, {{"items", std::move(items)}}));
}

}  // namespace ncc
