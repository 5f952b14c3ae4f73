// The JSON API under /api/v1: parses and checks requests, turns them into commands for the
// engine or reads of the World, and shapes the replies. Knows nothing of sockets.
//
// Threads: Handle() runs on the server's I/O threads, concurrently.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "alarms/intake.h"
#include "auth/auth.h"
#include "auth/rate_limiter.h"
#include "basemap/glyph_set.h"
#include "basemap/mbtiles.h"
#include "dispatch/service.h"
#include "engine/engine.h"
#include "exchange/cap/area_table.h"
#include "exchange/cap/import_rules.h"
#include "exchange/webhooks/registry.h"
#include "exchange/xmldsig/signer.h"
#include "exchange/xmldsig/verifier.h"
#include "geocode/geocoder.h"
#include "monitor/avl_lane.h"
#include "routing/routing_service.h"
#include "server/http_types.h"
#include "server/router.h"
#include "server/static_files.h"

namespace ncc {
namespace picture {
class PastWorlds;
}

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
  // CAP import (docs/exchange.md): the table placing geocoded areas (--cap-areas) and the rules
  // giving type and priority (--cap-rules); null: no table, the built-in rules.
  std::shared_ptr<const cap::AreaTable> cap_areas;
  std::shared_ptr<const cap::ImportRules> cap_rules;
  // XML signatures of imported alerts: the trusted partner certificates (--cap-trust; null:
  // not checked) and what an alert's verdict decides (--cap-signatures): "record" (nothing
  // refused), "refuse-invalid", "require" (only verified alerts are imported).
  std::shared_ptr<const xmldsig::Verifier> cap_trust;
  std::string cap_signatures = "record";
  std::string cap_archive;  // where every imported alert is kept verbatim; empty: not kept
  // Signs the centre's public warnings (--cap-sign-key/--cap-sign-cert); null: unsigned.
  std::shared_ptr<const xmldsig::Signer> cap_signer;
  // The chromium that prints the PDF pages (--chromium, PdfPrinter::Locate); empty: none, the
  // .pdf routes answer 503.
  std::string chromium;
};

// The services some rooms use; a missing one makes its routes answer 503 (they stay in the
// table, so the answer says what to start). All borrowed: they must outlive the Api.
struct ApiServices {
  const routing::RoutingService* routing = nullptr;  // /route, /eta (--graph)
  dispatch::DispatchService* dispatch = nullptr;     // recommendations, mutual aid, coverage
  alarms::Intake* alarms = nullptr;  // /alarms, /watchlists, split, CAP import, correlated calls
  monitor::AvlLane* lane = nullptr;  // /positions, tracks, nearby, zones, live positions
  std::string zones_path;            // where POST /zones keeps the GeoJSON
  webhooks::Registry* webhooks = nullptr;
  const geocode::PlaceIndex* places = nullptr;  // /geocode (--places)
  const basemap::MbTiles* basemap = nullptr;    // /tiles (--basemap)
  const basemap::GlyphSet* fonts = nullptr;     // /fonts (the glyphs beside the tiles)
  std::string basemap_style;                    // /tiles/style.json: MapLibre style JSON text
  picture::PastWorlds* past = nullptr;  // /picture (null: the Api keeps its own, no snapshots)
};

class ApiCore;
class ApiRoom;

// The JSON API: the route table (server/router.h) filled by the rooms of server/api_rooms.h.
// Every /api/v1 route but login and refresh needs a signed-in principal ("Authorization:
// Bearer <token>" or "ApiKey <key>", or "X-API-Key: <key>"; the WebSocket may pass
// ?access_token= since browsers cannot set headers on it). What it may do and see is decided
// by auth::Authorize/CanSee only.
class Api {
 public:
  Api(Engine& engine, auth::Auth& auth, const auth::Clock& clock, ApiOptions options,
      auth::RateLimit rate = {}, ApiServices services = {});
  ~Api();

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

  // More lines for GET /metrics (the MQTT bridge, the listeners, the HTTP server's streams);
  // added before serving starts.
  void AddMetrics(std::function<void(std::string&)> more);

  // Every row of the route table, in registration order.
  const std::vector<RouteRow>& routes() const { return router_.rows(); }

 private:
  std::unique_ptr<ApiCore> core_;
  std::unique_ptr<picture::PastWorlds> owned_past_;  // without services.past; outlives rooms_
  std::vector<std::unique_ptr<ApiRoom>> rooms_;
  Router router_;
};

// What webhook delivery reads (api_exports.cc): events after a cursor, filtered as the stream
// filters them for the subscription's principal, as that account is now (disabled: nothing,
// an error that pauses the subscription); deliveries of confidential incidents audited.
webhooks::Fetch WebhookFetch(Engine& engine, auth::Auth& auth);

// Reads the zone set saved by POST /api/v1/zones (an empty set when the file does not exist).
StatusOr<std::shared_ptr<const geo::Geofences>> LoadZonesFile(const std::string& path);

}  // namespace ncc
