// The rooms of the JSON API (private to src/server). Each room serves one capability, holds
// only the services it uses, and registers its own rows in the route table (AddRoutes, in its
// own api_*.cc). What every room shares (the engine, sign-in, the audit of reads) is ApiCore.
//
// Threads: rooms are built and register before serving; their handlers then run on the I/O
// threads concurrently and keep no per-request state.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "exchange/cap/feed.h"
#include "picture/past_worlds.h"
#include "picture/picture_json.h"
#include "server/api.h"
#include "server/pdf_printer.h"
#include "server/router.h"

namespace ncc {

// What every room's handlers share. Owned by Api.
class ApiCore {
 public:
  using Who = const auth::Principal&;
  using Outcome = std::function<HttpResponse(const CommandOutcome&)>;

  ApiCore(Engine& e, auth::Auth& a, const auth::Clock& c, ApiOptions o, auth::RateLimit rate)
      : engine(e), auth(a), clock(c), limiter(c, rate), options(std::move(o)) {
    printer = std::make_unique<PdfPrinter>(PdfPrinter::Options{options.chromium});
  }

  StatusOr<auth::Principal> Identify(const HttpRequest& request, bool url_token_allowed) const;
  StatusOr<auth::Principal> Authenticate(const HttpRequest& request, HttpResponse* denied,
                                         bool url_token_allowed);
  // Submits `command` as `who`, for request `r`; an error answers with its mapped status,
  // success with `on_success`. The request's Idempotency-Key, if any, goes with the command: a
  // retry is answered with the first outcome (and "Idempotent-Replayed: true").
  void Submit(const HttpRequest& r, Command command, Who who, Reply reply, Outcome on_success);
  // Replies with `response` once the reads named in `access` (confidential and secret
  // incidents, messages, units) are in the audit trail (none: at once). If the trail cannot
  // be written the records are not shown (503).
  void ReplyAfterAudit(RecordAccess access, Who who, Reply reply, HttpResponse response);
  void ReplyAfterAudit(std::vector<IncidentId> confidential, std::string via, Who who, Reply reply,
                       HttpResponse response);

  Engine& engine;
  auth::Auth& auth;
  const auth::Clock& clock;
  auth::RateLimiter limiter;
  const ApiOptions options;
  std::vector<std::function<void(std::string&)>> metrics;  // extra lines for GET /metrics
  std::atomic<uint64_t> requests{0}, client_errors{0}, denials{0}, refused_sign_ins{0};
  // The PDF pages (pdf_printer.h). Declared last: destroyed first, while what its threads'
  // replies use still stands.
  std::unique_ptr<PdfPrinter> printer;
};

// Base of every room: the shared core under the names the handlers use.
class ApiRoom {
 public:
  explicit ApiRoom(ApiCore& core)
      : core_(core),
        engine_(core.engine),
        auth_(core.auth),
        clock_(core.clock),
        options_(core.options) {}
  virtual ~ApiRoom() = default;
  virtual void AddRoutes(Router& router) = 0;

 protected:
  using Who = const auth::Principal&;
  using Outcome = ApiCore::Outcome;
  void Submit(const HttpRequest& r, Command command, Who who, Reply reply, Outcome on_success) {
    core_.Submit(r, std::move(command), who, std::move(reply), std::move(on_success));
  }
  void ReplyAfterAudit(RecordAccess access, Who who, Reply reply, HttpResponse response) {
    core_.ReplyAfterAudit(std::move(access), who, std::move(reply), std::move(response));
  }
  void ReplyAfterAudit(std::vector<IncidentId> confidential, std::string via, Who who, Reply reply,
                       HttpResponse response) {
    core_.ReplyAfterAudit(std::move(confidential), std::move(via), who, std::move(reply),
                          std::move(response));
  }

