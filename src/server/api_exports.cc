// Exports in open standards and webhooks (docs/exchange.md). Every route decides with the one
// authorization function (auth::Authorize / CanSee / CanSeeEvent), like every other route:
//   GET    /api/v1/incidents/{id}/cap    OASIS CAP 1.2 alert (application/cap+xml)
//   GET    /api/v1/incidents/{id}/eido   NENA EIDO JSON
//     export.read on the incident: not visible -> 404, visible without the right -> 403;
//     confidential and secret exports are audited (records_read) before the reply.
//   POST   /api/v1/cap                   a partner's CAP alert becomes an alarm (alarm.report)
//   POST   /api/v1/webhooks              {url, events?, agency?} (webhook.manage)
//   GET    /api/v1/webhooks              the subscriptions of the caller's agency
//   DELETE /api/v1/webhooks/{id}
//   GET    /api/v1/webhooks/{id}/deliveries  the delivery attempts (paged) and dead letters
//   POST   /api/v1/webhooks/{id}/redeliver   {"seq"?}: dead letters sent again
#include <algorithm>
#include <charconv>
#include <filesystem>
#include <set>

#include "core/json_writer.h"
#include "exchange/cap/cap_parser.h"
#include "exchange/cap/cap_writer.h"
#include "exchange/cap/feed.h"
#include "exchange/eido/eido_writer.h"
#include "input/json_body.h"
#include "server/api_rooms.h"
#include "server/event_pages.h"
#include "visibility/access.h"
#include "visibility/redact.h"

