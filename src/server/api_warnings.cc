// Public warnings under /api/v1/alerts (docs/exchange.md "CAP public warnings out"):
//   POST /api/v1/alerts            warning.issue: an Alert, or an Update / Cancel naming
//                                  `references` (201 {id, identifier, cap, seq})
//   GET  /api/v1/alerts            warning.read: ?state=current (default) | all, newest first
//   GET  /api/v1/alerts/{id}       warning.read: the warning as JSON, with its state
//   GET  /api/v1/alerts/{id}/cap   public: the CAP 1.2 document (signed when configured)
//   GET  /api/v1/alerts/feed       public: Atom of the current warnings (ETag, 304)
// Warnings are public once issued (visibility/access.h CanSeeWarning): no label to filter on.
#include <openssl/sha.h>

#include <algorithm>

#include "core/json_writer.h"
#include "exchange/cap/cap_warning.h"
#include "server/api_rooms.h"
#include "server/event_pages.h"
#include "visibility/access.h"

namespace ncc {
namespace {

using auth::Action;
using nlohmann::json;

// A Cancel stays in the feed this long after it was sent, so that subscribers polling now and
// then learn that the warning they hold is over.
constexpr int64_t kCancelShownMs = 24LL * 3600 * 1000;
constexpr size_t kFeedEntries = 500;

// Current: the latest of its chain, not expired; a Cancel for a day.
bool Current(const PublicWarning& w, Time now) {
  if (w.state != "actual") return false;
  if (w.content.msg_type == "Cancel") return now.ms - w.sent.ms < kCancelShownMs;
  return !w.content.expires || *w.content.expires > now;
}

// When the feed last changed: a warning entered it (sent) or left it (expired, a Cancel's day
// over; a superseded one left when its successor was sent). Empty optional: no warning ever.
std::optional<Time> FeedChanged(const CowVector<PublicWarning>& all, Time now) {
  std::optional<Time> changed;
  auto saw = [&](Time t) {
    if (t <= now && (!changed || *changed < t)) changed = t;
  };
  for (const PublicWarning& w : all) {
    if (w.state != "actual") continue;
    saw(w.sent);
    if (w.content.msg_type == "Cancel")
      saw(Time{w.sent.ms + kCancelShownMs});
    else if (w.content.expires)
      saw(*w.content.expires);
  }
  return changed;
}

json WarningJson(const PublicWarning& w, Time now, const cap::CapOptions& cap) {
  json j = JsonWriter::ToJson(w);
  j["identifier"] = cap::WarningIdentifier(w.id, cap);
  j["current"] = Current(w, now);
  j["cap"] = "/api/v1/alerts/" + std::to_string(w.id) + "/cap";
  return j;
}

// The alert as a feed entry carries it: no XML declaration, no line end after the root.
std::string WithoutDeclaration(const std::string& xml) {
  size_t end = xml.rfind("<?xml", 0) == 0 ? xml.find("?>") : std::string::npos;
  size_t start = end == std::string::npos ? 0 : end + 2;
  while (start < xml.size() && (xml[start] == '\n' || xml[start] == '\r')) ++start;
  size_t end_of_root = xml.find_last_not_of("\r\n");
  return xml.substr(start, end_of_root == std::string::npos ? 0 : end_of_root + 1 - start);
}

std::string Etag(const std::string& body) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(body.data()), body.size(), digest);
  static const char* kHex = "0123456789abcdef";
  std::string tag = "\"";
  for (int i = 0; i < 12; ++i) tag += {kHex[digest[i] >> 4], kHex[digest[i] & 15]};
  return tag + "\"";
}

}  // namespace

void WarningRoutes::AddRoutes(Router& router) {
  router.Add({"POST", "/api/v1/alerts", Action::kWarningIssue, Gate::kSignedIn, BodyType::kJson,
              [this](const RouteCall& c, Reply reply) {
                IssueRoute(c.request(), c.who(), std::move(reply));
              },
              true});
  router.Add({"GET", "/api/v1/alerts", Action::kWarningRead, Gate::kSignedIn, BodyType::kNone,
              [this](const RouteCall& c, Reply reply) {
                ListRoute(c.request(), c.who(), std::move(reply));
              }});
  router.Add(
      {"GET", "/api/v1/alerts/feed", std::nullopt, Gate::kPublic, BodyType::kNone,
       [this](const RouteCall& c, Reply reply) { FeedRoute(c.request(), std::move(reply)); }});
  router.Add(
      {"GET", "/api/v1/alerts/{id}", Action::kWarningRead, Gate::kSignedIn, BodyType::kNone,
       [this](const RouteCall& c, Reply reply) { ShowRoute(c.Id(), c.who(), std::move(reply)); }});
  router.Add({"GET", "/api/v1/alerts/{id}/cap", std::nullopt, Gate::kPublic, BodyType::kNone,
              [this](const RouteCall& c, Reply reply) { CapRoute(c.Id(), std::move(reply)); }});
}

