// The JSON API under /api/v1: parses and checks requests, turns them into commands for the
// engine or reads of the World, and shapes the replies. Knows nothing of sockets.
//
// Threads: Handle() runs on the server's I/O threads, concurrently.
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <string>

#include "alarms/intake.h"
#include "auth/auth.h"
#include "auth/rate_limiter.h"
#include "dispatch/service.h"
#include "engine/engine.h"
#include "exchange/webhooks/registry.h"
#include "monitor/avl_lane.h"
#include "routing/routing_service.h"
#include "server/http_types.h"
#include "server/static_files.h"

namespace ncc {

// The answer when `who` may not do `action` on a record with `label` (nullopt: no such record):
// 404 naming `field` when it may not even see the record (its existence is not disclosed), 403
// when it may see but not act; nullopt when allowed. Every route that acts on one record uses it.
std::optional<HttpResponse> Refuse(const auth::Principal& who, auth::Action action,
                                   auth::Action read_action,
                                   const std::optional<auth::RecordLabel>& label,
                                   const std::string& what, uint64_t id,
                                   const std::string& field = "id");
// 201 {id, seq} for a command that created a record; 200 {seq} for one that changed one.
HttpResponse Created(const CommandOutcome& o);
HttpResponse Applied(const CommandOutcome& o);
// The current label of incident `id`, nullopt when there is none.
std::optional<auth::RecordLabel> IncidentLabel(const Engine& engine, IncidentId id);

struct ApiOptions {
  StaticFiles console;  // the console's files served at "/" (StaticFiles::Load), none if empty
  // Exports (api_exports.cc, docs/exchange.md): the CAP <sender> and the EIDO issuer.
  std::string cap_sender = "ncc@localhost";
  std::string eido_issuer = "ncc.localhost";
};

// application/cap+xml, application/xml or text/xml (parameters such as charset allowed).
bool IsXmlContentType(std::string_view content_type);

// Every /api/v1 route but login and refresh needs a signed-in principal ("Authorization:
// Bearer <token>" or "ApiKey <key>"; the WebSocket may pass ?access_token= since browsers
// cannot set headers on it). What it may do and see is decided by auth::Authorize/CanSee only.
class Api {
 public:
  Api(Engine& engine, auth::Auth& auth, const auth::Clock& clock, ApiOptions options,
      auth::RateLimit rate = {})
      : engine_(engine),
        auth_(auth),
        clock_(clock),
        limiter_(clock, rate),
        options_(std::move(options)) {}

  void Handle(const HttpRequest& request, Reply reply);

  // Signs in the caller of `request` and charges its rate limit. Errors carry the HTTP status
  // to answer with (401, 403, 429 with its Retry-After). Credentials: "Authorization: Bearer
  // <token>" or "ApiKey <key>", "X-API-Key: <key>", a verified TLS client certificate, and
  // ?access_token= only where `url_token_allowed` (the WebSocket stream).
  StatusOr<auth::Principal> Authenticate(const HttpRequest& request, HttpResponse* denied,
                                         bool url_token_allowed = false);
  // The same sign-in check without charging the rate limit (an open stream re-checks its
  // sign-in every second with it).
  StatusOr<auth::Principal> Identify(const HttpRequest& request, bool url_token_allowed) const;

  // Road travel times for /route and /eta; without a graph those routes answer 503.
  void SetRouting(const routing::RoutingService* routing) { routing_ = routing; }
  // Recommendations, mutual aid and coverage (api_dispatch.cc); without it those answer 503.
  void SetDispatch(dispatch::DispatchService* dispatch) { dispatch_ = dispatch; }

  // Alarm intake (src/alarms): /alarms, /watchlists, /incidents/{id}/split, and calls feeding
  // the correlator when it correlates calls. Without it those routes answer 503.
  void SetAlarms(alarms::Intake* intake) { alarms_ = intake; }
  // The AVL lane behind /positions, /units/{id}/track, /units/nearby and /zones (those answer
  // 503 without it); `zones_path` is where POST /zones keeps the GeoJSON.
  void SetAvlLane(monitor::AvlLane* lane, std::string zones_path) {
    lane_ = lane;
    zones_path_ = std::move(zones_path);
  }

  // Webhook subscriptions and their delivery (src/exchange/webhooks); without them
  // /webhooks answers 503.
  void SetWebhooks(webhooks::Registry* registry) { webhooks_ = registry; }

  // Extra metric lines from other parts of the server (e.g. connected streams).
  void SetMetricsHook(std::function<void(std::string&)> hook) { metrics_hook_ = std::move(hook); }
  // More metric lines (the MQTT bridge, the tracker listeners); added before serving starts.
  void AddMetrics(std::function<void(std::string&)> more) {
    more_metrics_.push_back(std::move(more));
  }

 private:
  using Who = const auth::Principal&;
  using Outcome = std::function<HttpResponse(const CommandOutcome&)>;
  void Submit(Command command, Who who, Reply reply, Outcome on_success);
  // Replies with `response` once the reads of `confidential` incidents are in the audit trail
  // (none: at once). If the trail cannot be written the records are not shown (503).
  void ReplyAfterAudit(std::vector<IncidentId> confidential, std::string via, Who who, Reply reply,
                       HttpResponse response);
  // The same for any records (incidents, messages, units) named in `access`.
  void ReplyAfterAudit(RecordAccess access, Who who, Reply reply, HttpResponse response);
  void Route(const HttpRequest& r, Who who, Reply reply);
  void AuthRoute(const HttpRequest& r, std::string_view what, Reply reply);