  ApiCore& core_;
  Engine& engine_;
  auth::Auth& auth_;
  const auth::Clock& clock_;
  const ApiOptions& options_;
};

// Lowercase hex SHA-256 of `text` (api_monitoring.cc).
std::string Sha256Hex(std::string_view text);
// Writes `path` durably: a temp file, fsync, rename, fsync of the folder; Unavailable naming the
// file otherwise (api_monitoring.cc). For the files rooms keep beside the log (zones, CAP
// originals).
Status WriteFileDurably(const std::string& path, std::string_view text);

// A query parameter "lat,lon" (api_routing.cc): the point, or InvalidArgument naming `name`
// (missing, not two numbers) or `name`.lat / `name`.lon (out of range).
StatusOr<LatLon> ParsePointParam(const std::map<std::string, std::string>& query, const char* name);

// A self-contained page (api_plans.cc): no script runs in it, nothing is fetched from
// elsewhere (Content-Security-Policy default-src 'none', inline style only).
HttpResponse HtmlPage(std::string html);

// Prints `html` to a PDF with core.printer and answers it (application/pdf, inline as
// `filename`) once the reads in `access` are audited (api_plans.cc). 503 JSON without chromium
// (naming what to install), when the printer is busy (with Retry-After) or timed out.
void ReplyPdf(ApiCore& core, std::string html, std::string filename, RecordAccess access,
              const auth::Principal& who, Reply reply);

// The "@name" words of `text` that name accounts (api_channels.cc): the account store, not the
// World, knows them; decide resolves the rest (agencies, units).
std::vector<std::string> MentionedAccounts(auth::Auth& auth, const std::string& text);

// Replaces a unit's checkpointed position with the lane's newest and adds suspect/stale
// (api_monitoring.cc); nothing without a lane.
void OverlayLive(const monitor::AvlLane* lane, nlohmann::json& unit_json, UnitId id);

// Sign-in, refresh, logout, whoami (api.cc).
class SessionRoutes final : public ApiRoom {
 public:
  using ApiRoom::ApiRoom;
  void AddRoutes(Router& router) override;

 private:
  void AuthRoute(const HttpRequest& r, std::string_view what, Reply reply);
  void Logout(const HttpRequest& r, Reply reply);
  void WhoAmI(Who who, Reply reply);
};

// Incidents: create, read, list, status, notes, shares, assignments (api.cc). Calls are
// correlated with alarms when the intake says so (CorrelatedCall, api_alarms.cc).
class IncidentRoutes final : public ApiRoom {
 public:
  IncidentRoutes(ApiCore& core, alarms::Intake* alarms) : ApiRoom(core), alarms_(alarms) {}
  void AddRoutes(Router& router) override;

 private:
  void CreateIncidentRoute(const HttpRequest& r, Who who, Reply reply);
  void CorrelatedCall(CreateIncident c, Who who, Reply reply);
  void GetIncident(IncidentId id, Who who, Reply reply);
  void ListIncidents(const HttpRequest& r, Who who, Reply reply);
  void IncidentStatusRoute(const HttpRequest& r, IncidentId id, Who who, Reply reply);
  void IncidentNoteRoute(const HttpRequest& r, IncidentId id, Who who, Reply reply);
  void ShareRoute(const HttpRequest& r, IncidentId id, Who who, Reply reply);
  void AssignRoute(const HttpRequest& r, IncidentId id, Who who, Reply reply);
  alarms::Intake* alarms_;
};

// Units: register, read, list, status, shares (api.cc).
class UnitRoutes final : public ApiRoom {
 public:
  UnitRoutes(ApiCore& core, const monitor::AvlLane* lane) : ApiRoom(core), lane_(lane) {}
  void AddRoutes(Router& router) override;