void WarningRoutes::IssueRoute(const HttpRequest& r, Who who, Reply reply) {
  auto request = cap::ReadWarningRequest(r.body);
  if (!request.ok()) return reply(ErrorResponse(request.status()));
  if (Status s = auth::Authorize(who, Action::kWarningIssue, nullptr); !s.ok())
    return reply(ErrorResponse(s));
  cap::CapOptions cap{options_.cap_sender};
  Submit(r, IssueWarning{std::move(*request)}, who, std::move(reply),
         [cap](const CommandOutcome& o) {
           std::string id = std::to_string(o.created_id);
           return JsonResponse(201, {{"id", o.created_id},
                                     {"identifier", cap::WarningIdentifier(o.created_id, cap)},
                                     {"cap", "/api/v1/alerts/" + id + "/cap"},
                                     {"seq", o.last_seq.value}});
         });
}

void WarningRoutes::ListRoute(const HttpRequest& r, Who who, Reply reply) {
  std::string state = r.query.count("state") ? r.query.at("state") : "current";
  if (state != "current" && state != "all")
    return reply(ErrorResponse(InvalidArgument("must be current or all", "state")));
  Time now = clock_.Now();
  cap::CapOptions cap{options_.cap_sender};
  json items = engine_.Read([&](const World& w) {
    json out = json::array();
    const auto& all = w.warnings();
    for (size_t k = all.size(); k-- > 0 && out.size() < kFeedEntries;) {
      const PublicWarning& warning = all[k];
      if (!CanSeeWarning(who, warning)) continue;
      if (state == "current" && !Current(warning, now)) continue;
      out.push_back(WarningJson(warning, now, cap));
    }
    return out;
  });
  reply(JsonResponse(200, {{"items", std::move(items)}}));
}

void WarningRoutes::ShowRoute(uint64_t id, Who who, Reply reply) {
  Time now = clock_.Now();
  cap::CapOptions cap{options_.cap_sender};
  auto found = engine_.Read([&](const World& w) -> std::optional<json> {
    const PublicWarning* warning = w.FindWarning(id);
    if (!warning || !CanSeeWarning(who, *warning)) return std::nullopt;
    return WarningJson(*warning, now, cap);
  });
  if (!found) return reply(ErrorResponse(NotFound("no warning " + std::to_string(id), "id")));
  reply(JsonResponse(200, *found));
}

StatusOr<std::string> WarningRoutes::Document(uint64_t id) {
  {
    std::lock_guard<std::mutex> lock(documents_mu_);
    if (auto it = documents_.find(id); it != documents_.end()) return it->second;
  }
  cap::CapOptions cap{options_.cap_sender};
  auto issued = engine_.Read([&](const World& w) -> std::optional<cap::IssuedWarning> {
    const PublicWarning* warning = w.FindWarning(id);
    return warning ? std::optional(cap::IssuedFrom(*warning, w, cap)) : std::nullopt;
  });
  if (!issued) return NotFound("no warning " + std::to_string(id), "id");
  std::string xml = cap::WriteWarning(*issued, cap);  // outside the World's lock
  if (options_.cap_signer) {
    auto signed_xml = options_.cap_signer->Sign(xml);
    if (!signed_xml.ok())
      return Unavailable("the warning cannot be signed: " + signed_xml.status().message());
    xml = std::move(*signed_xml);
  }
  std::lock_guard<std::mutex> lock(documents_mu_);
  return documents_.emplace(id, std::move(xml)).first->second;
}

void WarningRoutes::CapRoute(uint64_t id, Reply reply) {
  auto xml = Document(id);
  if (!xml.ok()) return reply(ErrorResponse(xml.status()));
  HttpResponse response;
  response.body = std::move(*xml);
  response.content_type = "application/cap+xml; charset=utf-8";
  reply(std::move(response));
}

void WarningRoutes::FeedRoute(const HttpRequest& r, Reply reply) {
  Time now = clock_.Now();
  std::vector<uint64_t> ids;
  std::optional<Time> changed;
  engine_.Read([&](const World& w) {
    const auto& all = w.warnings();
    for (size_t k = all.size(); k-- > 0 && ids.size() < kFeedEntries;)
      if (Current(all[k], now)) ids.push_back(all[k].id);
    changed = FeedChanged(all, now);
  });
  // A feed that never carried a warning dates from the log's first event: a real time that
  // stays the same across restarts (so does the ETag), never 1970.
  Time updated = changed.value_or(Time{0});
  if (!changed)
    if (auto first = EventPage(engine_, Seq{0}, 1); first.ok() && !first->empty())
      updated = first->front().event->meta.time;
  std::vector<PublicWarning> warnings;
  std::vector<cap::WarningFeedEntry> entries;
  warnings.reserve(ids.size());
  for (uint64_t id : ids) {
    auto xml = Document(id);
    if (!xml.ok()) return reply(ErrorResponse(xml.status()));
    warnings.push_back(engine_.Read([&](const World& w) { return *w.FindWarning(id); }));
    entries.push_back({&warnings.back(), WithoutDeclaration(*xml)});
  }
  HttpResponse response;
  response.body = cap::WriteWarningFeed(entries, {options_.cap_sender}, updated);
  response.content_type = "application/atom+xml; charset=utf-8";
  std::string tag = Etag(response.body);
  response.headers.push_back({"ETag", tag});
  response.headers.push_back({"Cache-Control", "no-cache"});
  if (auto it = r.headers.find("if-none-match"); it != r.headers.end() && it->second == tag) {
    response.status = 304;
    response.body.clear();
  }
  reply(std::move(response));
}

}  // namespace ncc
