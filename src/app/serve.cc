#include "app/serve.h"

#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <CLI/CLI.hpp>

#include "audit/audit_trail.h"
#include "engine/metrics.h"
#include "exchange/cap/cap_writer.h"
#include "install/shipped.h"
#include "server/pdf_printer.h"
#include "service/notify.h"
#include "store/postgres/postgres_event_log.h"
#include "store/sqlite/sqlite_event_log.h"
#include "store/store_spec.h"

namespace ncc {
namespace {

// The data folder holds every agency's records, the anchor key and the webhook secrets: only
// the service user may read it. Files made before this rule (or by hand) are narrowed too.
Status PrepareDataFolder(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Unavailable("cannot create data folder " + dir + ": " + ec.message());
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
  if (ec) return Unavailable("cannot restrict data folder " + dir + ": " + ec.message());
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (it->is_symlink()) continue;
    bool folder = it->is_directory();
    std::error_code perm_ec;
    fs::permissions(it->path(),
                    folder ? fs::perms::owner_all : fs::perms::owner_read | fs::perms::owner_write,
                    fs::perm_options::replace, perm_ec);
    if (perm_ec) spdlog::warn("cannot restrict {}: {}", it->path().string(), perm_ec.message());
  }
  return Status::Ok();
}

// Clients hold descriptors; the server should be able to use all it is allowed.
void RaiseOpenFileLimit() {
  rlimit nofile{};
  if (getrlimit(RLIMIT_NOFILE, &nofile) != 0 || nofile.rlim_cur >= nofile.rlim_max) return;
  nofile.rlim_cur = nofile.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &nofile) != 0) spdlog::warn("cannot raise the open-file limit");
}

StatusOr<std::pair<std::string, uint16_t>> SplitListen(const std::string& listen) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return InvalidArgument("--listen must be HOST:PORT", "listen");
  int port = std::atoi(listen.c_str() + colon + 1);
  if (port < 0 || port > 65535) return InvalidArgument("port must be 0..65535", "listen");
  return std::make_pair(listen.substr(0, colon), static_cast<uint16_t>(port));
}

// Response plans are checked whole before serving: a bad file stops the start with file:line.
Status StartDispatch(const ServeConfig& config, Running& running) {
  std::string path = config.plans.empty() ? install::FindShipped("config/plans") : config.plans;
  if (path.empty()) {
    spdlog::warn("no response plans found (--plans): dispatch routes answer 503");
    return Status::Ok();
  }
  auto plans = dispatch::PlanSet::Load(path);
  if (!plans.ok()) return plans.status();
  std::unique_ptr<dispatch::TravelTimes> travel;
  if (running.routing) travel = std::make_unique<dispatch::RoadTravelTimes>(*running.routing);
  running.dispatch = std::make_unique<dispatch::DispatchService>(
      *running.engine, running.clock, std::move(*plans), std::move(travel));
  if (!config.zones.empty())
    NCC_RETURN_IF_ERROR(running.dispatch->LoadZones(config.zones, running.routing.get()));
  // Live work (a recommendation logged for every new incident, SLA escalations) writes events
  // on its own; it runs when plans are named explicitly, so a bare `ncc serve` writes only what
  // its clients ask for.
  if (!config.plans.empty()) running.dispatch->Start();
  spdlog::info("response plans {} loaded ({} plans); live recommendations and SLA timers {}", path,
               running.dispatch->plans().plans().size(),
               config.plans.empty() ? "off (give --plans)" : "on");
  return Status::Ok();
}

bool IsLoopback(const std::string& host) {
  return host == "127.0.0.1" || host == "::1" || host == "localhost";
}

// The alarm intake: rules, sources, then the correlator rebuilt from the recovered World.
// The MQTT bridge hands ncc/alarm/{source} payloads to the alarm intake.
class IntakeAlarmSink final : public monitor::AlarmSink {
 public:
  explicit IntakeAlarmSink(alarms::Intake& intake) : intake_(intake) {}
  Status OnAlarm(std::string_view source, std::string_view payload) override {
    return intake_.Submit(source, payload);
  }

 private:
  alarms::Intake& intake_;
};