 private:
  void CreateUnitRoute(const HttpRequest& r, Who who, Reply reply);
  void GetUnit(UnitId id, Who who, Reply reply);
  void ListUnits(const HttpRequest& r, Who who, Reply reply);
  void UnitStatusRoute(const HttpRequest& r, UnitId id, Who who, Reply reply);
  void UnitShareRoute(const HttpRequest& r, UnitId id, Who who, Reply reply);
  const monitor::AvlLane* lane_;
};

// The service itself: agencies, the event log, health, metrics, the stream's address and the
// console's files (api.cc).
class ServiceRoutes final : public ApiRoom {
 public:
  // `lane` (may be null): /healthz reports it stopped after a track store failure.
  ServiceRoutes(ApiCore& core, const monitor::AvlLane* lane) : ApiRoom(core), lane_(lane) {}
  void AddRoutes(Router& router) override;

 private:
  void AgencyRoute(const HttpRequest& r, Who who, Reply reply);
  void ListAgencies(Reply reply);
  void EventsRoute(const HttpRequest& r, Who who, Reply reply);
  void Health(const RouteCall& call, Reply reply);
  void MetricsRoute(Reply reply);
  void StaticFile(const HttpRequest& r, Reply reply);

  const monitor::AvlLane* lane_;
};

// Per-incident messages and reclassification of incidents and units (api_messages.cc).
class RecordRoutes final : public ApiRoom {
 public:
  using ApiRoom::ApiRoom;
  void AddRoutes(Router& router) override;

 private:
  void PostMessageRoute(const HttpRequest& r, IncidentId id, Who who, Reply reply);
  void ListMessages(IncidentId id, Who who, Reply reply);
  void IncidentClassifyRoute(const HttpRequest& r, IncidentId id, Who who, Reply reply);
  void UnitClassifyRoute(const HttpRequest& r, UnitId id, Who who, Reply reply);
};

// Position reports over HTTP (api_positions.cc).
class PositionRoutes final : public ApiRoom {
 public:
  PositionRoutes(ApiCore& core, monitor::AvlLane* lane) : ApiRoom(core), lane_(lane) {}
  void AddRoutes(Router& router) override;

 private:
  void PositionsRoute(const HttpRequest& r, Who who, Reply reply);
  monitor::AvlLane* lane_;
};

// Tracks, nearest units and zones (api_monitoring.cc).
class MonitoringRoutes final : public ApiRoom {
 public:
  MonitoringRoutes(ApiCore& core, monitor::AvlLane* lane, std::string zones_path)
      : ApiRoom(core), lane_(lane), zones_path_(std::move(zones_path)) {}
  void AddRoutes(Router& router) override;

 private:
  void TrackRoute(const HttpRequest& r, UnitId id, Who who, Reply reply);
  void NearbyRoute(const HttpRequest& r, Who who, Reply reply);
  void ListZones(Reply reply);
  void ZonesRoute(const HttpRequest& r, Who who, Reply reply);
  monitor::AvlLane* lane_;
  std::string zones_path_;
  std::mutex zones_write_mu_;  // one zone set replaced at a time
};

// Road travel times (api_routing.cc).
class RoutingRoutes final : public ApiRoom {
 public:
  RoutingRoutes(ApiCore& core, const routing::RoutingService* routing)
      : ApiRoom(core), routing_(routing) {}
  void AddRoutes(Router& router) override;

 private:
  void RouteRoute(const HttpRequest& r, Reply reply);
  void EtaRoute(const HttpRequest& r, Reply reply);
  const routing::RoutingService* routing_;
};

// Address and landmark search over the loaded extract (api_geocode.cc).
class GeocodeRoutes final : public ApiRoom {
 public:
  GeocodeRoutes(ApiCore& core, const geocode::PlaceIndex* places)
      : ApiRoom(core), places_(places) {}
  void AddRoutes(Router& router) override;

 private:
  void GeocodeRoute(const HttpRequest& r, Reply reply);
  const geocode::PlaceIndex* places_;
};

// Alarms, their split and watchlists (api_alarms.cc).
class AlarmRoutes final : public ApiRoom {
 public:
  AlarmRoutes(ApiCore& core, alarms::Intake* alarms) : ApiRoom(core), alarms_(alarms) {}
  void AddRoutes(Router& router) override;

