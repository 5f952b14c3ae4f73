// Channels under /api/v1/channels (docs/plans.md "Channels"): the channels of incidents,
// operation plans, their sectors and agency pairs; their messages; each reader's delivery and
// read cursors and the receipts of a message. A channel is read under its subject's current
// label (channel.read), a message also under its own; decide holds the rules
// (core/decide_channel.cc), this room reads requests, checks labels and shapes answers.
//
// Delivery without loss or duplicate: a client pages the messages after its delivery cursor
// (`delivered` in every channel answer), then acknowledges up to the last one it holds. The
// cursor is in the log and only moves forward, so a client that went away — or a server that
// was killed — resumes exactly where the acknowledgement left it.
#include "core/json_writer.h"
#include "input/json_body.h"
#include "server/api_rooms.h"
#include "visibility/access.h"
#include "visibility/redact.h"

namespace ncc {
namespace {

using auth::Action;
using nlohmann::json;

constexpr size_t kMaxAddressees = 32;
constexpr int64_t kPage = 100, kMaxPage = 1000;

// The reader's view of a channel: its subject, counts of what the reader may see, the
// reader's cursors and how many messages of others are past the read cursor.
json ChannelJson(const auth::Principal& who, const Channel& c, const World& w) {
  const uint64_t delivered = CursorOf(c, who.user, "delivered");
  const uint64_t read = CursorOf(c, who.user, "read");
  uint64_t count = 0, unread = 0, last = 0;
  for (uint64_t id : w.MessagesIn(c)) {
    const Message* m = w.FindMessage(id);
    if (!m || !CanSeeMessage(who, *m, w)) continue;
    ++count;
    last = id;
    if (id > read && m->author != who.user) ++unread;
  }
  auth::RecordLabel label = LabelOf(c, w);
  json j = {{"id", c.id},
            {"kind", c.kind},
            {"name", c.name},
            {"agency", label.agency},
            {"classification", Name(label.classification)},
            {"shared_with", label.shared_with},
            {"opened_by", c.opened_by},
            {"opened", FormatTime(c.opened)},
            {"messages", count},
            {"last", last},
            {"delivered", delivered},
            {"read", read},
            {"unread", unread}};
  if (c.kind == kChannelIncident) j["incident"] = c.incident.value;
  if (c.plan) j["plan"] = c.plan;
  if (!c.sector.empty()) j["sector"] = c.sector;
  if (!c.agencies.empty()) j["agencies"] = c.agencies;
  return j;
}

std::optional<Classification> ReadLabel(FieldReader& f, Status& bad) {
  std::string name = f.String("classification", false, 32);
  if (!f.ok() || name.empty()) return std::nullopt;
  auto parsed = ParseClassification(name);
  if (!parsed)
    bad = InvalidArgument("must be public, restricted, confidential or secret", "classification");
  return parsed;
}

// A whole-number query parameter, `fallback` when absent; InvalidArgument naming it otherwise.
StatusOr<int64_t> QueryInteger(const HttpRequest& r, const char* name, int64_t fallback,
                               int64_t max) {
  auto it = r.query.find(name);
  if (it == r.query.end()) return fallback;
  const std::string& v = it->second;
  if (v.empty() || v.size() > 18 || v.find_first_not_of("0123456789") != std::string::npos)
    return InvalidArgument("must be a whole number, 0 or more", name);
  int64_t n = std::stoll(v);
  if (n > max) return InvalidArgument("must be at most " + std::to_string(max), name);
  return n;
}

}  // namespace

void ChannelRoutes::AddRoutes(Router& router) {
  router.Add({"GET", "/api/v1/channels", Action::kChannelRead, Gate::kSignedIn, BodyType::kNone,
              [this](const RouteCall& c, Reply reply) { ListRoute(c.who(), std::move(reply)); }});
  router.Add({"POST", "/api/v1/channels", Action::kChannelPost, Gate::kSignedIn, BodyType::kJson,
              [this](const RouteCall& c, Reply reply) {
                OpenRoute(c.request(), c.who(), std::move(reply));
              },
              true});
  router.Add(
      {"GET", "/api/v1/channels/{id}", Action::kChannelRead, Gate::kSignedIn, BodyType::kNone,
       [this](const RouteCall& c, Reply reply) { ShowRoute(c.Id(), c.who(), std::move(reply)); }});
  router.Add({"POST", "/api/v1/channels/{id}/messages", Action::kChannelPost, Gate::kSignedIn,
              BodyType::kJson,
              [this](const RouteCall& c, Reply reply) {
                PostRoute(c.request(), c.Id(), c.who(), std::move(reply));
              },
              true});
  router.Add({"GET", "/api/v1/channels/{id}/messages", Action::kChannelRead, Gate::kSignedIn,
              BodyType::kNone, [this](const RouteCall& c, Reply reply) {
                PageRoute(c.request(), c.Id(), c.who(), std::move(reply));
              }});
  for (const char* what : {"delivered", "read"})
    router.Add({"POST", std::string("/api/v1/channels/{id}/") + what, Action::kChannelRead,
                Gate::kSignedIn, BodyType::kJson,
                [this, what = std::string(what)](const RouteCall& c, Reply reply) {
                  AckRoute(c.request(), c.Id(), what, c.who(), std::move(reply));
                },
                true});
  router.Add({"GET", "/api/v1/messages/{id}/receipts", Action::kChannelRead, Gate::kSignedIn,
              BodyType::kNone, [this](const RouteCall& c, Reply reply) {
                ReceiptsRoute(c.Id(), c.who(), std::move(reply));
              }});
}

std::optional<HttpResponse> ChannelRoutes::RefuseChannel(Who who, Action action, uint64_t id) {
  auto label = engine_.Read([&](const World& w) -> std::optional<auth::RecordLabel> {
    const Channel* c = w.FindChannel(id);
    if (!c) return std::nullopt;
    auth::RecordLabel l = LabelOf(*c, w);
    return l.agency.empty() ? std::nullopt : std::optional(std::move(l));
  });
  return Refuse(who, action, Action::kChannelRead, label, "channel", id);
}

void ChannelRoutes::ListRoute(Who who, Reply reply) {
  json items = engine_.Read([&](const World& w) {
    json out = json::array();
    for (const Channel& c : w.channels())
      if (CanSeeChannel(who, c, w)) out.push_back(ChannelJson(who, c, w));
    return out;
  });
  reply(JsonResponse(200, {{"items", std::move(items)}}));
}

void ChannelRoutes::OpenRoute(const HttpRequest& r, Who who, Reply reply) {
  auto parsed = ParseJsonBody(r.body);
  if (!parsed.ok()) return reply(ErrorResponse(AsMalformed(parsed.status())));
  FieldReader f(*parsed, {"kind", "incident", "plan", "sector", "agencies"});
  OpenChannel c;
  c.kind = f.String("kind", true, 32);
  auto incident = f.Integer("incident", c.kind == kChannelIncident);
  auto plan = f.Integer("plan", c.kind == kChannelOperation || c.kind == kChannelSector);
  c.sector = f.String("sector", c.kind == kChannelSector, Limits::kShortText);
  c.agencies = f.Strings("agencies", 2, 32);
  if (!f.ok()) return reply(ErrorResponse(AsMalformed(f.status())));
  if (incident && *incident > 0) c.incident = IncidentId(static_cast<uint64_t>(*incident));
  if (plan && *plan > 0) c.plan = static_cast<uint64_t>(*plan);
  // The subject's label decides, before decide says whether the subject exists: a subject the
  // caller may not see answers as one that does not exist.
  Channel subject;
  subject.kind = c.kind;
  subject.incident = c.incident;
  subject.plan = c.plan;
  subject.agencies = c.agencies;
  std::sort(subject.agencies.begin(), subject.agencies.end());
  const char* field = c.kind == kChannelIncident   ? "incident"
                      : c.kind == kChannelAgencies ? "agencies"
                                                   : "plan";
  bool pair_ok = c.kind != kChannelAgencies || c.agencies.size() == 2;
  auto label = engine_.Read([&](const World& w) -> std::optional<auth::RecordLabel> {
    auth::RecordLabel l = LabelOf(subject, w);
    return l.agency.empty() ? std::nullopt : std::optional(std::move(l));
  });
  if (pair_ok && (c.kind == kChannelIncident || c.kind == kChannelOperation ||
                  c.kind == kChannelSector || c.kind == kChannelAgencies)) {
    uint64_t id = c.kind == kChannelIncident ? c.incident.value : c.plan;
    if (c.kind == kChannelAgencies) {
      // A pair's channel is for the two agencies: the caller must act in one of them.
      if (!label || !auth::CanSee(who, *label, Action::kChannelPost))
        return reply(ErrorResponse(Status(StatusCode::kPermissionDenied,
                                          "you act for neither of these agencies", "agencies")));
    } else if (auto no = Refuse(who, Action::kChannelPost, Action::kChannelRead, label,
                                c.kind == kChannelIncident ? "incident" : "plan", id, field)) {
      return reply(std::move(*no));
    }
  }
  Submit(r, std::move(c), who, std::move(reply), Created);
}

void ChannelRoutes::ShowRoute(uint64_t id, Who who, Reply reply) {
  auto answer = engine_.Read([&](const World& w) -> std::optional<json> {
    const Channel* c = w.FindChannel(id);
    if (!c || !CanSeeChannel(who, *c, w)) return std::nullopt;
    return ChannelJson(who, *c, w);
  });
  if (!answer) return reply(ErrorResponse(NotFound("no channel " + std::to_string(id), "id")));
  reply(JsonResponse(200, std::move(*answer)));
}

void ChannelRoutes::PostRoute(const HttpRequest& r, uint64_t id, Who who, Reply reply) {
  auto parsed = ParseJsonBody(r.body);
  if (!parsed.ok()) return reply(ErrorResponse(AsMalformed(parsed.status())));
  FieldReader f(*parsed, {"text", "classification", "to"});
  PostChannelMessage c;
  c.channel = id;
  c.text = f.String("text", true, Limits::kMessage);
  c.to = f.Strings("to", kMaxAddressees, 64);
  Status bad;
  auto label = ReadLabel(f, bad);
  if (!f.ok()) return reply(ErrorResponse(AsMalformed(f.status())));
  if (!bad.ok()) return reply(ErrorResponse(bad));
  if (auto no = RefuseChannel(who, Action::kChannelPost, id)) return reply(std::move(*no));
  if (label) {
    if (who.clearance < *label)
      return reply(ErrorResponse(Status(StatusCode::kPermissionDenied,
                                        "your clearance (" + std::string(Name(who.clearance)) +
                                            ") is below " + std::string(Name(*label)),
                                        "classification")));
    c.classification = *label;
  }
  c.users = MentionedAccounts(auth_, c.text);
  Submit(r, std::move(c), who, std::move(reply), Created);
}

std::vector<std::string> MentionedAccounts(auth::Auth& auth, const std::string& text) {
  std::vector<std::string> users;
  for (size_t at = text.find('@'); at != std::string::npos && users.size() < Limits::kMentions;
       at = text.find('@', at + 1)) {
    size_t end = at + 1;
    while (end < text.size() && (std::isalnum(static_cast<unsigned char>(text[end])) ||
                                 text[end] == '_' || text[end] == '.' || text[end] == '-'))
      ++end;
    std::string name = text.substr(at + 1, end - at - 1);
    while (!name.empty() && (name.back() == '.' || name.back() == '-')) name.pop_back();
    if (name.empty() || std::find(users.begin(), users.end(), name) != users.end()) continue;
    if (auth.users().LoadPrincipal(name).ok()) users.push_back(std::move(name));
  }
  return users;
}

void ChannelRoutes::PageRoute(const HttpRequest& r, uint64_t id, Who who, Reply reply) {
  auto after = QueryInteger(r, "after", 0, INT64_MAX / 2);
  if (!after.ok()) return reply(ErrorResponse(after.status()));
  auto limit = QueryInteger(r, "limit", kPage, kMaxPage);
  if (!limit.ok()) return reply(ErrorResponse(limit.status()));
  if (*limit < 1) return reply(ErrorResponse(InvalidArgument("must be 1 or more", "limit")));
  RecordAccess audited{{}, "GET /api/v1/channels/{id}/messages", {}, {}};
  auto page = engine_.Read([&](const World& w) -> std::optional<json> {
    const Channel* c = w.FindChannel(id);
    if (!c || !CanSeeChannel(who, *c, w)) return std::nullopt;
    json items = json::array();
    bool more = false;
    for (uint64_t mid : w.MessagesIn(*c)) {
      if (mid <= static_cast<uint64_t>(*after)) continue;
      const Message* m = w.FindMessage(mid);
      if (!m || !CanSeeMessage(who, *m, w)) continue;
      if (items.size() == static_cast<size_t>(*limit)) {
        more = true;
        break;
      }
      items.push_back(VisibleMessageJson(who, *m, w));
      if (m->classification >= Classification::kConfidential) audited.messages.push_back(mid);
    }
    json out = {{"items", std::move(items)}, {"more", more}};
    out["delivered"] = CursorOf(*c, who.user, "delivered");
    out["read"] = CursorOf(*c, who.user, "read");
    return out;
  });
  if (!page) return reply(ErrorResponse(NotFound("no channel " + std::to_string(id), "id")));
  ReplyAfterAudit(std::move(audited), who, std::move(reply), JsonResponse(200, std::move(*page)));
}

void ChannelRoutes::AckRoute(const HttpRequest& r, uint64_t id, const std::string& what, Who who,
                             Reply reply) {
  auto parsed = ParseJsonBody(r.body);
  if (!parsed.ok()) return reply(ErrorResponse(AsMalformed(parsed.status())));
  FieldReader f(*parsed, {"up_to"});
  auto up_to = f.Integer("up_to", true);
  if (!f.ok()) return reply(ErrorResponse(AsMalformed(f.status())));
  if (*up_to < 1)
    return reply(ErrorResponse(InvalidArgument("must be a message id, 1 or more", "up_to")));
  if (auto no = RefuseChannel(who, Action::kChannelRead, id)) return reply(std::move(*no));
  Submit(r, AckMessages{id, what, static_cast<uint64_t>(*up_to)}, who, std::move(reply),
         [this, id, user = who.user](const CommandOutcome& o) {
           json body = engine_.Read([&](const World& w) {
             const Channel* c = w.FindChannel(id);
             return json{{"seq", o.last_seq.value},
                         {"delivered", c ? CursorOf(*c, user, "delivered") : 0},
                         {"read", c ? CursorOf(*c, user, "read") : 0}};
           });
           return JsonResponse(200, std::move(body));
         });
}

void ChannelRoutes::ReceiptsRoute(uint64_t id, Who who, Reply reply) {
  auto answer = engine_.Read([&](const World& w) -> std::optional<json> {
    const Message* m = w.FindMessage(id);
    if (!m || !CanSeeMessage(who, *m, w)) return std::nullopt;
    const Channel* c = m->channel
                           ? w.FindChannel(m->channel)
                           : w.FindChannelByName("incident-" + std::to_string(m->incident.value));
    // Per reader, the first step of each cursor that reached this message.
    std::map<std::string, json> delivered, read;
    if (c)
      for (const ChannelReceipt& s : c->receipts) {
        if (s.up_to < id) continue;
        auto& into = s.what == "read" ? read : delivered;
        into.try_emplace(s.user, json{{"user", s.user}, {"time", FormatTime(s.time)}});
      }
    auto list = [](const std::map<std::string, json>& by) {
      json out = json::array();
      for (const auto& [user, item] : by) out.push_back(item);
      return out;
    };
    json pending = json::array();  // mentioned accounts and units not yet delivered to
    for (const Mention& mention : m->mentions)
      if ((mention.kind == "user" || mention.kind == "unit") && !delivered.count(mention.name))
        pending.push_back(mention.name);
    return json{{"message", id},       {"channel", c ? c->id : 0},
                {"author", m->author}, {"delivered", list(delivered)},
                {"read", list(read)},  {"pending", std::move(pending)}};
  });
  if (!answer) return reply(ErrorResponse(NotFound("no message " + std::to_string(id), "id")));
  reply(JsonResponse(200, std::move(*answer)));
}

}  // namespace ncc