Status StartAlarms(const ServeConfig& config, Running& running) {
  alarms::IntakeOptions options;
  auto rules = config.correlation_rules.empty()
                   ? correlate::DefaultRules()
                   : correlate::LoadRulesFile(config.correlation_rules);
  if (!rules.ok())
    return Status(rules.status().code(), "--correlation-rules: " + rules.status().message(),
                  rules.status().field());
  options.rules = std::move(*rules);
  if (!config.alarm_sources.empty()) {
    auto sources = alarms::LoadSourcesFile(config.alarm_sources);
    if (!sources.ok())
      return Status(sources.status().code(), "--alarm-sources: " + sources.status().message(),
                    sources.status().field());
    options.sources = std::move(*sources);
  }
  options.correlate_calls = config.correlate_calls;
  auto intake = alarms::Intake::Start(*running.engine, running.clock, std::move(options));
  if (!intake.ok()) return intake.status();
  running.alarms = std::move(*intake);
  running.alarm_sink = std::make_unique<IntakeAlarmSink>(*running.alarms);
  return Status::Ok();
}

// The CoT (TAK) listener: same loopback rule and TLS as HTTP; sign-in through the HTTP API's
// own Authenticate (API key or client certificate naming a key, rate-limited alike).
Status StartCot(const ServeConfig& config, bool use_tls, Running& running) {
  auto hp = SplitListen(config.cot);
  if (!hp.ok()) return InvalidArgument("--cot must be HOST:PORT", "cot");
  if (!use_tls && !IsLoopback(hp->first) && !config.insecure)
    return InvalidArgument("refusing plain CoT (keys in clear) on " + hp->first +
                               ": give --tls-cert and --tls-key, use a loopback address, or pass "
                               "--insecure",
                           "cot");
  cot::ListenerOptions co;
  co.host = hp->first;
  co.port = hp->second;
  co.max_connections = config.cot_max_connections;
  co.threads = config.cot_threads;
  if (use_tls) co.tls = config.tls;
  Api* api = running.api.get();
  auto authenticate = [api](std::string_view key, std::string_view cert_name,
                            std::string_view remote) {
    HttpRequest r;
    r.remote = std::string(remote);
    if (!key.empty()) r.headers["authorization"] = "ApiKey " + std::string(key);
    r.client_cert_name = std::string(cert_name);
    return api->Authenticate(r, nullptr);
  };
  auto listener = cot::Listener::Start(*running.engine, *running.lane, running.clock,
                                       std::move(authenticate), std::move(co));
  if (!listener.ok()) return listener.status();
  running.cot = std::move(*listener);
  running.api->AddMetrics([l = running.cot.get()](std::string& out) { l->RenderMetrics(out); });
  // Tests read the bound port from here (port 0 picks a free one).
  spdlog::info("cot listening on {}:{} ({})", hp->first, running.cot->port(),
               use_tls ? "tls" : "tcp");
  return Status::Ok();
}

// --basemap FILE: the tiles, the glyphs beside them (or --basemap-fonts) and the style.
Status OpenBasemap(const ServeConfig& config, Running& running, std::string* style) {
  if (config.basemap.empty()) return Status::Ok();
  auto tiles = basemap::MbTiles::Open(config.basemap);
  if (!tiles.ok()) return tiles.status();
  running.basemap = std::move(*tiles);
  namespace fs = std::filesystem;
  std::string fonts = config.basemap_fonts;
  std::error_code ec;
  if (fonts.empty()) {
    fs::path beside = fs::path(config.basemap).parent_path() / "fonts";
    if (fs::is_directory(beside, ec)) fonts = beside.string();
  }
  auto glyphs = basemap::GlyphSet::Load(fonts);
  if (!glyphs.ok()) return glyphs.status();
  running.fonts = std::make_unique<basemap::GlyphSet>(std::move(*glyphs));
  std::string style_path = config.basemap_style.empty() ? install::FindShipped("basemap/style.json")
                                                        : config.basemap_style;
  if (!style_path.empty()) {
    std::ifstream in(style_path);
    std::stringstream text;
    text << in.rdbuf();
    if (!in) return NotFound("cannot read the base map style " + style_path, "basemap-style");
    *style = text.str();
    auto fitted = basemap::StyleForTiles(*style, *running.basemap);
    if (!fitted.ok())
      return Status(fitted.status().code(), style_path + ": " + fitted.status().message(),
                    "basemap-style");
  }
  spdlog::info("base map {}: zoom {}-{}, {} glyph stacks{}, style {}", config.basemap,
               running.basemap->min_zoom(), running.basemap->max_zoom(),
               running.fonts->stacks().size(),
               fonts.empty() ? " (no fonts folder: labels will not draw)" : " from " + fonts,
               style_path.empty() ? "none" : style_path);
  return Status::Ok();
}