 private:
  void AlarmsRoute(const HttpRequest& r, Who who, Reply reply);
  void GetAlarm(const std::string& id, Who who, Reply reply);
  void SplitRoute(const HttpRequest& r, IncidentId id, Who who, Reply reply);
  void ListWatchlist(Who who, Reply reply);
  void SetWatchlistEntryRoute(const HttpRequest& r, Who who, Reply reply);
  void RemoveWatchlistEntryRoute(const HttpRequest& r, const std::string& plate, Who who,
                                 Reply reply);
  alarms::Intake* alarms_;
};

// Recommendations, mutual aid and coverage (api_dispatch.cc).
class DispatchRoutes final : public ApiRoom {
 public:
  DispatchRoutes(ApiCore& core, dispatch::DispatchService* dispatch)
      : ApiRoom(core), dispatch_(dispatch) {}
  void AddRoutes(Router& router) override;

 private:
  void RecommendationRoute(const HttpRequest& r, IncidentId id, std::string_view what, Who who,
                           Reply reply);
  void ListRequests(Who who, Reply reply);
  void RequestRoute(const HttpRequest& r, Who who, Reply reply);
  void AnswerRoute(const HttpRequest& r, uint64_t id, Who who, Reply reply);
  void CoverageRoute(const HttpRequest& r, Who who, Reply reply);
  void PlansRoute(Reply reply);
  dispatch::DispatchService* dispatch_;
};

// One record as a Cursor-on-Target event (api_cot.cc).
class CotRoutes final : public ApiRoom {
 public:
  CotRoutes(ApiCore& core, const monitor::AvlLane* lane) : ApiRoom(core), lane_(lane) {}
  void AddRoutes(Router& router) override;

 private:
  void CotIncidentRoute(IncidentId id, Who who, Reply reply);
  void CotUnitRoute(UnitId id, Who who, Reply reply);
  const monitor::AvlLane* lane_;  // a unit's newest position
};

// CAP and EIDO of one incident, the CAP feed, CAP import, webhooks (api_exports.cc).
class ExportRoutes final : public ApiRoom {
 public:
  ExportRoutes(ApiCore& core, alarms::Intake* alarms, webhooks::Registry* webhooks)
      : ApiRoom(core), alarms_(alarms), webhooks_(webhooks) {}
  void AddRoutes(Router& router) override;

 private:
  void ExportRoute(IncidentId id, std::string_view format, Who who, Reply reply);
  void CapFeedRoute(const HttpRequest& r, Who who, Reply reply);
  void CapImportRoute(const HttpRequest& r, Who who, Reply reply);
  // An envelope's or feed's alerts, imported one after the other.
  struct CapBatch {
    auth::Principal who;
    cap::Feed feed;
    size_t next = 0;
    nlohmann::json items = nlohmann::json::array();
    Reply reply;
  };
  void CapImportNext(std::shared_ptr<CapBatch> batch);
  void CapImportOne(const HttpRequest& r, const std::string& xml, Who who, Reply reply);
  Status CheckSignature(const std::string& xml, nlohmann::json& echo, std::string& seal);
  void ApplyCapReference(const HttpRequest& r, const cap::CapAlert& alert, const std::string& seal,
                         IncidentId id, nlohmann::json echo, Who who, Reply reply);
  void ImportCapAlert(const cap::CapAlert& alert, const std::string& seal, nlohmann::json echo,
                      Who who, Reply reply);
  void ListWebhooks(Who who, Reply reply);
  void AddWebhook(const HttpRequest& r, Who who, Reply reply);
  void DeleteWebhook(const HttpRequest& r, uint64_t id, Who who, Reply reply);
  bool OwnWebhook(uint64_t id, Who who, Reply& reply);
  void DeliveriesRoute(const HttpRequest& r, uint64_t id, Who who, Reply reply);
  void RedeliverRoute(const HttpRequest& r, uint64_t id, Who who, Reply reply);
  alarms::Intake* alarms_;
  webhooks::Registry* webhooks_;
};

// EIDO import: a partner's (or another ncc's) NENA EIDO creates or updates an incident through
// the ordinary commands, one after the other (api_eido.cc).
class EidoRoutes final : public ApiRoom {
 public:
  using ApiRoom::ApiRoom;
  void AddRoutes(Router& router) override;