  void CreateIncidentRoute(const HttpRequest& r, Who who, Reply reply);
  void GetIncident(IncidentId id, Who who, Reply reply);
  void ListIncidents(const HttpRequest& r, Who who, Reply reply);
  void IncidentStatusRoute(const HttpRequest& r, IncidentId id, Who who, Reply reply);
  void IncidentNoteRoute(const HttpRequest& r, IncidentId id, Who who, Reply reply);
  void ShareRoute(const HttpRequest& r, IncidentId id, Who who, Reply reply);
  void AssignRoute(const HttpRequest& r, IncidentId id, Who who, Reply reply);
  void CreateUnitRoute(const HttpRequest& r, Who who, Reply reply);
  void GetUnit(UnitId id, Who who, Reply reply);
  void ListUnits(const HttpRequest& r, Who who, Reply reply);
  void UnitStatusRoute(const HttpRequest& r, UnitId id, Who who, Reply reply);
  void UnitShareRoute(const HttpRequest& r, UnitId id, Who who, Reply reply);
  // api_messages.cc: per-incident messages and reclassification of incidents and units.
  void MessagesRoute(const HttpRequest& r, IncidentId id, Who who, Reply reply);
  void PostMessageRoute(const HttpRequest& r, IncidentId id, Who who, Reply reply);
  void ListMessages(IncidentId id, Who who, Reply reply);
  void IncidentClassifyRoute(const HttpRequest& r, IncidentId id, Who who, Reply reply);
  void UnitClassifyRoute(const HttpRequest& r, UnitId id, Who who, Reply reply);
  void PositionsRoute(const HttpRequest& r, Who who, Reply reply);
  void TrackRoute(const HttpRequest& r, UnitId id, Who who, Reply reply);
  void NearbyRoute(const HttpRequest& r, Who who, Reply reply);
  void ZonesRoute(const HttpRequest& r, Who who, Reply reply);
  // Replaces a unit's checkpointed position with the lane's newest and adds suspect/stale.
  void OverlayLive(nlohmann::json& unit_json, UnitId id) const;
  void AgencyRoute(const HttpRequest& r, Who who, Reply reply);
  void EventsRoute(const HttpRequest& r, Who who, Reply reply);
  void MetricsRoute(Reply reply);
  void RouteRoute(const HttpRequest& r, Reply reply);
  void EtaRoute(const HttpRequest& r, Reply reply);
  void StaticFile(const HttpRequest& r, Reply reply);
  // api_alarms.cc
  void AlarmsRoute(const HttpRequest& r, Who who, Reply reply);
  void GetAlarm(const std::string& id, Who who, Reply reply);
  void SplitRoute(const HttpRequest& r, IncidentId id, Who who, Reply reply);
  void WatchlistsRoute(const HttpRequest& r, Who who, Reply reply);
  void CorrelatedCall(CreateIncident c, Who who, Reply reply);
  // api_dispatch.cc
  void RecommendationRoute(const HttpRequest& r, IncidentId id, std::string_view what, Who who,
                           Reply reply);
  void DispatchRoute(const HttpRequest& r, const std::vector<std::string_view>& seg, Who who,
                     Reply reply);
  void CoverageRoute(const HttpRequest& r, Who who, Reply reply);
  // api_cot.cc: one record as a Cursor-on-Target event (export.read).
  void CotIncidentRoute(IncidentId id, Who who, Reply reply);
  void CotUnitRoute(UnitId id, Who who, Reply reply);
  // api_exports.cc: CAP and EIDO of one incident, CAP import, webhooks.
  void ExportRoute(IncidentId id, std::string_view format, Who who, Reply reply);
  void CapFeedRoute(const HttpRequest& r, Who who, Reply reply);
  void CapImportRoute(const HttpRequest& r, Who who, Reply reply);
  void WebhooksRoute(const HttpRequest& r, const std::vector<std::string_view>& seg, Who who,
                     Reply reply);

  Engine& engine_;
  auth::Auth& auth_;
  const auth::Clock& clock_;
  auth::RateLimiter limiter_;
  const routing::RoutingService* routing_ = nullptr;
  alarms::Intake* alarms_ = nullptr;
  monitor::AvlLane* lane_ = nullptr;
  std::string zones_path_;
  std::mutex zones_write_mu_;  // one zone set replaced at a time
  dispatch::DispatchService* dispatch_ = nullptr;
  webhooks::Registry* webhooks_ = nullptr;
  ApiOptions options_;
  std::function<void(std::string&)> metrics_hook_;
  std::vector<std::function<void(std::string&)>> more_metrics_;
  std::atomic<uint64_t> requests_{0}, client_errors_{0}, denied_{0}, refused_sign_ins_{0};
};

// What webhook delivery reads (api_exports.cc): events after a cursor, filtered as the stream
// filters them for the subscription's principal, as that account is now (disabled: nothing,
// an error that pauses the subscription); deliveries of confidential incidents audited.
webhooks::Fetch WebhookFetch(Engine& engine, auth::Auth& auth);

// Reads the zone set saved by POST /api/v1/zones (an empty set when the file does not exist).
StatusOr<std::shared_ptr<const geo::Geofences>> LoadZonesFile(const std::string& path);

}  // namespace ncc