Status StartWebhooks(const ServeConfig& config, Running& running) {
  webhooks::DeliveryOptions options;
  options.allowed_hosts = config.webhook_allow;
  options.ca_file = config.webhook_ca;
  options.max_attempts = config.webhook_attempts;
  options.min_backoff = std::chrono::milliseconds(config.webhook_backoff_ms);
  auto registry =
      webhooks::Registry::Start(config.data_dir + "/webhooks.db",
                                WebhookFetch(*running.engine, *running.auth), std::move(options));
  if (!registry.ok()) return registry.status();
  running.webhooks = std::move(*registry);
  running.webhook_listener =
      running.engine->feed().Listen([w = running.webhooks.get()] { w->Wake(); });
  return Status::Ok();
}

// --cap-areas and --cap-rules: refused at start, naming the field, rather than at the first
// alert.
Status LoadCapImport(const ServeConfig& config, ApiOptions& options) {
  if (!config.cap_areas.empty()) {
    auto areas = cap::AreaTable::Load(config.cap_areas);
    if (!areas.ok()) return areas.status();
    spdlog::info("{} CAP areas from {}", areas->size(), config.cap_areas);
    options.cap_areas = std::make_shared<const cap::AreaTable>(std::move(*areas));
  }
  if (!config.cap_rules.empty()) {
    auto rules = cap::ImportRules::Load(config.cap_rules);
    if (!rules.ok()) return rules.status();
    options.cap_rules = std::make_shared<const cap::ImportRules>(std::move(*rules));
  }
  if (!config.cap_trust.empty()) {
    auto trust = xmldsig::Verifier::Load(config.cap_trust);
    if (!trust.ok()) return trust.status();
    spdlog::info("{} partner certificates for CAP signatures", (*trust)->certificates());
    options.cap_trust = std::move(*trust);
  } else if (config.cap_signatures != "record") {
    return InvalidArgument("--cap-signatures " + config.cap_signatures +
                               " needs the partners' certificates (--cap-trust)",
                           "cap-trust");
  }
  options.cap_signatures = config.cap_signatures;
  options.cap_archive = config.data_dir + "/cap-received";
  if (config.cap_sign_key.empty() != config.cap_sign_cert.empty())
    return InvalidArgument("--cap-sign-key and --cap-sign-cert go together",
                           config.cap_sign_key.empty() ? "cap-sign-key" : "cap-sign-cert");
  if (!config.cap_sign_key.empty()) {
    auto signer = xmldsig::Signer::Load(config.cap_sign_key, config.cap_sign_cert);
    if (!signer.ok()) return signer.status();
    spdlog::info("public warnings signed as {}", (*signer)->subject());
    options.cap_signer = std::move(*signer);
  }
  return Status::Ok();
}

// The host name, as a node name may spell it (docs/store-postgres.md).
std::string DefaultNodeName() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0 || !host[0]) return "ncc";
  std::string name;
  for (const char* c = host; *c && name.size() < 64; ++c)
    name += std::isalnum(static_cast<unsigned char>(*c)) || *c == '.' || *c == '-' ? *c : '_';
  return name;
}

// --store: the event log's backend. With PostgreSQL the shard's lease is taken here (another
// live node holding it stops the start) and renewed in the background; losing it stops this
// node (SIGTERM: the same clean stop as an operator's).
StatusOr<OpenedLog> OpenLog(const ServeConfig& config) {
  auto spec = ParseStoreSpec(config.store, config.data_dir);
  if (!spec.ok()) return spec.status();
  StoreOptions options;
  options.node = config.node.empty() ? DefaultNodeName() : config.node;
  options.shard = config.shard;
  options.reserve_bytes = config.disk_reserve_mb << 20;
  options.lease_ttl = std::chrono::milliseconds(static_cast<int64_t>(config.lease_ttl_s * 1000));
  options.replicas = config.replicas;
  options.standby = config.standby;
  // PostgreSQL's lease is kept by the node's Failover, which steps down instead; JetStream's
  // lost lease stops the process.
  if (spec->kind != StoreSpec::Kind::kPostgres)
    options.on_lease_lost = [](const Status& why) {
      spdlog::critical("{}: this node may no longer write the log, stopping", why.ToString());
      ::kill(::getpid(), SIGTERM);
    };
  auto opened = OpenEventLog(*spec, options);
  if (!opened.ok())
    return Status(opened.status().code(), "refusing to start: " + opened.status().message(),
                  opened.status().field());
  if (opened->postgres && config.standby)
    spdlog::info("event log: {} as node {}, a standby (following; writes go to the writer)",
                 opened->where, options.node);
  else if (opened->postgres)
    spdlog::info("event log: {} as node {} at epoch {}", opened->where, options.node,
                 opened->postgres->epoch());
  return opened;
}

}  // namespace