 private:
  struct Import;
  void ImportRoute(const HttpRequest& r, Who who, Reply reply);
  void Create(const HttpRequest& r, std::shared_ptr<Import> import);
  void Update(std::shared_ptr<Import> import, IncidentId id);
  bool Allowed(Import& import);
  void Next(std::shared_ptr<Import> import);
  void AfterCreate(std::shared_ptr<Import> import, const CommandOutcome& o);
  void Finish(std::shared_ptr<Import> import);
  static nlohmann::json Echo(const Import& import);
  static Status InEidoTerms(const Status& s, const std::string& step_field);
};

// The offline base map: tiles, TileJSON, style and label glyphs (api_basemap.cc). Public rows.
class BasemapRoutes final : public ApiRoom {
 public:
  // `tiles` and `fonts` may be null (the rows then answer 503); `style` is the MapLibre style's
  // JSON text, served centred on the tile set.
  BasemapRoutes(ApiCore& core, const basemap::MbTiles* tiles, const basemap::GlyphSet* fonts,
                const std::string& style);
  void AddRoutes(Router& router) override;

 private:
  void TileRoute(const RouteCall& c, Reply reply);
  void GlyphRoute(const RouteCall& c, Reply reply);
  void StyleRoute(const RouteCall& c, Reply reply);
  const basemap::MbTiles* tiles_;
  const basemap::GlyphSet* fonts_;
  std::string tilejson_;
  std::map<std::string, std::string, std::less<>> styles_;  // lang ("ar", "en") -> style
  std::atomic<uint64_t> tiles_served_{0}, glyphs_served_{0};
};

// The picture at a past moment (api_picture.cc). Without a PastWorlds from serve, the room
// keeps its own over the engine's log (no snapshots: checkpoints only).
class PictureRoutes final : public ApiRoom {
 public:
  PictureRoutes(ApiCore& core, picture::PastWorlds* past, const monitor::AvlLane* lane);
  ~PictureRoutes() override;
  void AddRoutes(Router& router) override;

 private:
  struct Moment {
    Seq seq;
    std::optional<Time> at;  // asked with at=: the moment (positions up to it)
  };
  StatusOr<Moment> Resolve(const HttpRequest& r) const;
  void PictureRoute(const HttpRequest& r, Who who, Reply reply);
  picture::PastWorlds* past_;
  const monitor::AvlLane* lane_;  // positions from the track store (may be null)
  std::unique_ptr<picture::PastWorlds> owned_;
};

// Operation plans (api_plans.cc, docs/plans.md): define, copy a template, revise, approve per
// agency, run (activate, phases, decision points by hand, close), work tasks; the plan, its
// progress, the synchronization matrix and the ICS forms. Every answer is on the plan's label
// (owner, classification, participants).
class PlanRoutes final : public ApiRoom {
 public:
  using ApiRoom::ApiRoom;
  void AddRoutes(Router& router) override;

