#include "server/api.h"

#include <openssl/sha.h>

#include <algorithm>
#include <charconv>
#include <mutex>
#include <set>

#include "auth/credential_header.h"
#include "core/json_writer.h"
#include "input/json_body.h"
#include "server/api_rooms.h"
#include "server/event_pages.h"
#include "visibility/access.h"
#include "visibility/redact.h"

namespace ncc {
namespace {

using nlohmann::json;

// The command id a client sent (Idempotency-Key), with the digest of the request it stands for:
// the same key on another method, path or body is refused rather than answered wrongly.
CommandId CommandIdOf(const HttpRequest& r) {
  auto it = r.headers.find("idempotency-key");
  if (it == r.headers.end()) return {};
  std::string asked = r.method + ' ' + r.path + '\n' + r.body;
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(asked.data()), asked.size(), digest);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char b : digest) {
    hex += kHex[b >> 4];
    hex += kHex[b & 15];
  }
  // An empty key is a key too (refused by Execute), not the absence of one.
  return {it->second.empty() ? std::string(" ") : it->second, std::move(hex)};
}

// ?limit= and ?after= with bounds; writes an error into `error` when malformed.
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

}  // namespace

StatusOr<auth::Principal> ApiCore::Identify(const HttpRequest& r, bool url_token_allowed) const {
  StatusOr<auth::Principal> who =
      Status(StatusCode::kUnauthenticated, "sign in first: Authorization: Bearer <token>",
             "Authorization");
  auto header = [&](const char* name) -> const std::string* {
    auto it = r.headers.find(name);
    return it == r.headers.end() ? nullptr : &it->second;
  };
  if (const std::string* authorization = header("authorization")) {
    who = auth.tokens().AuthenticateHeader(*authorization);
  } else if (const std::string* key = header("x-api-key")) {
    auto cred = auth::ParseApiKeyHeader(*key);
    who = cred.ok() ? auth.tokens().AuthenticateApiKey(cred->token)
                    : StatusOr<auth::Principal>(cred.status());
  } else if (auto q = r.query.find("access_token"); q != r.query.end()) {
    // Browsers cannot set headers on a WebSocket; everywhere else a token in the URL would end
    // up in proxy logs and browser history, so it is refused rather than ignored.
    who = url_token_allowed ? auth.tokens().AuthenticateHeader("Bearer " + q->second)
                            : Status(StatusCode::kUnauthenticated,
                                     "access_token in the URL is accepted on the stream only; send "
                                     "Authorization: Bearer <token>",
                                     "access_token");
  } else if (!r.client_cert_name.empty()) {  // a gateway with a verified client certificate
    who = auth.tokens().AuthenticateGatewayName(r.client_cert_name);
  }
  return who;
}

StatusOr<auth::Principal> ApiCore::Authenticate(const HttpRequest& r, HttpResponse* denied,
                                                bool url_token_allowed) {
  StatusOr<auth::Principal> who = Identify(r, url_token_allowed);
  if (who.ok()) {
    auto rate = limiter.TakeForRequest(who->user, r.remote);
    if (rate.allowed) return who;
    who = RateLimited("rate limit exceeded; retry after " + std::to_string(rate.retry_after_s) +
                      " s");
  }
  ++denials;
  if (denied) *denied = ErrorResponse(who.status());
  return who.status();
}

void SessionRoutes::AddRoutes(Router& router) {
  using auth::Action;
  auto sign_in = [this](std::string_view what) {
    return [this, what](const RouteCall& c, Reply reply) {
      AuthRoute(c.request(), what, std::move(reply));
    };
  };
  router.Add({"POST", "/api/v1/auth/login", std::nullopt, Gate::kPublic, BodyType::kJson,
              sign_in("login")});
  router.Add({"POST", "/api/v1/auth/refresh", std::nullopt, Gate::kPublic, BodyType::kJson,
              sign_in("refresh")});
  // Logout reads the credential itself: it revokes exactly the token it was sent.
  router.Add({"POST", "/api/v1/auth/logout", std::nullopt, Gate::kPublic, BodyType::kJson,
              [this](const RouteCall& c, Reply reply) { Logout(c.request(), std::move(reply)); }});
  router.Add({"GET", "/api/v1/whoami", std::nullopt, Gate::kSignedIn, BodyType::kNone,
              [this](const RouteCall& c, Reply reply) { WhoAmI(c.who(), std::move(reply)); }});
}

void SessionRoutes::Logout(const HttpRequest& r, Reply reply) {
  // The credential is read exactly as on every other route (scheme case-insensitive): a
  // logout that revokes nothing must not answer "signed out".
  auto it = r.headers.find("authorization");
  const std::string header = it == r.headers.end() ? "" : it->second;
  auto cred = auth::ParseAuthorization(header);  // views into `header`
  if (!cred.ok()) return reply(ErrorResponse(cred.status()));
  if (cred->kind != auth::CredentialKind::kBearer)
    return reply(ErrorResponse(Status(StatusCode::kUnauthenticated,
                                      "logout takes the session's Bearer token", "Authorization")));
  if (auto who = auth_.tokens().Authenticate(cred->token); !who.ok())
    return reply(ErrorResponse(who.status()));
  Status s = auth_.tokens().Logout(cred->token);
  reply(s.ok() ? JsonResponse(200, {{"status", "signed out"}}) : ErrorResponse(s));
}