void AddExchangeOptions(CLI::App* cmd, ServeConfig& c) {
  cmd->add_option("--cap-sender", c.cap_sender,
                  "CAP <sender> of exported alerts and part of their identifiers");
  cmd->add_option("--chromium", c.chromium,
                  "headless chromium printing the plans' and situation reports' PDF pages: a "
                  "path, or none (default: chromium on $PATH; without one the .pdf routes "
                  "answer 503)");
  cmd->add_option("--cap-areas", c.cap_areas,
                  "GeoJSON areas (name, geocodes) placing imported CAP alerts that give only a "
                  "geocode or an areaDesc (docs/exchange.md)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--cap-rules", c.cap_rules,
                  "Rules giving imported CAP alerts their incident type and priority (JSON; "
                  "default: by category and severity)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--cap-trust", c.cap_trust,
                  "Partner certificates (PEM files, or folders of *.pem / *.crt) that XML "
                  "signatures of imported CAP alerts are checked against (repeat for more)");
  cmd->add_option("--cap-signatures", c.cap_signatures,
                  "What an imported alert's signature decides: record (nothing refused), "
                  "refuse-invalid, require (only alerts a trusted partner signed)")
      ->check(CLI::IsMember({"record", "refuse-invalid", "require"}))
      ->capture_default_str();
  cmd->add_option("--cap-sign-key", c.cap_sign_key,
                  "PEM private key (RSA, no passphrase) signing the centre's public warnings "
                  "(XML-DSig; with --cap-sign-cert)");
  cmd->add_option("--cap-sign-cert", c.cap_sign_cert,
                  "PEM certificate of --cap-sign-key, carried in each signature");
  cmd->add_option("--eido-issuer", c.eido_issuer,
                  "EIDO issuingElementIdentification and the domain of its ids");
  cmd->add_option("--webhook-allow", c.webhook_allow,
                  "Host webhooks may deliver to besides loopback (repeat for more)");
  cmd->add_option("--webhook-ca", c.webhook_ca,
                  "CA certificates (PEM) https webhook subscribers are checked against "
                  "(default: the system's store)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--webhook-attempts", c.webhook_attempts,
                  "Attempts to deliver one event before it becomes a dead letter")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  cmd->add_option("--webhook-backoff-ms", c.webhook_backoff_ms,
                  "Wait after a webhook's first failure, doubled per failure up to 30 s, jittered")
      ->check(CLI::Range(1, 30000))
      ->capture_default_str();
}

void AddAlarmOptions(CLI::App* cmd, ServeConfig& c) {
  cmd->add_option("--correlation-rules", c.correlation_rules,
                  "Alarm correlation rules (JSON; default: the built-in "
                  "src/correlate/rules/default.json)");
  cmd->add_option("--alarm-sources", c.alarm_sources,
                  "Alarm sources and their owning agency (JSON; needed for MQTT alarms)");
  cmd->add_flag("--correlate-calls", c.correlate_calls,
                "Calls created through POST /incidents are correlated with alarms and calls "
                "(a match joins the open incident: 200 with its id)");
}