 private:
  // The plan's label, or the 404/403 answer for `who` and `action`.
  std::optional<HttpResponse> RefusePlan(Who who, auth::Action action, uint64_t id);
  void DefineRoute(const HttpRequest& r, uint64_t revise, Who who, Reply reply);
  void CopyTemplate(const HttpRequest& r, const nlohmann::json& body, Who who, Reply reply);
  void ListRoute(const HttpRequest& r, Who who, Reply reply);
  void ShowRoute(uint64_t id, Who who, Reply reply, std::string_view view);
  void ApproveRoute(const HttpRequest& r, uint64_t id, Who who, Reply reply);
  void StatusRoute(const HttpRequest& r, uint64_t id, Who who, Reply reply);
  void PhaseRoute(const HttpRequest& r, uint64_t id, const std::string& phase, Who who,
                  Reply reply);
  void TaskRoute(const HttpRequest& r, uint64_t id, const std::string& task, Who who, Reply reply);
  void ChecklistRoute(const HttpRequest& r, uint64_t id, const std::string& task, Who who,
                      Reply reply);
  void FireRoute(const HttpRequest& r, uint64_t id, const std::string& point, Who who, Reply reply);
};

// Situation reports (api_sitreps.cc, docs/plans.md): drafted from the World at a moment (the
// past pictures for `at`), revised, approved, listed and shown as JSON and as a page.
class SitRepRoutes final : public ApiRoom {
 public:
  SitRepRoutes(ApiCore& core, picture::PastWorlds* past);
  void AddRoutes(Router& router) override;

 private:
  // Fills the report's moment (at, at_seq) and figures for `who` and the report's audience.
  Status Generate(Who who, SitRep& report, std::optional<Time> at);
  void DraftRoute(const HttpRequest& r, uint64_t id, Who who, Reply reply);
  void ListRoute(Who who, Reply reply);
  void ShowRoute(uint64_t id, Who who, Reply reply, std::string_view view);
  void ApproveRoute(const HttpRequest& r, uint64_t id, Who who, Reply reply);
  picture::PastWorlds* past_;
};

// Channels (api_channels.cc, docs/plans.md "Channels"): of incidents, operation plans, their
// sectors and agency pairs; messages with mentions; each reader's delivery and read cursors
// and the receipts of a message. Every answer on the channel's subject label, then each
// message's own.
class ChannelRoutes final : public ApiRoom {
 public:
  using ApiRoom::ApiRoom;
  void AddRoutes(Router& router) override;

 private:
  // nullopt when `who` may do `action` in channel `id`; else its 404 (not visible) or 403.
  std::optional<HttpResponse> RefuseChannel(Who who, auth::Action action, uint64_t id);
  void ListRoute(Who who, Reply reply);
  void OpenRoute(const HttpRequest& r, Who who, Reply reply);
  void ShowRoute(uint64_t id, Who who, Reply reply);
  void PostRoute(const HttpRequest& r, uint64_t id, Who who, Reply reply);
  void PageRoute(const HttpRequest& r, uint64_t id, Who who, Reply reply);
  void AckRoute(const HttpRequest& r, uint64_t id, const std::string& what, Who who, Reply reply);
  void ReceiptsRoute(uint64_t id, Who who, Reply reply);
};

// Public warnings out (api_warnings.cc, docs/exchange.md "CAP public warnings out"): issued,
// updated and cancelled by a supervisor; listed and shown as JSON to signed-in readers; each
// warning's CAP 1.2 document (signed when a key is configured) and the Atom feed of the
// current ones are public, as public warnings are meant to be.
class WarningRoutes final : public ApiRoom {
 public:
  explicit WarningRoutes(ApiCore& core) : ApiRoom(core) {}
  void AddRoutes(Router& router) override;

 private:
  void IssueRoute(const HttpRequest& r, Who who, Reply reply);
  void ListRoute(const HttpRequest& r, Who who, Reply reply);
  void ShowRoute(uint64_t id, Who who, Reply reply);
  void CapRoute(uint64_t id, Reply reply);
  void FeedRoute(const HttpRequest& r, Reply reply);
  // The warning's document as served (signed when a signer is set), cached: a warning never
  // changes once issued. Unavailable if signing fails.
  // NotFound for an unknown id.
  StatusOr<std::string> Document(uint64_t id);
  std::mutex documents_mu_;
  std::map<uint64_t, std::string> documents_;
};

}  // namespace ncc