void SessionRoutes::WhoAmI(Who who, Reply reply) {
  json roles = json::array();
  for (const auto& g : who.roles) roles.push_back(g.agency + ":" + std::string(auth::Name(g.role)));
  // What the caller may do, and for which agencies' records: the permission table itself, so
  // that a console never keeps a copy of it that could drift from what the server enforces.
  json actions = json::object();
  for (const auth::ActionRule& rule : auth::Rules()) {
    json agencies = json::array();
    for (const auto& g : who.roles)
      if (auth::Grants(g.role, rule.action) &&
          std::find(agencies.begin(), agencies.end(), g.agency) == agencies.end())
        agencies.push_back(g.agency);
    if (!agencies.empty()) actions[std::string(rule.name)] = std::move(agencies);
  }
  reply(JsonResponse(200, {{"user", who.user},
                           {"agency", who.agency},
                           {"roles", roles},
                           {"actions", std::move(actions)},
                           {"clearance", Name(who.clearance)},
                           // where the console's stream resumes after loading
                           {"head", engine_.log().LastSeq().value}}));
}

void SessionRoutes::AuthRoute(const HttpRequest& r, std::string_view what, Reply reply) {
  auto session_reply = [&](const StatusOr<auth::Session>& s) {
    if (!s.ok()) return reply(ErrorResponse(s.status()));
    reply(JsonResponse(200, {{"access_token", s->access_token},
                             {"refresh_token", s->refresh_token},
                             {"token_type", "Bearer"},
                             {"expires_in", s->expires_in_s},
                             {"user", s->principal.user},
                             {"agency", s->principal.agency}}));
  };
  // Guessing passwords costs the guesser: the sign-in throttle (its own rates, not --rate)
  // per address before any work, then per username tried (known or not) before any hashing.
  if (Status s = auth_.login_throttle().TakeAddress(r.remote); !s.ok()) {
    if (what == "login") ++core_.refused_sign_ins;
    return reply(ErrorResponse(s));
  }
  auto parsed = ParseJsonBody(r.body);
  if (!parsed.ok()) return reply(ErrorResponse(parsed.status()));
  if (what == "login") {
    FieldReader f(*parsed, {"username", "password"});
    std::string user = f.String("username", true, 128), password = f.String("password", true, 1024);
    if (!f.ok()) return reply(ErrorResponse(f.status()));
    if (Status s = auth_.login_throttle().TakeUsername(user); !s.ok()) {
      ++core_.refused_sign_ins;
      return reply(ErrorResponse(s));
    }
    auto session = auth_.tokens().Login(user, password);
    // Audit: a sign-in goes to the log in the next group commit (the reply does not wait). A
    // refused attempt changes nothing in the log (attacks must not be able to fill it): it is
    // counted (lock-outs live in auth.db).
    if (session.ok())
      engine_.Submit(RecordSignIn{user, session->principal.agency, "signed_in", r.remote}, user,
                     session->principal.agency, [](CommandOutcome) {});
    else
      ++core_.refused_sign_ins;
    return session_reply(session);
  }
  FieldReader f(*parsed, {"refresh_token"});
  std::string token = f.String("refresh_token", true, 256);
  if (!f.ok()) return reply(ErrorResponse(f.status()));
  session_reply(auth_.tokens().Refresh(token));
}

void ApiCore::Submit(const HttpRequest& r, Command command, Who who, Reply reply,
                     Outcome on_success) {
  engine.Submit(
      std::move(command), who.user, who.agency,
      [reply = std::move(reply), on_success = std::move(on_success), this](CommandOutcome o) {
        if (!o.status.ok()) {
          ++client_errors;
          return reply(ErrorResponse(o.status));
        }
        HttpResponse resp = on_success(o);
        if (o.replayed) resp.headers.push_back({"Idempotent-Replayed", "true"});
        reply(std::move(resp));
      },
      CommandIdOf(r));
}