StatusOr<std::unique_ptr<Running>> StartServer(const ServeConfig& config) {
  auto hp = SplitListen(config.listen);
  if (!hp.ok()) return hp.status();
  NCC_RETURN_IF_ERROR(cap::CheckSender(config.cap_sender));
  const TlsOptions& tls = config.tls;
  bool use_tls = !tls.cert_file.empty() || !tls.key_file.empty();
  if (use_tls && (tls.cert_file.empty() || tls.key_file.empty()))
    return InvalidArgument("TLS needs both --tls-cert and --tls-key",
                           tls.cert_file.empty() ? "tls-cert" : "tls-key");
  if (!use_tls && (!tls.client_ca_file.empty() || tls.require_client_cert))
    return InvalidArgument("client certificates need TLS: give --tls-cert and --tls-key",
                           "tls-client-ca");
  if (!use_tls && !IsLoopback(hp->first) && !config.insecure)
    return InvalidArgument(
        "refusing plain HTTP on " + hp->first +
            ": give --tls-cert and --tls-key, use a loopback address, or pass --insecure",
        "listen");
  if (!use_tls && !IsLoopback(hp->first))
    spdlog::warn(
        "INSECURE: serving plain HTTP on {} (--insecure): tokens and records cross the network in "
        "clear",
        hp->first);

  if (geteuid() == 0)
    spdlog::warn(
        "running as root: a flaw in any parser would own the machine; run ncc as its own "
        "service user (docs/security.md, \"Running the service\")");
  RaiseOpenFileLimit();
  NCC_RETURN_IF_ERROR(PrepareDataFolder(config.data_dir));
  auto opened = OpenLog(config);
  if (!opened.ok()) return opened.status();
  auto& log = opened->log;
  const SqliteEventLog* wal_of = opened->sqlite;  // owned by the engine, which outlives the API
  const std::string& log_name = opened->where;

  auto running = std::make_unique<Running>();
  auto anchor = auth::ChainAnchor::Open(config.data_dir, running->clock);
  if (!anchor.ok()) return anchor.status();
  running->anchor = std::move(*anchor);
  // Acknowledged events must all be there: a log shorter than (or different from) its signed
  // anchors is refused, never served with its seqs handed out again.
  if (auto anchored = audit::CheckAnchors(*log, config.data_dir, running->anchor->PublicKeyHex());
      !anchored.ok())
    return Status(anchored.status().code(),
                  "refusing to start on " + log_name + ": " + anchored.status().message() +
                      " (restore the data folder from a copy; `ncc audit verify` says the same)");
  EngineOptions options;
  // Signed anchors of the chain head (anchors.log): a rewrite of the whole log is detectable.
  // A failing anchors.log is said once (and again when it recovers), not once per commit; the
  // metric counts every failure.
  options.on_durable = [anchor = running->anchor.get(), failures = &running->anchor_failures,
                        total = &running->anchor_failures_total](Seq seq, const Hash& head,
                                                                 bool final) {
    Status s;
    if (!final)
      s = anchor->MaybeRecord(seq, head).status();
    else if (anchor->last_seq() < seq)
      s = anchor->Record(seq, head);
    if (!s.ok()) ++*total;
    if (!s.ok() && failures->fetch_add(1) == 0)
      spdlog::error(
          "audit anchor at seq {} failed: {} (further failures are counted in "
          "ncc_anchor_failures_total)",
          seq.value, s.ToString());
    if (s.ok() && failures->exchange(0) > 0)
      spdlog::info("audit anchors recorded again from seq {}", seq.value);
  };
  options.snapshot_every = config.snapshot_every;
  options.max_batch = config.max_batch;
  options.standby = config.standby;
  auto snapshots = std::make_unique<SnapshotStore>(config.data_dir + "/snapshots");
  if (size_t removed = snapshots->RemoveLeftovers())
    spdlog::warn("removed {} unfinished snapshot file(s) (*.tmp) left by an earlier stop", removed);
  Recovered report;
  auto started = std::chrono::steady_clock::now();
  auto engine =
      Engine::Open(std::move(log), std::move(snapshots), running->clock, options, &report);
  if (!engine.ok())  // recovery knows seqs, not files: say which log it refused
    return Status(engine.status().code(),
                  "refusing to start on " + log_name + ": " + engine.status().message(),
                  engine.status().field());
  running->leased_log = opened->postgres;
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  for (const auto& note : report.notes) spdlog::warn("snapshot skipped: {}", note);
  spdlog::info("recovered seq {} in {:.1f} ms (snapshot at {}, {} events replayed)",
               (*engine)->log().LastSeq().value, ms, report.snapshot_seq.value, report.replayed);
  running->engine = std::move(*engine);
  // Timers (SLA, staleness, expiry) compare now with event times: never earlier than the log.
  running->clock.Seed(report.last_time);
  auth::AuthOptions auth_options;
  auth_options.tokens.access_ttl_ms = int64_t{config.access_token_ttl_s} * 1000;
  auth_options.tokens.session_max_ms = static_cast<int64_t>(config.session_max_hours * 3600'000);
  // A folder with events has been used, so it had accounts: a missing auth.db is a loss to
  // refuse, not a first start (that, and `ncc user add`, create it).
  const Seq logged = running->engine->log().LastSeq();
  auth_options.must_exist = logged.value > 0;
  auto auth = auth::Auth::Open(config.data_dir, running->clock, auth_options);
  if (!auth.ok())
    return Status(auth.status().code(),
                  "refusing to start: " + auth.status().message() +
                      (auth_options.must_exist
                           ? " (the event log holds " + std::to_string(logged.value) + " events)"
                           : ""));
  running->auth = std::move(*auth);

  running->live_positions = std::make_unique<monitor::LiveFeed>();
  ServerOptions so;
  so.host = hp->first;
  so.port = hp->second;
  so.threads = config.threads;
  so.stream_max_lag = config.stream_max_lag;
  so.drain_timeout = std::chrono::milliseconds(static_cast<int64_t>(config.drain_timeout_s * 1000));
  so.stream_write_timeout =
      std::chrono::milliseconds(static_cast<int64_t>(config.stream_write_timeout_s * 1000));
  so.read_timeout = std::chrono::seconds(config.read_timeout_s);
  so.allowed_hosts = config.allowed_hosts;
  so.allowed_origins = config.allowed_origins;
  so.max_connections = config.max_connections;
  so.max_connections_per_address = config.max_connections_per_address;
  if (use_tls) so.tls = tls;
  so.live_positions = running->live_positions.get();
  auto console = StaticFiles::Load(config.web_root);
  if (!console.ok()) return console.status();
  if (console->size()) spdlog::info("console: {} files from {}", console->size(), config.web_root);
  if (!config.graph.empty()) {
    auto routing = routing::RoutingService::Open(config.graph);
    if (!routing.ok()) return routing.status();
    running->routing = std::move(*routing);
    spdlog::info("road graph {} loaded", config.graph);
  }
  if (!config.places.empty()) {
    auto places = geocode::ReadPlaces(config.places);
    if (!places.ok()) return places.status();
    spdlog::info("places from {}: {} streets, {} addresses, {} named places", config.places,
                 places->streets.size(), places->addresses.size(), places->places.size());
    running->places = std::make_unique<const geocode::PlaceIndex>(std::move(*places));
  }
  std::string basemap_style;
  NCC_RETURN_IF_ERROR(OpenBasemap(config, *running, &basemap_style));
  NCC_RETURN_IF_ERROR(StartAlarms(config, *running));
  monitor::LaneOptions lane_options;
  lane_options.track_path = config.data_dir + "/tracks.ncctrk";
  lane_options.disk_reserve_bytes = config.disk_reserve_mb << 20;
  lane_options.stale_after_ms = int64_t{config.stale_after_s} * 1000;
  lane_options.checkpoint_every_ms = int64_t{config.checkpoint_every_s} * 1000;
  lane_options.index.max_speed_mps = config.max_fix_speed_mps;
  lane_options.on_durable = [feed = running->live_positions.get()](
                                std::span<const PositionFix> fixes) { feed->Publish(fixes); };
  lane_options.position_reports = report.position_reports;  // a missing track file is a loss
  lane_options.accept_track_loss = config.accept_track_loss;
  auto lane = monitor::AvlLane::Open(*running->engine, running->clock, lane_options);
  if (!lane.ok())
    return Status(lane.status().code(), "refusing to start: " + lane.status().message());
  running->lane = std::move(*lane);
  std::string zones_path = config.data_dir + "/zones.geojson";
  auto zones = LoadZonesFile(zones_path);
  if (!zones.ok()) return zones.status();
  if ((*zones)->size()) spdlog::info("{} zones from {}", (*zones)->size(), zones_path);
  running->lane->SetZones(*zones);
  NCC_RETURN_IF_ERROR(StartDispatch(config, *running));
  NCC_RETURN_IF_ERROR(StartWebhooks(config, *running));
  running->past_snapshots = std::make_unique<SnapshotStore>(config.data_dir + "/snapshots");
  running->past =
      std::make_unique<picture::PastWorlds>(running->engine->log(), running->past_snapshots.get());
  running->past->StartWarmUp();  // the first slider moves after a start are as fast as later ones
  ApiOptions api_options{std::move(*console), config.cap_sender, config.eido_issuer};
  api_options.chromium = PdfPrinter::Locate(config.chromium);
  if (api_options.chromium.empty())
    spdlog::info("no chromium (--chromium {}): the PDF pages answer 503",
                 config.chromium.empty() ? "not given, none on $PATH" : config.chromium);
  else
    spdlog::info("PDF pages printed by {}", api_options.chromium);
  NCC_RETURN_IF_ERROR(LoadCapImport(config, api_options));
  // The API last: its rooms are given the services they serve.
  running->api = std::make_unique<Api>(
      *running->engine, *running->auth, running->clock, std::move(api_options),
      auth::RateLimit{config.rate_per_second, config.rate_burst},
      ApiServices{running->routing.get(), running->dispatch.get(), running->alarms.get(),
                  running->lane.get(), zones_path, running->webhooks.get(), running->places.get(),
                  running->basemap.get(), running->fonts.get(), basemap_style,
                  running->past.get()});
  running->api->AddMetrics([r = running.get()](std::string& out) {
    RenderCounter(out, "ncc_anchor_failures_total", "Signed anchors that could not be recorded",
                  r->anchor_failures_total.load());
  });
  running->api->AddMetrics([feed = running->live_positions.get()](std::string& out) {
    RenderCounter(out, "ncc_live_position_batches_total",
                  "Batches of newest fixes handed to the live streams", feed->batches());
    RenderCounter(out, "ncc_live_position_fixes_total",
                  "Fixes in those batches (one per unit and batch)", feed->fixes());
  });
  if (running->leased_log)
    running->api->AddMetrics([l = running->leased_log](std::string& out) {
      RenderCounter(out, "ncc_log_lease_epoch", "Epoch of this node's lease on the log's shard",
                    l->epoch(), "gauge");
    });
  if (wal_of)
    running->api->AddMetrics([wal_of](std::string& out) {
      SqliteEventLog::WalStats wal = wal_of->Wal();
      RenderCounter(out, "ncc_log_wal_bytes", "Size of the event log's WAL file", wal.bytes,
                    "gauge");
      RenderCounter(out, "ncc_log_wal_frames", "Pages in the event log's WAL after the last commit",
                    wal.frames, "gauge");
      RenderCounter(out, "ncc_log_wal_checkpoints_total",
                    "Checkpoints the log's writer finished between commits (the WAL restarts)",
                    wal.checkpoints);
      RenderCounter(out, "ncc_log_wal_checkpoints_held_up_total",
                    "Writer checkpoints cut short by a reader's snapshot or a running checkpoint",
                    wal.checkpoints_held_up);
    });
  running->api->AddMetrics([w = running->webhooks.get()](std::string& out) {
    out += "# TYPE ncc_webhook_deliveries_total counter\n";
    out += "ncc_webhook_deliveries_total{outcome=\"delivered\"} " +
           std::to_string(w->counters().delivered.load()) + "\n";
    out += "ncc_webhook_deliveries_total{outcome=\"failed\"} " +
           std::to_string(w->counters().failed.load()) + "\n";
    out += "ncc_webhook_deliveries_total{outcome=\"dead_letter\"} " +
           std::to_string(w->counters().dead_letters.load()) + "\n";
    out += "ncc_webhook_deliveries_total{outcome=\"redelivered\"} " +
           std::to_string(w->counters().redelivered.load()) + "\n";
  });
  running->zone_tagger = std::make_unique<monitor::ZoneTagger>(
      *running->engine, [lane = running->lane.get()] { return lane->zones(); });
  running->zone_tagger->Start();
  // Operation plans run by themselves where they can: phases at their times, deadlines,
  // decision points (docs/plans.md).
  running->plan_watcher = std::make_unique<plan::PlanWatcher>(*running->engine, running->clock);
  running->plan_watcher->Start();
  if (!config.mqtt.empty()) {
    auto hp_mqtt = SplitListen(config.mqtt);
    if (!hp_mqtt.ok()) return InvalidArgument("--mqtt must be HOST:PORT", "mqtt");
    monitor::MqttOptions mo;
    mo.host = hp_mqtt->first;
    mo.port = hp_mqtt->second;
    mo.client_id = config.mqtt_client_id;
    auto bridge = monitor::MqttBridge::Start(*running->lane, running->alarm_sink.get(), mo);
    if (!bridge.ok()) return bridge.status();
    running->mqtt = std::move(*bridge);
    running->api->AddMetrics(
        [b = running->mqtt.get()](std::string& out) { b->RenderMetrics(out); });
  }
  if (!config.avl_tcp.empty() || !config.avl_udp.empty()) {
    monitor::TrackerOptions to;
    for (auto [flag, host, port] : {std::tuple{&config.avl_tcp, &to.tcp_host, &to.tcp_port},
                                    std::tuple{&config.avl_udp, &to.udp_host, &to.udp_port}}) {
      if (flag->empty()) continue;
      auto hp_avl = SplitListen(*flag);
      if (!hp_avl.ok()) return InvalidArgument("--avl-tcp/--avl-udp must be HOST:PORT", "avl");
      if (!IsLoopback(hp_avl->first) && !config.insecure)
        return InvalidArgument("refusing the tracker protocol (keys in clear) on " + hp_avl->first +
                                   " without --insecure",
                               "avl");
      *host = hp_avl->first;
      *port = hp_avl->second;
    }
    auth::Auth* a = running->auth.get();
    auto trackers = monitor::TrackerListener::Start(
        *running->lane, [a](std::string_view key) { return a->tokens().AuthenticateApiKey(key); },
        to);
    if (!trackers.ok()) return trackers.status();
    running->trackers = std::move(*trackers);
    running->api->AddMetrics(
        [t = running->trackers.get()](std::string& out) { t->RenderMetrics(out); });
    // Tests and the load tool read the bound ports from here (port 0 picks a free one).
    spdlog::info("tracker ports tcp={} udp={}", running->trackers->tcp_port(),
                 running->trackers->udp_port());
  }
  if (!config.cot.empty()) NCC_RETURN_IF_ERROR(StartCot(config, use_tls, *running));
  running->server = std::make_unique<HttpServer>(so, *running->api, *running->engine);
  NCC_RETURN_IF_ERROR(running->server->Start());
  if (running->leased_log) {
    std::string url = config.advertise.empty()
                          ? std::string(use_tls ? "https" : "http") + "://" + so.host + ":" +
                                std::to_string(running->server->port())
                          : config.advertise;
    running->failover = std::make_unique<Failover>(
        *running->leased_log, *running->engine,
        std::chrono::milliseconds(static_cast<int64_t>(config.lease_ttl_s * 1000)), url,
        !config.standby);
    running->failover->Start();
  }
  spdlog::info("ncc listening on {}://{}:{} (data {}{})", use_tls ? "https" : "http", so.host,
               running->server->port(), config.data_dir,
               tls.client_ca_file.empty() ? ""
               : tls.require_client_cert  ? ", client certificate required"
                                          : ", client certificates accepted");
  return running;
}

void WaitForSignal(Running& running) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  int sig = 0;
  sigwait(&set, &sig);
  spdlog::info("signal {}: stopping", sig);
  if (Status told = service::Notify("STOPPING=1"); !told.ok()) spdlog::warn("{}", told.message());
  running.server->Stop();
  running.server->Wait();
  if (running.dispatch) running.dispatch->Stop();
  if (running.zone_tagger) running.zone_tagger->Stop();
  if (running.plan_watcher) running.plan_watcher->Stop();
  if (running.webhooks) {
    running.engine->feed().Unlisten(running.webhook_listener);
    running.webhooks->Stop();
  }
  if (running.mqtt) running.mqtt->Stop();
  if (running.trackers) running.trackers->Stop();
  if (running.cot) running.cot->Stop();
  running.lane->Stop();  // before the engine: the lane's last group still logs its changes
  if (running.alarms) running.alarms->Stop();
  if (running.failover) running.failover->Stop();  // no promotion while the engine stops
  running.engine->Stop();
  // Another node may take the shard at once rather than wait for the lease to run out.
  if (running.leased_log)
    if (Status s = running.leased_log->Release(); !s.ok())
      spdlog::warn("the log's lease was not released: {}", s.ToString());
}

}  // namespace ncc