namespace ncc {
namespace {

using nlohmann::json;

bool KnownEventName(std::string_view name) {
  return []<size_t... I>(std::index_sequence<I...>, std::string_view n) {
    return ((std::variant_alternative_t<I, EventBody>::kName == n) || ...);
  }
  (std::make_index_sequence<std::variant_size_v<EventBody>>{}, name);
}

json SubscriptionJson(const webhooks::Subscription& s) {
  return {{"id", s.id},
          {"url", s.url},
          {"events", s.events},
          {"agency", s.agency.empty() ? json(nullptr) : json(s.agency)},
          {"created_by", s.principal.user},
          {"owner_agency", s.principal.agency},
          {"clearance", Name(s.principal.clearance)},
          {"created", FormatTime(s.created)},
          {"cursor", s.cursor.value}};
}

// ?limit= / ?after= within bounds; the first malformed one is written into `error`.
uint64_t QueryNumber(const HttpRequest& r, const char* name, uint64_t fallback, uint64_t max,
                     Status& error) {
  auto it = r.query.find(name);
  if (it == r.query.end() || it->second.empty()) return fallback;
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
  if (ec != std::errc() || p != it->second.data() + it->second.size() || v > max) {
    if (error.ok())
      error = InvalidArgument("must be an integer from 0 to " + std::to_string(max), name);
    return fallback;
  }
  return v;
}

HttpResponse NoWebhooks() {
  return ErrorResponse(Unavailable("webhooks are not running"));
}

}  // namespace

void ExportRoutes::ExportRoute(IncidentId id, std::string_view format, Who who, Reply reply) {
  // A copy taken under the read lock: the document is written without holding it.
  // As the caller is shown it: units it may not see are withheld (visibility/redact.h).
  auto incident = engine_.Read([&](const World& w) -> std::optional<Incident> {
    const Incident* i = w.FindIncident(id);
    return i ? std::optional(VisibleIncident(who, *i, w)) : std::nullopt;
  });
  if (!incident || !auth::CanSee(who, LabelOf(*incident), auth::Action::kIncidentRead))
    return reply(ErrorResponse(NotFound("no incident " + std::to_string(id.value), "id")));
  auth::RecordLabel label = LabelOf(*incident);
  if (Status s = auth::Authorize(who, auth::Action::kExportRead, &label); !s.ok())
    return reply(ErrorResponse(s));
  HttpResponse response;
  if (format == "cap") {
    response.body = cap::WriteAlert(*incident, {options_.cap_sender});
    response.content_type = "application/cap+xml; charset=utf-8";
  } else {
    response = JsonResponse(200, eido::WriteEido(*incident, {options_.eido_issuer}));
  }
  std::vector<IncidentId> audited;
  if (IsConfidential(*incident)) audited.push_back(id);
  ReplyAfterAudit(std::move(audited), "GET /api/v1/incidents/{id}/" + std::string(format), who,
                  std::move(reply), std::move(response));
}

// GET /api/v1/incidents/cap?status=open|<status>&after=&limit=: an Atom feed of the CAP alerts
// of the incidents the caller may export, filtered per incident like the list.
void ExportRoutes::CapFeedRoute(const HttpRequest& r, Who who, Reply reply) {
  if (Status s = auth::Authorize(who, auth::Action::kExportRead, nullptr); !s.ok())
    return reply(ErrorResponse(s));
  auto number = [&](const char* name, uint64_t fallback, uint64_t max) -> std::optional<uint64_t> {
    auto it = r.query.find(name);
    if (it == r.query.end() || it->second.empty()) return fallback;
    uint64_t v = 0;
    auto [p, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
    if (ec != std::errc() || p != it->second.data() + it->second.size() || v > max)
      return std::nullopt;
    return v;
  };
  auto limit = number("limit", 100, 1000), after = number("after", 0, UINT64_MAX >> 1);
  if (!limit || !after)
    return reply(ErrorResponse(
        400, InvalidArgument("must be an integer in range", !limit ? "limit" : "after")));
  std::string wanted = r.query.count("status") ? r.query.at("status") : "open";
  std::optional<IncidentStatus> status;
  if (wanted != "open" && wanted != "all") {
    status = ParseIncidentStatus(wanted);
    if (!status)
      return reply(ErrorResponse(Malformed("open, all or an incident status", "status")));
  }
  std::vector<Incident> items;
  std::vector<IncidentId> audited;
  engine_.Read([&](const World& w) {
    for (size_t k = *after; k < w.incidents().size() && items.size() < *limit; ++k) {
      const Incident& i = w.incidents()[k];
      if (status ? i.status != *status : wanted == "open" && IsTerminal(i.status)) continue;
      auth::RecordLabel label = LabelOf(i);
      if (!auth::CanSee(who, label, auth::Action::kIncidentRead) ||
          !auth::CanSee(who, label, auth::Action::kExportRead))
        continue;
      items.push_back(VisibleIncident(who, i, w));
      if (IsConfidential(i)) audited.push_back(i.id);
    }
  });
  HttpResponse response;
  response.body = cap::WriteFeed(items, {options_.cap_sender}, clock_.Now());
  response.content_type = "application/atom+xml; charset=utf-8";
  ReplyAfterAudit(std::move(audited), "GET /api/v1/incidents/cap", who, std::move(reply),
                  std::move(response));
}

void ExportRoutes::AddRoutes(Router& router) {
  using auth::Action;
  auto export_route = [this](std::string_view format) {
    return [this, format](const RouteCall& c, Reply reply) {
      ExportRoute(IncidentId(c.Id()), format, c.who(), std::move(reply));
    };
  };
  router.Add({"GET", "/api/v1/incidents/{id}/cap", Action::kExportRead, Gate::kSignedIn,
              BodyType::kNone, export_route("cap")});
  router.Add({"GET", "/api/v1/incidents/{id}/eido", Action::kExportRead, Gate::kSignedIn,
              BodyType::kNone, export_route("eido")});
  router.Add({"GET", "/api/v1/incidents/cap", Action::kExportRead, Gate::kSignedIn, BodyType::kNone,
              [this](const RouteCall& c, Reply reply) {
                CapFeedRoute(c.request(), c.who(), std::move(reply));
              }});
  router.Add({"POST", "/api/v1/cap", Action::kAlarmReport, Gate::kSignedIn, BodyType::kCapXml,
              [this](const RouteCall& c, Reply reply) {
                CapImportRoute(c.request(), c.who(), std::move(reply));
              }});
  // Subscriptions belong to the caller's home agency (webhook.manage there).
  auto manage = [this](const RouteCall& c, Reply& reply) {
    if (!webhooks_) return reply(NoWebhooks()), false;
    if (Status s = auth::Authorize(c.who(), Action::kWebhookManage, nullptr); !s.ok())
      return reply(ErrorResponse(s)), false;
    return true;
  };
  router.Add({"GET", "/api/v1/webhooks", Action::kWebhookManage, Gate::kSignedIn, BodyType::kNone,
              [this, manage](const RouteCall& c, Reply reply) {
                if (manage(c, reply)) ListWebhooks(c.who(), std::move(reply));
              }});
  router.Add({"POST", "/api/v1/webhooks", Action::kWebhookManage, Gate::kSignedIn, BodyType::kJson,
              [this, manage](const RouteCall& c, Reply reply) {
                if (manage(c, reply)) AddWebhook(c.request(), c.who(), std::move(reply));
              }});
  router.Add({"DELETE", "/api/v1/webhooks/{id}", Action::kWebhookManage, Gate::kSignedIn,
              BodyType::kNone, [this, manage](const RouteCall& c, Reply reply) {
                if (manage(c, reply)) DeleteWebhook(c.request(), c.Id(), c.who(), std::move(reply));
              }});
  router.Add({"GET", "/api/v1/webhooks/{id}/deliveries", Action::kWebhookManage, Gate::kSignedIn,
              BodyType::kNone, [this, manage](const RouteCall& c, Reply reply) {
                if (manage(c, reply))
                  DeliveriesRoute(c.request(), c.Id(), c.who(), std::move(reply));
              }});
  router.Add({"POST", "/api/v1/webhooks/{id}/redeliver", Action::kWebhookManage, Gate::kSignedIn,
              BodyType::kJson, [this, manage](const RouteCall& c, Reply reply) {
                if (manage(c, reply))
                  RedeliverRoute(c.request(), c.Id(), c.who(), std::move(reply));
              }});
}

// Another agency's subscription is not disclosed: 404, as for an unknown id.
bool ExportRoutes::OwnWebhook(uint64_t id, Who who, Reply& reply) {
  auto found = webhooks_->Find(id);
  if (found && found->principal.agency == who.agency) return true;
  reply(ErrorResponse(NotFound("no webhook " + std::to_string(id), "id")));
  return false;
}

// GET /api/v1/webhooks/{id}/deliveries?after=&limit=: the attempts, oldest first, and the dead
// letters waiting.
void ExportRoutes::DeliveriesRoute(const HttpRequest& r, uint64_t id, Who who, Reply reply) {
  if (!OwnWebhook(id, who, reply)) return;
  Status err;
  uint64_t limit = QueryNumber(r, "limit", 100, 1000, err);
  uint64_t after = QueryNumber(r, "after", 0, UINT64_MAX >> 1, err);
  if (!err.ok()) return reply(ErrorResponse(AsMalformed(err)));
  auto history = webhooks_->Deliveries(id, after, limit);
  auto letters = webhooks_->DeadLetters(id);
  if (!history.ok()) return reply(ErrorResponse(history.status()));
  if (!letters.ok()) return reply(ErrorResponse(letters.status()));
  json items = json::array(), dead = json::array();
  for (const webhooks::Attempt& a : *history)
    items.push_back({{"id", a.id},
                     {"seq", a.seq.value},
                     {"event", a.event},
                     {"attempt", a.attempt},
                     {"time", FormatTime(a.time)},
                     {"outcome", a.outcome},
                     {"http_status", a.http_status ? json(a.http_status) : json(nullptr)},
                     {"error", a.error.empty() ? json(nullptr) : json(a.error)}});
  for (const webhooks::DeadLetter& d : *letters)
    dead.push_back({{"seq", d.seq.value},
                    {"event", d.event},
                    {"attempts", d.attempts},
                    {"failed", FormatTime(d.failed)},
                    {"error", d.error},
                    {"queued", d.queued}});
  json out = {{"items", items}, {"dead_letters", dead}};
  out["next_after"] = items.size() == limit ? json(history->back().id) : json(nullptr);
  reply(JsonResponse(200, out));
}

// POST /api/v1/webhooks/{id}/redeliver {"seq"?}: queues the dead letters (all, or one) for the
// delivery thread; 202 with how many.
void ExportRoutes::RedeliverRoute(const HttpRequest& r, uint64_t id, Who who, Reply reply) {
  if (!OwnWebhook(id, who, reply)) return;
  std::optional<Seq> seq;
  if (!r.body.empty()) {
    auto parsed = ParseJsonBody(r.body);
    if (!parsed.ok()) return reply(ErrorResponse(AsMalformed(parsed.status())));
    FieldReader f(*parsed, {"seq"});
    auto n = f.Integer("seq", false);
    if (!f.ok()) return reply(ErrorResponse(AsMalformed(f.status())));
    if (n && *n <= 0) return reply(ErrorResponse(Malformed("must be a positive seq", "seq")));
    if (n) seq = Seq(static_cast<uint64_t>(*n));
  }
  auto queued = webhooks_->Redeliver(id, seq);
  if (!queued.ok()) return reply(ErrorResponse(queued.status()));
  if (seq && *queued == 0)
    return reply(
        ErrorResponse(NotFound("no dead letter at seq " + std::to_string(seq->value), "seq")));
  reply(JsonResponse(202, {{"queued", *queued}}));
}

void ExportRoutes::ListWebhooks(Who who, Reply reply) {
  json items = json::array();
  for (const auto& s : webhooks_->List())
    if (s.principal.agency == who.agency) items.push_back(SubscriptionJson(s));
  reply(JsonResponse(200, {{"items", items}}));
}

void ExportRoutes::DeleteWebhook(const HttpRequest& r, uint64_t id, Who who, Reply reply) {
  auto found = webhooks_->Find(id);
  // Another agency's subscription is not disclosed.
  if (!found || found->principal.agency != who.agency)
    return reply(ErrorResponse(NotFound("no webhook " + std::to_string(id), "id")));
  if (Status s = webhooks_->Remove(id); !s.ok()) return reply(ErrorResponse(s));
  Submit(r, RemoveWebhook{{id, found->url}}, who, std::move(reply), [](const CommandOutcome& o) {
    return JsonResponse(200, {{"seq", o.last_seq.value}});
  });
}

void ExportRoutes::AddWebhook(const HttpRequest& r, Who who, Reply reply) {
  auto parsed = ParseJsonBody(r.body);
  if (!parsed.ok()) return reply(ErrorResponse(AsMalformed(parsed.status())));
  FieldReader f(*parsed, {"url", "events", "agency"});
  webhooks::Subscription sub;
  sub.url = f.String("url", true, 2048);
  sub.agency = f.String("agency", false, 64);
  if (!f.ok()) return reply(ErrorResponse(AsMalformed(f.status())));
  if (auto it = parsed->find("events"); it != parsed->end() && !it->is_null()) {
    if (!it->is_array() || it->size() > 64)
      return reply(ErrorResponse(
          400, InvalidArgument("must be an array of at most 64 event names", "events")));
    for (size_t k = 0; k < it->size(); ++k) {
      const json& e = (*it)[k];
      std::string field = "events[" + std::to_string(k) + "]";
      if (!e.is_string() || !KnownEventName(e.get<std::string>()))
        return reply(ErrorResponse(Malformed("unknown event name", field)));
      sub.events.push_back(e.get<std::string>());
    }
  }
  if (!sub.agency.empty() &&
      !engine_.Read([&](const World& w) { return w.FindAgency(sub.agency) != nullptr; }))
    return reply(ErrorResponse(InvalidArgument("no agency " + sub.agency, "agency")));
  sub.principal = who;  // fixed now: later changes to the account do not widen it
  sub.created = clock_.Now();
  sub.cursor = engine_.log().LastSeq();  // events from now on
  auto added = webhooks_->Add(std::move(sub));
  if (!added.ok())  // a refused URL is a bad request naming `url`, not a state conflict
    return reply(ErrorResponse(AsMalformed(added.status())));
  webhooks::Subscription made = std::move(*added);
  WebhookRegistered logged{made.id, made.url, made.events, made.agency};
  engine_.Submit(RegisterWebhook{std::move(logged)}, who.user, who.agency,
                 [this, reply = std::move(reply), made](CommandOutcome o) {
                   if (!o.status.ok()) {
                     (void)webhooks_->Remove(made.id);  // not logged: not registered either
                     return reply(ErrorResponse(o.status));
                   }
                   json body = SubscriptionJson(made);
                   body["secret"] = made.secret;  // shown once; only webhooks.db keeps it
                   body["seq"] = o.last_seq.value;
                   reply(JsonResponse(201, body));
                 });
}

namespace {
// Events after `after` that `sub`'s principal may see (the stream's filter), audited.
StatusOr<webhooks::Page> FetchVisible(Engine& engine, const webhooks::Subscription& sub, Seq after,
                                      size_t max) {
  auto page = EventPage(engine, after, max);
  if (!page.ok()) return page.status();
  webhooks::Page out;
  out.scanned = after;
  std::set<IncidentId> audited;
  engine.Read([&](const World& w) {
    for (EventText& item : *page) {
      const Event& e = *item.event;
      out.scanned = e.meta.seq;
      // Exactly the stream's filter, as the subscription's principal.
      auto text = VisibleEventJson(sub.principal, e, w, item.json);
      if (!text) continue;
      std::string_view name = NameOf(TypeOf(e.body));
      if (!sub.events.empty() &&
          std::find(sub.events.begin(), sub.events.end(), name) == sub.events.end())
        continue;
      if (!sub.agency.empty() && LabelOfEvent(e, w).agency != sub.agency) continue;
      if (auto id = ConfidentialIncidentOf(e, w)) audited.insert(*id);
      out.visible.push_back({e.meta.seq, std::string(name), std::move(text)});
    }
  });
  // Like the stream: the delivery of confidential records is audited, without waiting.
  if (!audited.empty())
    engine.Submit(
        RecordAccess{{audited.begin(), audited.end()}, "webhook " + std::to_string(sub.id)},
        sub.principal.user, sub.principal.agency, [](CommandOutcome) {});
  return out;
}
}  // namespace

webhooks::Fetch WebhookFetch(Engine& engine, auth::Auth& auth) {
  return [&engine, &auth](const webhooks::Subscription& sub, Seq after,
                          size_t max) -> StatusOr<webhooks::Page> {
    // A subscription acts with its creator's rights as they are now, not as they were: a
    // disabled (or deleted) account's webhook delivers nothing (the cursor stays, delivery
    // resumes if the account is enabled again), and a lowered clearance applies at once.
    auto current = auth.users().LoadPrincipal(sub.principal.user);
    if (!current.ok())
      return Status(StatusCode::kPermissionDenied,
                    "webhook " + std::to_string(sub.id) + " paused: " + current.status().message());
    webhooks::Subscription as_now = sub;
    as_now.principal = std::move(*current);
    return FetchVisible(engine, as_now, after, max);
  };
}

}  // namespace ncc

namespace ncc {
namespace {

// The alarm field a refusal names, in the terms of the CAP alert the caller sent.
std::string CapField(const std::string& alarm_field) {
  if (alarm_field == "time") return "alert.sent";
  if (alarm_field == "id") return "alert.identifier";
  if (alarm_field.rfind("location", 0) == 0) return "alert.info.area";
  if (alarm_field == "details") return "alert.info.headline";
  return alarm_field;
}

// The incident an earlier alert of the same sender opened or joined ("cap:<sender>/<id>" among
// its sources), newest first. References to other senders' alerts are not followed: a partner
// updates and cancels only its own alerts. A scan, not World::IncidentOfAlarm: the owning
// agency the intake gave the alarm (the key's or --alarm-sources') is not known here, and CAP
// updates come minutes apart.
std::optional<IncidentId> ReferencedIncident(const World& w, const cap::CapAlert& a) {
  std::set<std::string> ids;
  for (const cap::CapReference& ref : a.references)
    if (ref.sender == a.sender) ids.insert("cap:" + ref.sender + "/" + ref.identifier);
  for (auto i = w.incidents().rbegin(); i != w.incidents().rend(); ++i)
    for (const IncidentSource& s : i->sources)
      if (ids.count(s.id)) return i->id;
  return std::nullopt;
}

// Whether every source of `incident` is one of the sender's own alerts that `a` references (a
// Cancel then withdraws the whole incident, unless units already went); another sender's alert
// among the sources keeps it open whatever `a` lists.
bool OnlyFromReferencedAlerts(const Incident& incident, const cap::CapAlert& a) {
  for (const IncidentSource& s : incident.sources) {
    bool referenced = false;
    for (const cap::CapReference& ref : a.references)
      referenced = referenced ||
                   (ref.sender == a.sender && s.id == "cap:" + ref.sender + "/" + ref.identifier);
    if (!referenced) return false;
  }
  return true;
}

std::string CapNote(const cap::CapAlert& a, const std::string& what, const std::string& seal) {
  std::string note = "CAP " + a.msg_type + " " + a.identifier + " from " + a.sender + ": " + what;
  if (!a.event.empty()) note += " - " + a.event;
  if (!a.headline.empty()) note += ": " + a.headline;
  if (!a.severity.empty()) note += " (" + a.severity + ", " + a.urgency + ")";
  if (note.size() > 3500) note.resize(3500);
  note += " [" + seal + "]";
  return note;
}

}  // namespace

// A partner's CAP alert enters the alarm intake as a report from source "cap": authorized
// there like POST /alarms (alarm.report: a gateway key with the `alarms` lane), correlated
// with the alarms and calls nearby, deduplicated by its id; its type and priority come from
// the import rules. An Update or Cancel acts on the incident the alerts it references opened;
// this centre's own alerts (relayed back by a partner) are never imported.
void ExportRoutes::CapImportRoute(const HttpRequest& r, Who who, Reply reply) {
  if (!alarms_) return reply(ErrorResponse(Unavailable("the alarm intake is not running")));
  auto feed = cap::ReadFeed(r.body);
  if (!feed.ok()) return reply(ErrorResponse(AsMalformed(feed.status())));
  if (feed->kind == "alert") return CapImportOne(r, r.body, who, std::move(reply));
  size_t embedded = 0;
  for (const cap::FeedEntry& e : feed->entries) embedded += !e.alert.empty();
  if (embedded == 0)
    return reply(ErrorResponse(InvalidArgument(
        "an index of " + std::to_string(feed->entries.size()) +
            " linked alerts and none embedded: `ncc cap-gateway --feed URL` fetches them",
        feed->kind == "rss" ? "rss.channel.item" : "feed.entry")));
  auto batch = std::make_shared<CapBatch>();
  batch->who = who;
  batch->feed = std::move(*feed);
  batch->reply = std::move(reply);
  CapImportNext(batch);
}

// The alerts of an envelope or feed, one after the other (each may wait for the intake), each
// answered on its own: one refused alert does not stop the others.
void ExportRoutes::CapImportNext(std::shared_ptr<CapBatch> batch) {
  while (batch->next < batch->feed.entries.size() &&
         batch->feed.entries[batch->next].alert.empty()) {
    const cap::FeedEntry& linked = batch->feed.entries[batch->next++];
    batch->items.push_back({{"where", linked.where}, {"status", 0}, {"link", linked.link}});
  }
  if (batch->next == batch->feed.entries.size())
    return batch->reply(JsonResponse(200, {{"kind", batch->feed.kind}, {"items", batch->items}}));
  const cap::FeedEntry& entry = batch->feed.entries[batch->next++];
  static const HttpRequest kNoRequest;  // the row takes no Idempotency-Key
  CapImportOne(kNoRequest, entry.alert, batch->who,
               [this, batch, where = entry.where](HttpResponse resp) {
                 json item = json::parse(resp.body, nullptr, false);
                 if (!item.is_object()) item = json::object();
                 item["where"] = where;
                 item["status"] = resp.status;
                 batch->items.push_back(std::move(item));
                 CapImportNext(batch);
               });
}

void ExportRoutes::CapImportOne(const HttpRequest& r, const std::string& xml, Who who,
                                Reply reply) {
  auto alert = cap::ParseAlert(xml, {}, options_.cap_areas.get());
  if (!alert.ok()) return reply(ErrorResponse(AsMalformed(alert.status())));
  json echo = {{"identifier", alert->identifier},
               {"sender", alert->sender},
               {"version", alert->version},
               {"encoding", alert->encoding}};
  if (alert->placed) echo["placed_from"] = alert->where;
  if (alert->status != "Actual")
    return reply(ErrorResponse(
        422, InvalidArgument("only Actual alerts are imported, not " + alert->status.substr(0, 32),
                             "alert.status")));
  if (alert->sender == options_.cap_sender)
    return reply(JsonResponse(200, {{"outcome", "own"}, {"cap", echo}}));
  if (alert->msg_type != "Alert" && alert->msg_type != "Update" && alert->msg_type != "Cancel")
    return reply(ErrorResponse(InvalidArgument(
        "only Alert, Update and Cancel are imported, not " + alert->msg_type.substr(0, 32),
        "alert.msgType")));
  // Updates and Cancels too: an unsigned Cancel must not withdraw what policy protects.
  std::string seal;
  if (Status s = CheckSignature(xml, echo, seal); !s.ok()) return reply(ErrorResponse(s));
  if (alert->msg_type != "Alert") {
    auto target = engine_.Read([&](const World& w) { return ReferencedIncident(w, *alert); });
    if (target)
      return ApplyCapReference(r, *alert, seal, *target, std::move(echo), who, std::move(reply));
    if (alert->msg_type == "Cancel")
      return reply(ErrorResponse(
          NotFound("no incident came from the alerts this Cancel references", "alert.references")));
    // An Update of an alert this centre never had is news: imported like an Alert.
  }
  ImportCapAlert(*alert, seal, std::move(echo), who, std::move(reply));
}

// The alert's XML signature judged against the trusted partners and the policy, and the
// original kept verbatim (DATA/cap-received/<sha256>.xml, durable before anything is
// imported): `seal` is what the alert's record says of both.
Status ExportRoutes::CheckSignature(const std::string& xml, json& echo, std::string& seal) {
  std::string verdict = "not_checked", detail;
  if (options_.cap_trust) {
    xmldsig::Verdict v = options_.cap_trust->Verify(xml);
    verdict = std::string(xmldsig::Name(v.kind));
    detail = v.kind == xmldsig::Verdict::Kind::kVerified ? v.signer : v.reason;
  }
  echo["signature"] = {{"verdict", verdict}};
  if (!detail.empty()) echo["signature"]["detail"] = detail;
  const std::string& policy = options_.cap_signatures;
  if ((policy == "refuse-invalid" && verdict == "invalid") ||
      (policy == "require" && verdict != "verified"))
    return InvalidArgument("signature " + verdict + (detail.empty() ? "" : ": " + detail) +
                               " (policy --cap-signatures " + policy + ")",
                           "alert.Signature");
  std::string digest = Sha256Hex(xml);
  echo["sha256"] = digest;
  if (!options_.cap_archive.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(options_.cap_archive, ec);
    std::string path = options_.cap_archive + "/" + digest + ".xml";
    if (!std::filesystem::exists(path, ec)) NCC_RETURN_IF_ERROR(WriteFileDurably(path, xml));
  }
  seal = "signature " + verdict +
         (verdict == "verified" ? " (" + detail.substr(0, 120) + ")" : "") +
         "; original sha256:" + digest.substr(0, 16);
  return Status::Ok();
}

// Update: a note on the incident; Cancel: the incident cancelled when it came only from the
// cancelled alerts and no unit went, else a note saying why it stays open.
void ExportRoutes::ApplyCapReference(const HttpRequest& r, const cap::CapAlert& alert,
                                     const std::string& seal, IncidentId id, json echo, Who who,
                                     Reply reply) {
  auto label = IncidentLabel(engine_, id);
  // The key may withdraw what it may report: alarm.report on the incident's label.
  if (!label || !auth::Authorize(who, auth::Action::kAlarmReport, &*label).ok())
    return reply(ErrorResponse(
        NotFound("no incident came from the alerts this " + alert.msg_type + " references",
                 "alert.references")));
  auto state = engine_.Read([&](const World& w) -> std::pair<bool, bool> {
    const Incident* i = w.FindIncident(id);
    bool closed = !i || IsTerminal(i->status);
    bool withdraw = i && OnlyFromReferencedAlerts(*i, alert) &&
                    (i->status == IncidentStatus::kNew || i->status == IncidentStatus::kTriaged);
    return {closed, withdraw};
  });
  echo["incident"] = id.value;
  if (state.first)
    return reply(
        JsonResponse(200, {{"outcome", "already_closed"}, {"incident", id.value}, {"cap", echo}}));
  bool cancel = alert.msg_type == "Cancel";
  std::string outcome = cancel ? (state.second ? "cancelled" : "noted") : "updated";
  auto answer = [outcome, id, echo](const CommandOutcome& o) {
    return JsonResponse(
        200,
        {{"outcome", outcome}, {"incident", id.value}, {"seq", o.last_seq.value}, {"cap", echo}});
  };
  if (cancel && state.second)
    return Submit(r,
                  ChangeIncidentStatus{id, IncidentStatus::kCancelled,
                                       CapNote(alert, "withdrawn by its sender", seal)},
                  who, std::move(reply), answer);
  std::string what = cancel ? "cancelled by its sender; the incident stays open (other sources "
                              "or units already sent)"
                            : "updated by its sender";
  Submit(r, AddIncidentNote{id, CapNote(alert, what, seal)}, who, std::move(reply), answer);
}

void ExportRoutes::ImportCapAlert(const cap::CapAlert& alert, const std::string& seal_text,
                                  json echo, Who who, Reply reply) {
  if (!alert.placed)
    return reply(ErrorResponse(InvalidArgument("the alert has no placeable area", "alert.info")));
  std::string id = "cap:" + alert.sender + "/" + alert.identifier;
  if (id.size() > Limits::kShortText)
    return reply(ErrorResponse(InvalidArgument(
        "sender and identifier together exceed 250 characters", "alert.identifier")));
  cap::ImportRules defaults;
  cap::ImportRules::Outcome opens =
      (options_.cap_rules ? *options_.cap_rules : defaults).For(alert);
  echo["type"] = opens.type;
  echo["priority"] = opens.priority;
  echo["rule"] = opens.rule;
  std::string details = alert.event;
  if (!alert.headline.empty()) details += ": " + alert.headline;
  if (!alert.area_desc.empty()) details += " (" + alert.area_desc + ")";
  // The seal last but never cut: the record must say how the alert was signed.
  std::string seal = " [" + seal_text + "]";
  if (details.size() + seal.size() > Limits::kSummary)
    details.resize(Limits::kSummary - seal.size());
  details += seal;
  json alarm = {{"id", id},
                {"kind", "call"},
                {"source", "cap"},
                {"sensor", alert.sender.substr(0, Limits::kShortText)},
                {"location", {{"lat", alert.location.lat}, {"lon", alert.location.lon}}},
                {"time", alert.sent.ms},
                {"details", details},
                {"type", opens.type},
                {"priority", opens.priority},
                {"classification", alert.scope == "Public" ? "public" : "restricted"}};
  alarms_->SubmitAsync(
      who, alarm.dump(-1, ' ', false, json::error_handler_t::replace),
      [reply, echo](alarms::SubmitResult result) {
        if (!result.status.ok()) return reply(ErrorResponse(result.status));
        const alarms::ItemResult& item = result.items.front();
        if (item.outcome == "rejected")
          return reply(ErrorResponse(
              Status(item.status.code(), item.status.message(), CapField(item.status.field()))));
        json body = {{"id", item.id},
                     {"outcome", item.outcome},
                     {"seq", result.last_seq.value},
                     {"cap", echo}};
        if (item.incident) body["incident"] = item.incident.value;
        reply(JsonResponse(item.outcome == "opened" ? 201 : 200, body));
      });
}

}  // namespace ncc