// Parses the body into a FieldReader-checked command; 400 on any parse or type error.
#define NCC_PARSE_BODY(var, reply)                                                         \
  auto var##_parsed = ParseJsonBody(r.body);                                               \
  if (!var##_parsed.ok()) return reply(ErrorResponse(AsMalformed(var##_parsed.status()))); \
  const json& var = *var##_parsed

HttpResponse Created(const CommandOutcome& o) {
  return JsonResponse(201, {{"id", o.created_id}, {"seq", o.last_seq.value}});
}
HttpResponse Applied(const CommandOutcome& o) {
  return JsonResponse(200, {{"seq", o.last_seq.value}});
}

std::optional<HttpResponse> Refuse(const auth::Principal& who, auth::Action action,
                                   auth::Action read_action,
                                   const std::optional<auth::RecordLabel>& label,
                                   const std::string& what, uint64_t id, const std::string& field) {
  if (!label || !auth::CanSee(who, *label, read_action))
    return ErrorResponse(NotFound("no " + what + " " + std::to_string(id), field));
  Status s = auth::Authorize(who, action, &*label);
  if (!s.ok()) return ErrorResponse(s);
  return std::nullopt;
}

std::optional<auth::RecordLabel> IncidentLabel(const Engine& engine, IncidentId id) {
  return engine.Read([&](const World& w) -> std::optional<auth::RecordLabel> {
    const Incident* i = w.FindIncident(id);
    return i ? std::optional(LabelOf(*i)) : std::nullopt;
  });
}

void IncidentRoutes::CreateIncidentRoute(const HttpRequest& r, Who who, Reply reply) {
  NCC_PARSE_BODY(body, reply);
  FieldReader f(body, {"type", "priority", "location", "address", "landmark", "summary", "agency",
                       "classification"});
  CreateIncident c;
  c.type = f.String("type", true, 256);
  // Out-of-range priorities become 0, which decide() refuses naming the field.
  auto priority = f.Integer("priority", true).value_or(0);
  c.priority = priority >= 1 && priority <= 5 ? static_cast<int32_t>(priority) : 0;
  if (auto loc = f.Location("location", true)) c.location = *loc;
  c.address = f.String("address", false);
  c.landmark = f.String("landmark", false);
  c.summary = f.String("summary", false, 8192);
  c.agency = f.String("agency", false, 64);
  std::string cls = f.String("classification", false, 32);
  if (!f.ok()) return reply(ErrorResponse(AsMalformed(f.status())));
  if (!cls.empty()) {
    auto parsed = ParseClassification(cls);
    if (!parsed)
      return reply(ErrorResponse(
          422,
          InvalidArgument("must be public, restricted, confidential or secret", "classification")));
    c.classification = *parsed;
  }
  if (c.agency.empty()) c.agency = who.agency;
  // The label the new record will carry: creating for another agency, or above one's
  // clearance, is refused here like any other write.
  auth::RecordLabel label{c.agency, c.classification, {}};
  if (Status s = auth::Authorize(who, auth::Action::kIncidentCreate, &label); !s.ok())
    return reply(ErrorResponse(s));
  if (alarms_ && alarms_->correlate_calls()) {
    // A correlated call may join an incident rather than open one; its outcome is not a
    // command record's, so a retry could not be answered with it. Say so instead of guessing.
    if (r.headers.count("idempotency-key"))
      return reply(ErrorResponse(Malformed(
          "calls are correlated on this server (--correlate-calls): an Idempotency-Key is not "
          "taken here",
          "Idempotency-Key")));
    return CorrelatedCall(std::move(c), who, reply);
  }
  Submit(r, std::move(c), who, std::move(reply), Created);
}

void ApiCore::ReplyAfterAudit(std::vector<IncidentId> confidential, std::string via, Who who,
                              Reply reply, HttpResponse response) {
  ReplyAfterAudit(RecordAccess{std::move(confidential), std::move(via), {}, {}}, who,
                  std::move(reply), std::move(response));
}

namespace {
// A read of more records than one audit command may name is recorded in several commands.
std::vector<RecordAccess> AuditPages(RecordAccess access) {
  std::vector<RecordAccess> pages;
  auto room = [&]() -> RecordAccess& {
    const RecordAccess* last = pages.empty() ? nullptr : &pages.back();
    if (!last || last->incidents.size() + last->messages.size() + last->units.size() +
                         last->plans.size() + last->sitreps.size() >=
                     Limits::kMaxRecordsPerAccess)
      pages.push_back({{}, access.via, {}, {}});
    return pages.back();
  };
  for (IncidentId id : access.incidents) room().incidents.push_back(id);
  for (uint64_t id : access.messages) room().messages.push_back(id);
  for (UnitId id : access.units) room().units.push_back(id);
  for (uint64_t id : access.plans) room().plans.push_back(id);
  for (uint64_t id : access.sitreps) room().sitreps.push_back(id);
  return pages;
}

}  // namespace

void ApiCore::ReplyAfterAudit(RecordAccess access, Who who, Reply reply, HttpResponse response) {
  std::vector<RecordAccess> pages = AuditPages(std::move(access));
  if (pages.empty()) return reply(std::move(response));
  // Reply once every page is durable; any failure withholds the records (503).
  struct Pending {
    Reply reply;
    HttpResponse response;
    size_t left;
    bool failed = false;
    std::string why;
    std::mutex mu;
  };
  auto pending = std::make_shared<Pending>();
  pending->reply = std::move(reply);
  pending->response = std::move(response);
  pending->left = pages.size();
  for (RecordAccess& page : pages)
    engine.Submit(std::move(page), who.user, who.agency, [pending](CommandOutcome o) {
      std::unique_lock lock(pending->mu);
      if (!o.status.ok() && !pending->failed) {
        pending->failed = true;
        pending->why = o.status.message();
      }
      if (--pending->left > 0) return;
      lock.unlock();
      if (pending->failed)
        return pending->reply(ErrorResponse(
            503,
            Unavailable("this read could not be recorded in the audit trail: " + pending->why)));
      pending->reply(std::move(pending->response));
    });
}

void IncidentRoutes::GetIncident(IncidentId id, Who who, Reply reply) {
  bool confidential = false;
  auto view = engine_.Read([&](const World& w) -> std::optional<json> {
    const Incident* i = w.FindIncident(id);
    if (!i || !auth::CanSee(who, LabelOf(*i), auth::Action::kIncidentRead)) return std::nullopt;
    confidential = IsConfidential(*i);
    return VisibleIncidentJson(who, *i, w, true);
  });
  if (!view) return reply(ErrorResponse(NotFound("no incident " + std::to_string(id.value), "id")));
  std::vector<IncidentId> audited;
  if (confidential) audited.push_back(id);
  ReplyAfterAudit(std::move(audited), "GET /api/v1/incidents/{id}", who, std::move(reply),
                  JsonResponse(200, *view));
}

void IncidentRoutes::ListIncidents(const HttpRequest& r, Who who, Reply reply) {
  Status err;
  uint64_t limit = QueryNumber(r, "limit", 100, 1000, err);
  uint64_t after = QueryNumber(r, "after", 0, UINT64_MAX >> 1, err);
  std::optional<IncidentStatus> status;
  if (auto it = r.query.find("status"); it != r.query.end() && !it->second.empty()) {
    status = ParseIncidentStatus(it->second);
    if (!status && err.ok())
      err = InvalidArgument("unknown incident status '" + it->second.substr(0, 32) + "'", "status");
  }
  if (!err.ok()) return reply(ErrorResponse(AsMalformed(err)));
  std::string agency = r.query.count("agency") ? r.query.at("agency") : "";
  json items = json::array();
  uint64_t last = 0;
  std::vector<IncidentId> audited;
  engine_.Read([&](const World& w) {
    for (size_t k = after; k < w.incidents().size() && items.size() < limit; ++k) {
      const Incident& i = w.incidents()[k];
      if (status && i.status != *status) continue;
      if (!agency.empty() && i.agency != agency) continue;
      if (!auth::CanSee(who, LabelOf(i), auth::Action::kIncidentRead)) continue;
      items.push_back(VisibleIncidentJson(who, i, w, false));
      if (IsConfidential(i)) audited.push_back(i.id);
      last = i.id.value;
    }
  });
  json out = {{"items", items}};
  out["next_after"] = items.size() == limit ? json(last) : json(nullptr);
  ReplyAfterAudit(std::move(audited), "GET /api/v1/incidents", who, std::move(reply),
                  JsonResponse(200, out));
}

void IncidentRoutes::IncidentStatusRoute(const HttpRequest& r, IncidentId id, Who who,
                                         Reply reply) {
  NCC_PARSE_BODY(body, reply);
  FieldReader f(body, {"status", "note"});
  std::string status = f.String("status", true, 32);
  std::string note = f.String("note", false, 8192);
  if (!f.ok()) return reply(ErrorResponse(AsMalformed(f.status())));
  auto to = ParseIncidentStatus(status);
  if (!to)
    return reply(
        ErrorResponse(InvalidArgument("unknown incident status '" + status + "'", "status")));
  if (auto no = Refuse(who, auth::Action::kIncidentUpdateStatus, auth::Action::kIncidentRead,
                       IncidentLabel(engine_, id), "incident", id.value))
    return reply(std::move(*no));
  // Closing with a unit still on it names the unit by id (decide), unless the caller may not
  // see it (a partner's secret unit): then the answer says only that one is there.
  if (*to == IncidentStatus::kClosed || *to == IncidentStatus::kCancelled) {
    bool hidden_busy = engine_.Read([&](const World& w) {
      const Incident* i = w.FindIncident(id);
      if (!i) return false;
      for (const Assignment& a : i->assignments)
        if (a.active() && !CanSeeUnit(who, a.unit, w)) return true;
      return false;
    });
    if (hidden_busy)
      return reply(ErrorResponse(
          409, FailedPrecondition("a withheld unit is still assigned (see the incident's "
                                  "assignments); its agency clears it first",
                                  "status")));
  }
  Submit(r, ChangeIncidentStatus{id, *to, std::move(note)}, who, std::move(reply), Applied);
}

void IncidentRoutes::IncidentNoteRoute(const HttpRequest& r, IncidentId id, Who who, Reply reply) {
  NCC_PARSE_BODY(body, reply);
  FieldReader f(body, {"text"});
  std::string text = f.String("text", true, 8192);
  if (!f.ok()) return reply(ErrorResponse(AsMalformed(f.status())));
  if (auto no = Refuse(who, auth::Action::kIncidentNote, auth::Action::kIncidentRead,
                       IncidentLabel(engine_, id), "incident", id.value))
    return reply(std::move(*no));
  Submit(r, AddIncidentNote{id, std::move(text)}, who, std::move(reply),
         [](const CommandOutcome& o) {
           return JsonResponse(201, {{"seq", o.last_seq.value}});
         });
}

void IncidentRoutes::ShareRoute(const HttpRequest& r, IncidentId id, Who who, Reply reply) {
  NCC_PARSE_BODY(body, reply);
  FieldReader f(body, {"agency"});
  std::string agency = f.String("agency", true, 64);
  if (!f.ok()) return reply(ErrorResponse(AsMalformed(f.status())));
  // Only the owning agency shares: the same right as moving the incident along.
  if (auto no = Refuse(who, auth::Action::kIncidentUpdateStatus, auth::Action::kIncidentRead,
                       IncidentLabel(engine_, id), "incident", id.value))
    return reply(std::move(*no));
  Submit(r, ShareIncident{id, std::move(agency)}, who, std::move(reply),
         [](const CommandOutcome& o) {
           return JsonResponse(201, {{"seq", o.last_seq.value}});
         });
}

void IncidentRoutes::AssignRoute(const HttpRequest& r, IncidentId id, Who who, Reply reply) {
  NCC_PARSE_BODY(body, reply);
  FieldReader f(body, {"unit"});
  auto unit = f.Integer("unit", true);
  if (!f.ok()) return reply(ErrorResponse(AsMalformed(f.status())));
  if (*unit <= 0) return reply(ErrorResponse(Malformed("must be a positive unit id", "unit")));
  UnitId unit_id(static_cast<uint64_t>(*unit));
  if (auto no = Refuse(who, auth::Action::kIncidentAssign, auth::Action::kIncidentRead,
                       IncidentLabel(engine_, id), "incident", id.value))
    return reply(std::move(*no));
  // The unit sent must be one the caller commands: its own agency's (mutual aid goes through
  // a share of the incident, not through sending another agency's units).
  auto unit_label = engine_.Read([&](const World& w) -> std::optional<auth::RecordLabel> {
    const Unit* u = w.FindUnit(unit_id);
    return u ? std::optional(LabelOf(*u)) : std::nullopt;
  });
  if (!unit_label || !auth::CanSee(who, *unit_label, auth::Action::kUnitRead))
    return reply(ErrorResponse(NotFound("no unit " + std::to_string(unit_id.value), "unit")));
  if (!who.Holds(unit_label->agency, auth::Role::kDispatcher) &&
      !who.Holds(unit_label->agency, auth::Role::kSupervisor))
    return reply(ErrorResponse(Status(StatusCode::kPermissionDenied,
                                      "you do not dispatch for " + unit_label->agency, "unit")));
  Submit(r, AssignUnit{id, unit_id}, who, std::move(reply), [](const CommandOutcome& o) {
    return JsonResponse(201, {{"seq", o.last_seq.value}});
  });
}

void UnitRoutes::CreateUnitRoute(const HttpRequest& r, Who who, Reply reply) {
  NCC_PARSE_BODY(body, reply);
  FieldReader f(body, {"callsign", "agency", "kind", "capabilities", "station", "location",
                       "classification"});
  RegisterUnit c;
  c.callsign = f.String("callsign", true, 256);
  c.agency = f.String("agency", false, 64);
  c.kind = f.String("kind", true, 64);
  c.capabilities = f.Strings("capabilities", 64, 64);
  c.station = f.String("station", false);
  c.position = f.Location("location", false);
  std::string cls = f.String("classification", false, 32);
  if (!f.ok()) return reply(ErrorResponse(AsMalformed(f.status())));
  if (!cls.empty()) {
    auto parsed = ParseClassification(cls);
    if (!parsed)
      return reply(ErrorResponse(
          422,
          InvalidArgument("must be public, restricted, confidential or secret", "classification")));
    c.classification = *parsed;
  }
  if (c.agency.empty()) c.agency = who.agency;
  // Registering above one's clearance is refused like creating such an incident.
  auth::RecordLabel label{c.agency, c.classification, {}};
  if (Status s = auth::Authorize(who, auth::Action::kUnitRegister, &label); !s.ok())
    return reply(ErrorResponse(s));
  Submit(r, std::move(c), who, std::move(reply), Created);
}

void UnitRoutes::GetUnit(UnitId id, Who who, Reply reply) {
  RecordAccess audited{{}, "GET /api/v1/units/{id}", {}, {}};
  auto view = engine_.Read([&](const World& w) -> std::optional<json> {
    const Unit* u = w.FindUnit(id);
    if (!u || !auth::CanSee(who, LabelOf(*u), auth::Action::kUnitRead)) return std::nullopt;
    if (u->classification >= Classification::kConfidential) audited.units.push_back(id);
    return VisibleUnitJson(who, *u, w);
  });
  if (!view) return reply(ErrorResponse(NotFound("no unit " + std::to_string(id.value), "id")));
  OverlayLive(lane_, *view, id);
  ReplyAfterAudit(std::move(audited), who, std::move(reply), JsonResponse(200, *view));
}

void UnitRoutes::ListUnits(const HttpRequest& r, Who who, Reply reply) {
  std::optional<UnitStatus> status;
  if (auto it = r.query.find("status"); it != r.query.end() && !it->second.empty()) {
    status = ParseUnitStatus(it->second);
    if (!status)
      return reply(ErrorResponse(
          Malformed("unknown unit status '" + it->second.substr(0, 32) + "'", "status")));
  }
  std::string agency = r.query.count("agency") ? r.query.at("agency") : "";
  json items = json::array();
  RecordAccess audited{{}, "GET /api/v1/units", {}, {}};
  engine_.Read([&](const World& w) {
    for (const Unit& u : w.units()) {
      if (status && u.status != *status) continue;
      if (!agency.empty() && u.agency != agency) continue;
      if (!auth::CanSee(who, LabelOf(u), auth::Action::kUnitRead)) continue;
      items.push_back(VisibleUnitJson(who, u, w));
      if (u.classification >= Classification::kConfidential) audited.units.push_back(u.id);
    }
  });
  for (json& u : items) OverlayLive(lane_, u, UnitId(u["id"].get<uint64_t>()));
  ReplyAfterAudit(std::move(audited), who, std::move(reply), JsonResponse(200, {{"items", items}}));
}

// Only the owning agency's supervisors and admins share a unit (the unit.register right, which
// is not usable through a share); the other agency then sees it but does not command it.
void UnitRoutes::UnitShareRoute(const HttpRequest& r, UnitId id, Who who, Reply reply) {
  NCC_PARSE_BODY(body, reply);
  FieldReader f(body, {"agency"});
  std::string agency = f.String("agency", true, 64);
  if (!f.ok()) return reply(ErrorResponse(AsMalformed(f.status())));
  auto label = engine_.Read([&](const World& w) -> std::optional<auth::RecordLabel> {
    const Unit* u = w.FindUnit(id);
    return u ? std::optional(LabelOf(*u)) : std::nullopt;
  });
  if (auto no = Refuse(who, auth::Action::kUnitRegister, auth::Action::kUnitRead, label, "unit",
                       id.value))
    return reply(std::move(*no));
  Submit(r, ShareUnit{id, std::move(agency)}, who, std::move(reply), [](const CommandOutcome& o) {
    return JsonResponse(201, {{"seq", o.last_seq.value}});
  });
}

void UnitRoutes::UnitStatusRoute(const HttpRequest& r, UnitId id, Who who, Reply reply) {
  NCC_PARSE_BODY(body, reply);
  FieldReader f(body, {"status", "note"});
  std::string status = f.String("status", true, 32);
  std::string note = f.String("note", false, 8192);
  if (!f.ok()) return reply(ErrorResponse(AsMalformed(f.status())));
  auto to = ParseUnitStatus(status);
  if (!to)
    return reply(ErrorResponse(InvalidArgument("unknown unit status '" + status + "'", "status")));
  auto unit = engine_.Read([&](const World& w) -> std::optional<Unit> {
    const Unit* u = w.FindUnit(id);
    return u ? std::optional<Unit>(*u) : std::nullopt;
  });
  auto label = unit ? std::optional(LabelOf(*unit)) : std::nullopt;
  if (auto no = Refuse(who, auth::Action::kUnitUpdateStatus, auth::Action::kUnitRead, label, "unit",
                       id.value))
    return reply(std::move(*no));
  if (Status s = CheckOwnUnit(who, *unit); !s.ok()) return reply(ErrorResponse(s));
  Submit(r, ChangeUnitStatus{id, *to, std::move(note)}, who, std::move(reply), Applied);
}

void ServiceRoutes::AgencyRoute(const HttpRequest& r, Who who, Reply reply) {
  NCC_PARSE_BODY(body, reply);
  FieldReader f(body, {"code", "name", "kind"});
  Agency a{f.String("code", true, 64), f.String("name", true, 256), f.String("kind", true, 64)};
  if (!f.ok()) return reply(ErrorResponse(AsMalformed(f.status())));
  if (Status s = auth::Authorize(who, auth::Action::kAgencyManage, nullptr); !s.ok())
    return reply(ErrorResponse(s));
  Submit(r, RegisterAgency{std::move(a)}, who, std::move(reply), [](const CommandOutcome& o) {
    return JsonResponse(201, {{"seq", o.last_seq.value}});
  });
}

void ServiceRoutes::EventsRoute(const HttpRequest& r, Who who, Reply reply) {
  Status err;
  uint64_t after = QueryNumber(r, "after", 0, UINT64_MAX >> 1, err);
  uint64_t limit = QueryNumber(r, "limit", 100, 1000, err);
  if (!err.ok()) return reply(ErrorResponse(AsMalformed(err)));
  if (Status s = auth::Authorize(who, auth::Action::kEventRead, nullptr); !s.ok())
    return reply(ErrorResponse(s));
  auto page = EventPage(engine_, Seq(after), limit);
  if (!page.ok()) return reply(ErrorResponse(page.status()));
  // The stored JSON texts are spliced in as they are: no re-parsing per request. Events the
  // caller may not see are left out; last_seq still moves past them so paging goes on.
  std::string body = "{\"items\":[";
  bool first = true;
  ReadRecorder audited;
  engine_.Read([&](const World& w) {
    for (const EventText& item : *page) {
      auto text = VisibleEventJson(who, *item.event, w, item.json);  // the one event filter
      if (!text) continue;
      audited.Add(*item.event, w);
      if (!first) body += ',';
      first = false;
      body += *text;
    }
  });
  uint64_t last = page->empty() ? after : (*page).back().event->meta.seq.value;
  body += "],\"last_seq\":" + std::to_string(last) +
          ",\"head\":" + std::to_string(engine_.log().LastSeq().value) + "}";
  HttpResponse resp;
  resp.body = std::move(body);
  ReplyAfterAudit(audited.Take("GET /api/v1/events"), who, std::move(reply), std::move(resp));
}

void ServiceRoutes::MetricsRoute(Reply reply) {
  HttpResponse resp;
  resp.content_type = "text/plain; version=0.0.4";
  engine_.RenderMetrics(resp.body);
  RenderCounter(resp.body, "ncc_http_requests_total", "HTTP requests handled",
                core_.requests.load());
  RenderCounter(resp.body, "ncc_http_command_errors_total", "Commands refused over HTTP",
                core_.client_errors.load());
  RenderCounter(resp.body, "ncc_sign_ins_refused_total", "Password sign-ins refused",
                core_.refused_sign_ins.load());
  for (const auto& more : core_.metrics) more(resp.body);
  reply(std::move(resp));
}

// Liveness is public; anything that counts records (the log's head) is for those who may read
// the audit trail (the row's action, checked by the router when credentials are sent). A lane
// stopped by a track store failure makes the server unhealthy (503: restart it to recover);
// only those readers are told the cause, which names a file.
void ServiceRoutes::Health(const RouteCall& call, Reply reply) {
  const Status lane = lane_ ? lane_->health() : Status::Ok();
  if (!call.signed_in()) {
    if (!lane.ok()) return reply(ErrorResponse(Unavailable("the AVL lane has stopped")));
    return reply(JsonResponse(200, {{"status", "ok"}}));
  }
  if (Status s = auth::Authorize(call.who(), auth::Action::kAuditRead, nullptr); !s.ok())
    return reply(ErrorResponse(s));
  if (!lane.ok()) return reply(ErrorResponse(lane));
  reply(JsonResponse(200, {{"status", "ok"}, {"last_seq", engine_.log().LastSeq().value}}));
}

void ServiceRoutes::ListAgencies(Reply reply) {
  json items = json::array();
  engine_.Read([&](const World& w) {
    for (const auto& [code, a] : w.agencies()) items.push_back(JsonWriter::ToJson(a));
  });
  reply(JsonResponse(200, {{"items", items}}));
}

void ServiceRoutes::StaticFile(const HttpRequest& r, Reply reply) {
  // Only the manifest's exact paths: nothing else under or outside the web root is reachable.
  const ncc::StaticFile* f = options_.console.Find(r.path);
  if (!f) return reply(ErrorResponse(NotFound("no route " + r.path.substr(0, 200))));
  HttpResponse resp;
  resp.body = f->body;
  resp.content_type = f->content_type;
  resp.headers.push_back({"Content-Security-Policy", kConsoleCsp});
  reply(std::move(resp));
}

void ServiceRoutes::AddRoutes(Router& router) {
  using auth::Action;
  router.Add({"GET", "/healthz", Action::kAuditRead, Gate::kOptional, BodyType::kNone,
              [this](const RouteCall& c, Reply reply) { Health(c, std::move(reply)); }});
  router.Add({"GET", "/metrics", Action::kAuditRead, Gate::kSignedIn, BodyType::kNone,
              [this](const RouteCall& c, Reply reply) {
                if (Status s = auth::Authorize(c.who(), Action::kAuditRead, nullptr); !s.ok())
                  return reply(ErrorResponse(s));
                MetricsRoute(std::move(reply));
              }});
  router.Add({"GET", "/api/v1/agencies", std::nullopt, Gate::kSignedIn, BodyType::kNone,
              [this](const RouteCall&, Reply reply) { ListAgencies(std::move(reply)); }});
  router.Add({"POST", "/api/v1/agencies", Action::kAgencyManage, Gate::kSignedIn, BodyType::kJson,
              [this](const RouteCall& c, Reply reply) {
                AgencyRoute(c.request(), c.who(), std::move(reply));
              },
              true});
  router.Add({"GET", "/api/v1/events", Action::kEventRead, Gate::kSignedIn, BodyType::kNone,
              [this](const RouteCall& c, Reply reply) {
                EventsRoute(c.request(), c.who(), std::move(reply));
              }});
  // The stream is a WebSocket (the HTTP server upgrades it before the router); a plain GET is
  // told what to send.
  router.Add({"GET", "/api/v1/stream", Action::kStreamSubscribe, Gate::kPublic, BodyType::kNone,
              [](const RouteCall&, Reply reply) {
                HttpResponse resp = ErrorResponse(
                    Status(StatusCode::kUpgradeRequired,
                           "the stream is a WebSocket: send Upgrade: websocket", "Upgrade"));
                resp.headers.push_back({"Upgrade", "websocket"});
                reply(std::move(resp));
              }});
  router.SetFallback(
      [this](const RouteCall& c, Reply reply) { StaticFile(c.request(), std::move(reply)); });
}

void IncidentRoutes::AddRoutes(Router& router) {
  using auth::Action;
  router.Add({"POST", "/api/v1/incidents", Action::kIncidentCreate, Gate::kSignedIn,
              BodyType::kJson,
              [this](const RouteCall& c, Reply reply) {
                CreateIncidentRoute(c.request(), c.who(), std::move(reply));
              },
              true});
  router.Add({"GET", "/api/v1/incidents", Action::kIncidentRead, Gate::kSignedIn, BodyType::kNone,
              [this](const RouteCall& c, Reply reply) {
                ListIncidents(c.request(), c.who(), std::move(reply));
              }});
  router.Add({"GET", "/api/v1/incidents/{id}", Action::kIncidentRead, Gate::kSignedIn,
              BodyType::kNone, [this](const RouteCall& c, Reply reply) {
                GetIncident(IncidentId(c.Id()), c.who(), std::move(reply));
              }});
  using Handler = void (IncidentRoutes::*)(const HttpRequest&, IncidentId, Who, Reply);
  auto post = [&](const char* path, Action action, Handler handler) {
    router.Add({"POST", path, action, Gate::kSignedIn, BodyType::kJson,
                [this, handler](const RouteCall& c, Reply reply) {
                  (this->*handler)(c.request(), IncidentId(c.Id()), c.who(), std::move(reply));
                },
                true});
  };
  post("/api/v1/incidents/{id}/status", Action::kIncidentUpdateStatus,
       &IncidentRoutes::IncidentStatusRoute);
  post("/api/v1/incidents/{id}/notes", Action::kIncidentNote, &IncidentRoutes::IncidentNoteRoute);
  post("/api/v1/incidents/{id}/assignments", Action::kIncidentAssign, &IncidentRoutes::AssignRoute);
  post("/api/v1/incidents/{id}/shares", Action::kIncidentUpdateStatus, &IncidentRoutes::ShareRoute);
}

void UnitRoutes::AddRoutes(Router& router) {
  using auth::Action;
  router.Add({"POST", "/api/v1/units", Action::kUnitRegister, Gate::kSignedIn, BodyType::kJson,
              [this](const RouteCall& c, Reply reply) {
                CreateUnitRoute(c.request(), c.who(), std::move(reply));
              },
              true});
  router.Add({"GET", "/api/v1/units", Action::kUnitRead, Gate::kSignedIn, BodyType::kNone,
              [this](const RouteCall& c, Reply reply) {
                ListUnits(c.request(), c.who(), std::move(reply));
              }});
  router.Add({"GET", "/api/v1/units/{id}", Action::kUnitRead, Gate::kSignedIn, BodyType::kNone,
              [this](const RouteCall& c, Reply reply) {
                GetUnit(UnitId(c.Id()), c.who(), std::move(reply));
              }});
  router.Add({"POST", "/api/v1/units/{id}/status", Action::kUnitUpdateStatus, Gate::kSignedIn,
              BodyType::kJson,
              [this](const RouteCall& c, Reply reply) {
                UnitStatusRoute(c.request(), UnitId(c.Id()), c.who(), std::move(reply));
              },
              true});
  router.Add({"POST", "/api/v1/units/{id}/shares", Action::kUnitRegister, Gate::kSignedIn,
              BodyType::kJson,
              [this](const RouteCall& c, Reply reply) {
                UnitShareRoute(c.request(), UnitId(c.Id()), c.who(), std::move(reply));
              },
              true});
}

Api::Api(Engine& engine, auth::Auth& auth, const auth::Clock& clock, ApiOptions options,
         auth::RateLimit rate, ApiServices services)
    : core_(std::make_unique<ApiCore>(engine, auth, clock, std::move(options), rate)),
      router_([core = core_.get()](const HttpRequest& r, HttpResponse* denied) {
        return core->Authenticate(r, denied, false);
      }) {
  ApiCore& core = *core_;
  if (!services.past) {  // past pictures over the log alone (no snapshots), for two rooms
    owned_past_ = std::make_unique<picture::PastWorlds>(engine.log(), nullptr);
    services.past = owned_past_.get();
  }
  rooms_.push_back(std::make_unique<SessionRoutes>(core));
  rooms_.push_back(std::make_unique<IncidentRoutes>(core, services.alarms));
  rooms_.push_back(std::make_unique<UnitRoutes>(core, services.lane));
  rooms_.push_back(std::make_unique<RecordRoutes>(core));
  rooms_.push_back(std::make_unique<ServiceRoutes>(core, services.lane));
  rooms_.push_back(std::make_unique<PositionRoutes>(core, services.lane));
  rooms_.push_back(std::make_unique<MonitoringRoutes>(core, services.lane, services.zones_path));
  rooms_.push_back(std::make_unique<RoutingRoutes>(core, services.routing));
  rooms_.push_back(std::make_unique<GeocodeRoutes>(core, services.places));
  rooms_.push_back(std::make_unique<AlarmRoutes>(core, services.alarms));
  rooms_.push_back(std::make_unique<DispatchRoutes>(core, services.dispatch));
  rooms_.push_back(std::make_unique<CotRoutes>(core, services.lane));
  rooms_.push_back(std::make_unique<ExportRoutes>(core, services.alarms, services.webhooks));
  rooms_.push_back(std::make_unique<EidoRoutes>(core));
  rooms_.push_back(std::make_unique<BasemapRoutes>(core, services.basemap, services.fonts,
                                                   services.basemap_style));
  rooms_.push_back(std::make_unique<PlanRoutes>(core));
  rooms_.push_back(std::make_unique<SitRepRoutes>(core, services.past));
  rooms_.push_back(std::make_unique<WarningRoutes>(core));
  rooms_.push_back(std::make_unique<ChannelRoutes>(core));
  rooms_.push_back(std::make_unique<PictureRoutes>(core, services.past, services.lane));
  for (auto& room : rooms_) room->AddRoutes(router_);
  if (services.lane)
    core.metrics.push_back([lane = services.lane](std::string& out) { lane->RenderMetrics(out); });
  if (services.alarms)
    core.metrics.push_back([a = services.alarms](std::string& out) { a->RenderMetrics(out); });
  core.metrics.push_back([p = core.printer.get()](std::string& out) {
    RenderCounter(out, "ncc_pdf_prints_running", "PDF pages being printed by chromium now",
                  static_cast<uint64_t>(p->running()), "gauge");
    RenderCounter(out, "ncc_pdf_prints_refused_busy_total",
                  "PDF pages refused (503) because as many prints as allowed were running",
                  p->refused_busy());
  });
}

Api::~Api() = default;

namespace {

// What a hot standby answers itself (docs/operations.md "Failover drill"): reads, and the POSTs
// that change nothing in the log (signing in to this node's auth.db, travel times).
bool StandbyServes(const HttpRequest& r) {
  if (r.method == "GET" || r.method == "HEAD") return true;
  return r.method == "POST" &&
         (r.path == "/api/v1/auth/login" || r.path == "/api/v1/auth/refresh" ||
          r.path == "/api/v1/auth/logout" || r.path == "/api/v1/eta");
}

// A write sent to a standby: 503 naming the writer, in the body and in X-Ncc-Writer ("NODE
// URL"), so that a client retries there (with the same Idempotency-Key).
HttpResponse StandbyRefusal(const Engine& engine) {
  auto [node, url] = engine.writer();
  json err = {{"code", "unavailable"}, {"message", engine.NotWriting().message()}};
  if (!node.empty()) err["writer"] = {{"node", node}, {"url", url}};
  HttpResponse r = JsonResponse(503, {{"error", err}});
  r.headers.push_back({"Retry-After", "1"});
  if (!node.empty()) r.headers.push_back({"X-Ncc-Writer", url.empty() ? node : node + " " + url});
  return r;
}

}  // namespace

void Api::Handle(const HttpRequest& request, Reply reply) {
  ++core_->requests;
  const Engine& engine = core_->engine;
  // A command refused by an engine that stepped down while the request was on its way is a
  // 503 whose message names the writer (Engine::NotWriting); the next one meets this gate.
  if (!engine.writing() && !StandbyServes(request)) return reply(StandbyRefusal(engine));
  router_.Handle(request, std::move(reply));
}

StatusOr<auth::Principal> Api::Authenticate(const HttpRequest& request, HttpResponse* denied,
                                            bool url_token_allowed) {
  return core_->Authenticate(request, denied, url_token_allowed);
}

StatusOr<auth::Principal> Api::Identify(const HttpRequest& request, bool url_token_allowed) const {
  return core_->Identify(request, url_token_allowed);
}

void Api::AddMetrics(std::function<void(std::string&)> more) {
  core_->metrics.push_back(std::move(more));
}

}  // namespace ncc
