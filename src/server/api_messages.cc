// Per-incident messages (POST/GET /api/v1/incidents/{id}/messages) and new labels for records
// (POST /api/v1/incidents/{id}/classification, /api/v1/units/{id}/classification).
//
// A message is its own record: the author's agency owns it, it carries a classification (never
// below its incident's) and a share list (the agencies working the incident, or the subset the
// author names). A reader must see the incident and the message; reads of confidential and
// secret messages are in the audit trail before they are shown.
#include "core/json_writer.h"
#include "input/json_body.h"
#include "server/api_rooms.h"
#include "visibility/access.h"
#include "visibility/redact.h"

namespace ncc {
namespace {

using nlohmann::json;

constexpr size_t kMaxAddressees = 32;

std::optional<Classification> ReadClassification(FieldReader& f, bool required, Status& bad) {
  std::string name = f.String("classification", required, 32);
  if (!f.ok() || name.empty()) return std::nullopt;
  auto parsed = ParseClassification(name);
  if (!parsed)
    bad = InvalidArgument("must be public, restricted, confidential or secret", "classification");
  return parsed;
}

// A caller may not label a record above its own clearance (it would lose sight of it), nor
// take a label off a record it cannot fully see (checked by Refuse on the current label).
std::optional<HttpResponse> RefuseLabel(const auth::Principal& who, Classification to) {
  if (who.clearance >= to) return std::nullopt;
  return ErrorResponse(Status(
      StatusCode::kPermissionDenied,
      "your clearance (" + std::string(Name(who.clearance)) + ") is below " + std::string(Name(to)),
      "classification"));
}

}  // namespace

void RecordRoutes::AddRoutes(Router& router) {
  using auth::Action;
  router.Add({"POST", "/api/v1/incidents/{id}/messages", Action::kIncidentNote, Gate::kSignedIn,
              BodyType::kJson,
              [this](const RouteCall& c, Reply reply) {
                PostMessageRoute(c.request(), IncidentId(c.Id()), c.who(), std::move(reply));
              },
              true});
  router.Add({"GET", "/api/v1/incidents/{id}/messages", Action::kIncidentRead, Gate::kSignedIn,
              BodyType::kNone, [this](const RouteCall& c, Reply reply) {
                ListMessages(IncidentId(c.Id()), c.who(), std::move(reply));
              }});
  router.Add({"POST", "/api/v1/incidents/{id}/classification", Action::kRecordClassify,
              Gate::kSignedIn, BodyType::kJson,
              [this](const RouteCall& c, Reply reply) {
                IncidentClassifyRoute(c.request(), IncidentId(c.Id()), c.who(), std::move(reply));
              },
              true});
  router.Add({"POST", "/api/v1/units/{id}/classification", Action::kRecordClassify, Gate::kSignedIn,
              BodyType::kJson,
              [this](const RouteCall& c, Reply reply) {
                UnitClassifyRoute(c.request(), UnitId(c.Id()), c.who(), std::move(reply));
              },
              true});
}

void RecordRoutes::PostMessageRoute(const HttpRequest& r, IncidentId id, Who who, Reply reply) {
  auto parsed = ParseJsonBody(r.body);
  if (!parsed.ok()) return reply(ErrorResponse(AsMalformed(parsed.status())));
  FieldReader f(*parsed, {"text", "classification", "to"});
  PostMessage c;
  c.incident = id;
  c.text = f.String("text", true, Limits::kMessage);
  std::vector<std::string> to = f.Strings("to", kMaxAddressees, 64);
  Status bad;
  auto label = ReadClassification(f, false, bad);
  if (!f.ok()) return reply(ErrorResponse(AsMalformed(f.status())));
  if (!bad.ok()) return reply(ErrorResponse(bad));
  if (auto no = Refuse(who, auth::Action::kIncidentNote, auth::Action::kIncidentRead,
                       IncidentLabel(engine_, id), "incident", id.value))
    return reply(std::move(*no));
  if (label) {
    if (auto no = RefuseLabel(who, *label)) return reply(std::move(*no));
    c.classification = *label;
  }
  c.to = std::move(to);
  c.users = MentionedAccounts(auth_, c.text);
  // The message is never less classified than its incident (decide raises it): the author must
  // be cleared for that too, which Refuse checked above.
  Submit(r, std::move(c), who, std::move(reply), Created);
}

void RecordRoutes::ListMessages(IncidentId id, Who who, Reply reply) {
  RecordAccess audited{{}, "GET /api/v1/incidents/{id}/messages", {}, {}};
  auto items = engine_.Read([&](const World& w) -> std::optional<json> {
    const Incident* i = w.FindIncident(id);
    if (!i || !auth::CanSee(who, LabelOf(*i), auth::Action::kIncidentRead)) return std::nullopt;
    json list = json::array();
    for (uint64_t mid : w.MessagesOf(id)) {
      const Message* m = w.FindMessage(mid);
      if (!m || !CanSeeMessage(who, *m, w)) continue;
      list.push_back(VisibleMessageJson(who, *m, w));
      if (m->classification >= Classification::kConfidential) audited.messages.push_back(mid);
    }
    return list;
  });
  if (!items)
    return reply(ErrorResponse(NotFound("no incident " + std::to_string(id.value), "id")));
  ReplyAfterAudit(std::move(audited), who, std::move(reply),
                  JsonResponse(200, {{"items", std::move(*items)}}));
}

void RecordRoutes::IncidentClassifyRoute(const HttpRequest& r, IncidentId id, Who who,
                                         Reply reply) {
  auto parsed = ParseJsonBody(r.body);
  if (!parsed.ok()) return reply(ErrorResponse(AsMalformed(parsed.status())));
  FieldReader f(*parsed, {"classification"});
  Status bad;
  auto to = ReadClassification(f, true, bad);
  if (!f.ok()) return reply(ErrorResponse(AsMalformed(f.status())));
  if (!bad.ok()) return reply(ErrorResponse(bad));
  if (auto no = Refuse(who, auth::Action::kRecordClassify, auth::Action::kIncidentRead,
                       IncidentLabel(engine_, id), "incident", id.value))
    return reply(std::move(*no));
  if (auto no = RefuseLabel(who, *to)) return reply(std::move(*no));
  Submit(r, ReclassifyIncident{id, *to}, who, std::move(reply), Applied);
}

void RecordRoutes::UnitClassifyRoute(const HttpRequest& r, UnitId id, Who who, Reply reply) {
  auto parsed = ParseJsonBody(r.body);
  if (!parsed.ok()) return reply(ErrorResponse(AsMalformed(parsed.status())));
  FieldReader f(*parsed, {"classification"});
  Status bad;
  auto to = ReadClassification(f, true, bad);
  if (!f.ok()) return reply(ErrorResponse(AsMalformed(f.status())));
  if (!bad.ok()) return reply(ErrorResponse(bad));
  auto label = engine_.Read([&](const World& w) -> std::optional<auth::RecordLabel> {
    const Unit* u = w.FindUnit(id);
    return u ? std::optional(LabelOf(*u)) : std::nullopt;
  });
  if (auto no = Refuse(who, auth::Action::kRecordClassify, auth::Action::kUnitRead, label, "unit",
                       id.value))
    return reply(std::move(*no));
  if (auto no = RefuseLabel(who, *to)) return reply(std::move(*no));
  Submit(r, ReclassifyUnit{id, *to}, who, std::move(reply), Applied);
}

}  // namespace ncc
