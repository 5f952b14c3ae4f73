// Wiring shared by `ncc serve` and `ncc demo`: open the store, recover, start the server.
#pragma once

#include <atomic>

#include <memory>
#include <string>

#include "alarms/intake.h"
#include "app/failover.h"
#include "auth/auth.h"
#include "auth/chain_anchor.h"
#include "basemap/glyph_set.h"
#include "basemap/mbtiles.h"
#include "engine/engine.h"
#include "exchange/cot/listener.h"
#include "monitor/mqtt_bridge.h"
#include "monitor/tracker_listener.h"
#include "monitor/zone_tagger.h"
#include "picture/past_worlds.h"
#include "plan/watcher.h"
#include "server/http_server.h"

namespace CLI {
class App;
}

namespace ncc {

class PostgresEventLog;

struct ServeConfig {
  std::string data_dir = "var/ncc";
  std::string listen = "127.0.0.1:8080";
  std::string web_root;
  std::string plans;   // response plans (file or folder); empty: the repository's config/plans
  std::string zones;   // coverage zones (GeoJSON); empty: no coverage targets
  std::string graph;   // road graph from `ncc import-osm`; empty: no /route, /eta
  std::string places;  // OSM extract for address search (/geocode); empty: none
  // The offline base map (docs/basemap.md): an MBTiles file from scripts/basemap, its glyph
  // folder (empty: "fonts" beside the file) and the MapLibre style (empty: the repository's
  // basemap/style.json). No file: the /tiles and /fonts rows answer 503.
  std::string basemap, basemap_fonts, basemap_style;
  int threads = 2;
  uint64_t snapshot_every = 100'000;
  size_t max_batch = 8192;
  size_t stream_max_lag = 10'000;  // events a live WebSocket may fall behind before it is cut
  // Free space kept on the data folder's disk: commands are refused (507) below it, so that a
  // clean stop always finds room. 0: refused only when the disk is really full.
  uint64_t disk_reserve_mb = 64;
  double drain_timeout_s = 10;  // a stop waits this long for requests already read to be answered
  double stream_write_timeout_s = 10;  // a stream client that takes no message this long is cut
  double rate_per_second = 200;        // requests per user and per address, sustained
  double rate_burst = 400;
  int access_token_ttl_s = 15 * 60;  // short: a leaked access token is useful briefly
  double session_max_hours = 12;     // absolute limit of a login, refreshes included
  int read_timeout_s = 30;  // a whole request must arrive within this (slow clients, slowloris)
  bool insecure = false;    // allow plain HTTP on a non-loopback address
  TlsOptions tls;           // cert_file and key_file set: HTTPS/WSS instead of plain HTTP
  std::vector<std::string> allowed_hosts, allowed_origins;  // ServerOptions
  size_t max_connections = 10'000, max_connections_per_address = 512;
  // Alarm intake (src/alarms, docs/monitoring.md).
  std::string correlation_rules;  // empty: the built-in src/correlate/rules/default.json
  std::string alarm_sources;      // {"sources": {NAME: {"agency", "classification"}}}
  bool correlate_calls = false;   // POST /incidents feeds the correlator (may merge)
  // The AVL lane (docs/monitoring.md).
  int stale_after_s = 120;
  int checkpoint_every_s = 10;
  // Fixes implying more than this speed are held back as impossible jumps. The demo raises it:
  // its units drive at the replay's speed-up.
  double max_fix_speed_mps = 100;
  // Start although tracks.ncctrk is missing and the log proves fixes were stored (logged loudly,
  // ncc_avl_track_file_lost 1). Without it such a start is refused.
  bool accept_track_loss = false;
  std::string mqtt;  // broker HOST:PORT; empty: no MQTT bridge
  std::string mqtt_client_id = "ncc-bridge";
  std::string avl_tcp, avl_udp;  // HOST:PORT of the tracker protocol; empty: off
  std::string cot;  // HOST:PORT of the CoT (TAK) listener, TLS when `tls` is; empty: off
  size_t cot_max_connections = 256;  // TAK clients connected at once
  int cot_threads = 1;               // the listener's I/O threads
  // Exports and webhooks (docs/exchange.md).
  std::string cap_sender = "ncc@localhost";
  std::string eido_issuer = "ncc.localhost";
  std::string cap_areas;                    // GeoJSON placing geocoded CAP areas; empty: none
  std::string cap_rules;                    // CAP import rules (type, priority); empty: built-in
  std::vector<std::string> cap_trust;       // partner certificates (PEM files or folders)
  std::string cap_signatures = "record";    // record | refuse-invalid | require
  std::string cap_sign_key, cap_sign_cert;  // signing the centre's public warnings (PEM)
  std::vector<std::string> webhook_allow;   // hosts webhooks may target besides loopback
  std::string webhook_ca;                   // CAs of https subscribers; empty: the system's
  int webhook_attempts = 8;                 // attempts of one event before a dead letter
  int webhook_backoff_ms = 250;             // first wait after a failure (doubles, up to 30 s)
  // The chromium printing the PDF pages (docs/plans.md "Views"): a path, "none", or empty to
  // look for chromium on $PATH.
  std::string chromium;
  // Where the event log lives (docs/store-postgres.md): empty or sqlite:DIR, or postgres:URL
  // (then only the log is in PostgreSQL; auth.db, anchors, snapshots, webhooks stay in
  // data_dir). node: this node's name in the shard's lease (empty: the host name).
  std::string store, node, shard = "main";
  double lease_ttl_s = 10;
  // A hot standby (postgres): follow the shard, serve reads, take over when the writer's lease
  // ends (app/failover.h). advertise: the URL other nodes name to this node's clients (empty:
  // http(s)://LISTEN-HOST:PORT).
  bool standby = false;
  std::string advertise;
  int replicas = 1;  // jetstream: the stream's replicas when this node creates it
};

// --cap-sender, --cap-areas, --cap-rules, --cap-trust, --cap-signatures, --cap-sign-key,
// --cap-sign-cert, --eido-issuer,
// --webhook-allow, --webhook-ca, --webhook-attempts, --webhook-backoff-ms on `serve` and `demo`.
void AddExchangeOptions(CLI::App* cmd, ServeConfig& config);

// --correlation-rules, --alarm-sources, --correlate-calls on `serve` and `demo`.
void AddAlarmOptions(CLI::App* cmd, ServeConfig& config);

struct Running {
  MonotonicWallClock clock;  // never runs backwards: seeded with the log's last event time
  std::unique_ptr<auth::Auth> auth;
  std::unique_ptr<auth::ChainAnchor> anchor;  // outlives the engine, which calls it
  std::atomic<uint64_t> anchor_failures{0};   // in a row, since the last anchor that worked
  std::atomic<uint64_t> anchor_failures_total{0};
  std::unique_ptr<Engine> engine;
  std::unique_ptr<routing::RoutingService> routing;
  std::unique_ptr<const geocode::PlaceIndex> places;
  std::unique_ptr<basemap::MbTiles> basemap;
  std::unique_ptr<basemap::GlyphSet> fonts;
  std::unique_ptr<alarms::Intake> alarms;
  std::unique_ptr<monitor::LiveFeed> live_positions;  // outlives the lane and the server
  std::unique_ptr<monitor::AvlLane> lane;
  std::unique_ptr<monitor::AlarmSink> alarm_sink;  // the intake, for the MQTT bridge
  std::unique_ptr<monitor::MqttBridge> mqtt;
  std::unique_ptr<monitor::TrackerListener> trackers;   // after the lane: destroyed before it
  std::unique_ptr<monitor::ZoneTagger> zone_tagger;     // stopped before the engine
  std::unique_ptr<plan::PlanWatcher> plan_watcher;      // stopped before the engine
  std::unique_ptr<cot::Listener> cot;                   // after the lane: destroyed before it
  std::unique_ptr<dispatch::DispatchService> dispatch;  // stopped before the engine
  std::unique_ptr<webhooks::Registry> webhooks;         // stopped before the engine
  uint64_t webhook_listener = 0;                        // on engine->feed(), wakes `webhooks`
  // GET /api/v1/picture: past Worlds over the engine's log and snapshots (destroyed before it).
  std::unique_ptr<SnapshotStore> past_snapshots;
  std::unique_ptr<picture::PastWorlds> past;
  std::unique_ptr<Api> api;
  std::unique_ptr<HttpServer> server;
  PostgresEventLog* leased_log = nullptr;  // the engine's log when it is PostgreSQL (a lease)
  std::unique_ptr<Failover> failover;      // with leased_log: renews or takes the lease
  // The feed must not call into a destroyed registry when a start fails half-way.
  ~Running() {
    if (engine && webhook_listener) engine->feed().Unlisten(webhook_listener);
  }
};

// Opens the data folder and starts serving. Prints what recovery found.
StatusOr<std::unique_ptr<Running>> StartServer(const ServeConfig& config);

// Blocks until SIGINT or SIGTERM, then stops the server and the engine in order.
void WaitForSignal(Running& running);

}  // namespace ncc
