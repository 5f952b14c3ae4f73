// The `ncc` command line: serve, demo, log verify, version.
#include <sys/stat.h>

#include <spdlog/spdlog.h>

#include <unistd.h>
#include <CLI/CLI.hpp>
#include <atomic>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <thread>

#include "app/cluster.h"
#include "app/huge_pages.h"
#include "app/serve.h"
#include "audit/audit_trail.h"
#include "audit/cli.h"
#include "auth/cli.h"
#include "core/json_writer.h"
#include "exchange/cap_gateway/cli.h"
#include "install/shipped.h"
#include "projections/cli.h"
#include "report/cli.h"
#include "routing/cli.h"
#include "service/config_file.h"
#include "service/journal_log.h"
#include "service/notify.h"
#include "sim/cli.h"
#include "sim/run.h"
#include "store/sqlite/sqlite_event_log.h"

namespace {

using namespace ncc;

constexpr const char* kVersion = "0.1.0";

// Signals are taken by sigwait in the main thread; block them before any thread starts.
void BlockStopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

// The built console (`make console`), else web/ (its sources: a page that says to build it).
std::string DefaultWebRoot() {
  for (const char* page : {"web/dist/index.html", "web/index.html"})
    if (std::string found = install::FindShipped(page); !found.empty())
      return std::filesystem::path(found).parent_path().string();
  return "";
}

void AddServeOptions(CLI::App* cmd, ServeConfig& c) {
  cmd->add_option("--data", c.data_dir, "Folder for the event log and snapshots")
      ->capture_default_str();
  cmd->add_option("--listen", c.listen, "HOST:PORT to serve HTTP and WebSocket on")
      ->capture_default_str();
  cmd->add_option("--graph", c.graph, "Road graph (from `ncc import-osm`) for /route and /eta");
  cmd->add_option("--places", c.places,
                  "OSM extract (.osm/.pbf) whose streets, house numbers and named places "
                  "/geocode searches");
  cmd->add_option("--basemap", c.basemap,
                  "Offline base map: an MBTiles file from scripts/basemap, served at "
                  "/tiles/{z}/{x}/{y}.pbf with /tiles/style.json and /fonts (docs/basemap.md)");
  cmd->add_option("--basemap-fonts", c.basemap_fonts,
                  "Glyph folder of ncc-glyphs for /fonts (default: fonts/ beside --basemap)");
  cmd->add_option("--basemap-style", c.basemap_style,
                  "MapLibre style for /tiles/style.json (default: the repository's "
                  "basemap/style.json)");
  cmd->add_option(
      "--plans", c.plans,
      "Response plans, a file or a folder of *.conf; also turns on live recommendations "
      "and SLA escalation (default: the repository's config/plans, routes only)");
  cmd->add_option("--zones", c.zones, "Coverage zones with targets (GeoJSON) for /api/v1/coverage");
  cmd->add_option(
      "--web", c.web_root,
      "Folder of the web console (default: the repository's web/dist, from `make console`)");
  cmd->add_option("--threads", c.threads, "I/O threads")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  cmd->add_option("--snapshot-every", c.snapshot_every, "Events between snapshots (0: never)")
      ->capture_default_str();
  cmd->add_option("--stream-max-lag", c.stream_max_lag,
                  "Events a live stream may fall behind before it is cut")
      ->capture_default_str();
  cmd->add_option("--disk-reserve-mb", c.disk_reserve_mb,
                  "Free space (MiB) kept on the data folder's disk: commands are refused with 507 "
                  "below it, so that a clean stop always has room")
      ->capture_default_str();
  cmd->add_option("--drain-timeout", c.drain_timeout_s,
                  "Seconds a stop (SIGTERM) waits for the requests already read to be answered")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 600.0));
  cmd->add_option("--stream-write-timeout", c.stream_write_timeout_s,
                  "Seconds a stream client may take to accept one message before it is cut")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 3600.0));
  cmd->add_option("--read-timeout", c.read_timeout_s,
                  "Seconds a client has to send a whole request")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  cmd->add_option("--rate", c.rate_per_second, "Requests per second per user and per address")
      ->capture_default_str();
  cmd->add_option("--burst", c.rate_burst, "Burst allowance of the rate limit")
      ->capture_default_str();
  cmd->add_option("--access-token-ttl", c.access_token_ttl_s,
                  "Seconds an access token is valid (refresh tokens last one 12 h shift)")
      ->capture_default_str()
      ->check(CLI::Range(1, 24 * 3600));
  cmd->add_option("--session-max-hours", c.session_max_hours,
                  "Hours a login lasts however often it is refreshed; then sign in again")
      ->capture_default_str()
      ->check(CLI::Range(0.0001, 7.0 * 24));
  cmd->add_option("--stale-after", c.stale_after_s,
                  "Seconds without a fix before a unit is reported stale (0: never)")
      ->capture_default_str()
      ->check(CLI::Range(0, 86400));
  cmd->add_option("--checkpoint-every", c.checkpoint_every_s,
                  "Seconds of fix time between a unit's position checkpoints in the event log "
                  "(0: every fix)")
      ->capture_default_str()
      ->check(CLI::Range(0, 86400));
  cmd->add_flag("--accept-track-loss", c.accept_track_loss,
                "Start although the track store (tracks.ncctrk) is missing while the event log "
                "proves fixes were stored: they are lost (logged, ncc_avl_track_file_lost 1)");
  cmd->add_option("--mqtt", c.mqtt, "MQTT broker HOST:PORT: subscribe ncc/avl/# and ncc/alarm/#");
  cmd->add_option("--mqtt-client-id", c.mqtt_client_id,
                  "MQTT client id (a persistent session: the broker keeps QoS 1 messages "
                  "while the bridge is away)")
      ->capture_default_str();
  cmd->add_option("--avl-tcp", c.avl_tcp, "HOST:PORT for the binary tracker protocol over TCP");
  cmd->add_option("--avl-udp", c.avl_udp, "HOST:PORT for the binary tracker protocol over UDP");
  cmd->add_option("--cot", c.cot,
                  "HOST:PORT for Cursor-on-Target (TAK) clients; TLS with --tls-cert/--tls-key");
  cmd->add_option("--cot-max-connections", c.cot_max_connections,
                  "TAK clients connected at once; more are refused")
      ->capture_default_str()
      ->check(CLI::Range(1, 100'000));
  cmd->add_option("--cot-threads", c.cot_threads, "I/O threads of the CoT listener")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  cmd->add_flag("--insecure", c.insecure,
                "Allow plain HTTP on a non-loopback address (logged loudly)");
  cmd->add_option("--tls-cert", c.tls.cert_file,
                  "PEM certificate chain: serve HTTPS and WSS (with --tls-key)");
  cmd->add_option("--tls-key", c.tls.key_file, "PEM private key of --tls-cert");
  cmd->add_option(
      "--tls-client-ca", c.tls.client_ca_file,
      "PEM CA that signs client certificates (gateways, TAK clients); others are refused");
  cmd->add_flag("--tls-require-client-cert", c.tls.require_client_cert,
                "Refuse TLS clients without a certificate signed by --tls-client-ca");
  cmd->add_option("--allowed-host", c.allowed_hosts,
                  "A host name clients may reach this server by (repeatable; IP addresses and "
                  "localhost always work; '*' for any): other Host headers get 421");
  cmd->add_option("--allowed-origin", c.allowed_origins,
                  "A web origin (https://name:port) whose pages may open the stream, beside the "
                  "console's own (repeatable)");
  cmd->add_option("--max-connections", c.max_connections,
                  "Open connections in all (also capped by the open-file limit)")
      ->capture_default_str();
  cmd->add_option("--max-connections-per-address", c.max_connections_per_address,
                  "Open connections from one peer address")
      ->capture_default_str();
  cmd->add_option("--store", c.store,
                  "Where the event log lives: sqlite:DIR (default: events.db in --data), "
                  "postgres:URL (docs/store-postgres.md) or jetstream:nats://HOST:PORT[,...] "
                  "(docs/store-jetstream.md); the rest of the state stays in --data");
  cmd->add_option("--node", c.node,
                  "This node's name in the shard's lease (postgres, jetstream; default: the host "
                  "name)");
  cmd->add_option("--shard", c.shard,
                  "Which log of the store this node writes (postgres, jetstream)")
      ->capture_default_str();
  cmd->add_option("--replicas", c.replicas,
                  "Replicas of the shard's stream when this node creates it (jetstream; 3 in a "
                  "cluster)")
      ->capture_default_str()
      ->check(CLI::Range(1, 5));
  cmd->add_option("--lease-ttl", c.lease_ttl_s,
                  "Seconds the shard's lease lasts unless renewed (postgres; renewed every third)")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 600.0));
  cmd->add_flag("--standby", c.standby,
                "Start as a hot standby of the shard (postgres): follow the log, serve reads and "
                "streams, answer writes 503 naming the writer, and take over when its lease ends "
                "(docs/operations.md, \"Failover drill\")");
  cmd->add_option("--advertise", c.advertise,
                  "The URL other nodes name to this node's clients as the writer's (default: "
                  "http(s)://LISTEN-HOST:PORT)");
  AddAlarmOptions(cmd, c);
  AddExchangeOptions(cmd, c);
}

int Serve(ServeConfig c) {
  if (c.web_root.empty()) c.web_root = DefaultWebRoot();
  auto running = StartServer(c);
  if (!running.ok()) {
    std::cerr << "ncc serve: " << running.status().ToString() << "\n";
    return 1;
  }
  // A Type=notify unit (packaging/ncc.service) counts as started from here: ncc is listening.
  if (Status told = service::Notify("READY=1\nSTATUS=serving"); !told.ok())
    spdlog::warn("{}", told.message());
  WaitForSignal(**running);
  return 0;
}

// A supervisor account for the demo's two agencies, with a password made for this run.
std::string DemoAccount(Running& running) {
  unsigned char raw[9];
  std::FILE* f = std::fopen("/dev/urandom", "rb");
  size_t got = f ? std::fread(raw, 1, sizeof raw, f) : 0;
  if (f) std::fclose(f);
  static constexpr char kAlphabet[] = "abcdefghijkmnpqrstuvwxyz23456789";
  std::string password;
  for (size_t i = 0; i < got; ++i) password += kAlphabet[raw[i] % 32];
  auth::NewUser user{"demo",
                     "sffd",
                     {{"sffd", auth::Role::kSupervisor}, {"ems_private", auth::Role::kSupervisor}},
                     Classification::kSecret};
  Status s = running.auth->users().AddUser(user, password);
  if (s.code() == StatusCode::kAlreadyExists)
    s = running.auth->users().SetPassword("demo", password);
  if (!s.ok()) spdlog::error("demo account: {}", s.ToString());
  return password;
}

// The terminal's view of the demo: the replay clock (SF local time) and progress, one line.
void ShowDemoProgress(const sim::SimProgress& p) {
  static const bool tty = ::isatty(1);
  std::string local = FormatTime(Time{p.virtual_now.ms - 7 * 3600'000}).substr(0, 19);
  std::string line = "replay clock " + local + " PDT  " + std::to_string(p.calls_done) + "/" +
                     std::to_string(p.calls) + " calls  " + std::to_string(p.events) + " events";
  std::cout << (tty ? "\r" + line : line + "\n") << std::flush;
}

// The simulator live on the server: real calls on the real roads, the policy deciding.
int Demo(ServeConfig c, const std::string& shared_data, double speed, bool reset,
         const std::string& policy_name) {
  if (c.web_root.empty()) c.web_root = DefaultWebRoot();
  if (speed <= 0) {
    std::cerr << "ncc demo: --speed must be above 0 (units drive in real time times it)\n";
    return 2;
  }
  if (c.graph.empty()) {
    std::cerr << "ncc demo: units drive on roads: give --graph (`make demo` builds "
                 "build/sf-north-2020.graph with `ncc import-osm`)\n";
    return 2;
  }
  if (reset) std::filesystem::remove_all(c.data_dir);
  // Call intake searches the streets of the city the calls come from.
  std::string sf_map = shared_data + "/osm/sf-north-2020.osm";
  if (c.places.empty() && std::filesystem::exists(sf_map)) c.places = sf_map;
  // Plans written for the SF agencies: live recommendations and time targets on.
  if (c.plans.empty()) c.plans = install::FindShipped("config/plans-sf");
  c.stale_after_s = 0;  // units at quarters send nothing; they are not lost
  c.max_fix_speed_mps = std::max(100.0, 100 * speed);
  sim::RunConfig calls;
  calls.calls = shared_data + "/calls/sf_fire_calls_for_service_2020-04.csv";
  auto rows = sim::ReadCalls(calls, nullptr);
  if (!rows.ok()) {
    std::cerr << "ncc demo: " << rows.status().ToString()
              << "\n(the demo plays DataSF's Fire Department Calls for Service; pass "
                 "--shared-data DIR)\n";
    return 1;
  }
  auto running = StartServer(c);
  if (!running.ok()) {
    std::cerr << "ncc demo: " << running.status().ToString() << "\n";
    return 1;
  }
  Running& r = **running;
  auto policy = sim::MakePolicy(policy_name, *r.routing);
  if (!policy.ok()) {
    std::cerr << "ncc demo: " << policy.status().ToString() << "\n";
    return 2;
  }
  const std::vector<UnitResponse> all = *rows;  // quarters are estimated from every row
  sim::AreaFilter area = sim::RestrictToGraph(std::move(*rows), *r.routing);
  std::string password = DemoAccount(r);
  std::cout << "Demo: " << area.calls_kept << " real calls inside the road graph ("
            << area.calls_outside << " elsewhere in SF left out), SF Fire Department, April "
            << "2020, at " << speed << "x; policy " << policy_name
            << ": units drive their routes, recommendations and time targets on.\n"
            << "Open http://" << c.listen
            << "/ for the live console and sign in as 'demo' with password '" << password
            << "' (a supervisor of sffd and ems_private). Ctrl-C stops.\n"
            << std::flush;
  std::atomic<bool> stop{false};
  sim::SimOptions options;
  options.speed = speed;
  options.stop = &stop;
  options.progress = ShowDemoProgress;
  options.quarters_from = &all;
  std::thread replay([&] {
    sim::Simulator simulator(*r.engine, *r.lane, *r.routing, r.clock, nullptr, **policy, options);
    auto figures = simulator.Run(area.kept);
    if (!figures.ok())
      spdlog::error("demo simulation stopped: {}", figures.status().ToString());
    else
      spdlog::info("demo simulation finished: {}", figures->ToJson().dump());
  });
  WaitForSignal(r);
  stop = true;
  replay.join();
  return 0;
}

int LogVerify(const std::string& data_dir) {
  // Read-only: verifying changes no file, so it can look at a crashed server's WAL as it is.
  auto log = SqliteEventLog::OpenReadOnly(data_dir + "/events.db");
  if (!log.ok()) {
    std::cerr << "ncc log verify: " << log.status().ToString() << "\n";
    return 2;
  }
  bool tty = ::isatty(2);
  // The checks start-up makes (chain, snapshots, signed anchors), and `ncc audit verify` too:
  // verify passes exactly the folders a server would start on (as far as the log goes).
  auto verified = audit::Verify(**log, data_dir, {}, tty ? +[](Seq at, Seq last) {
    std::cerr << "\rverified " << at.value << " / " << last.value << std::flush;
  } : nullptr);
  if (tty) std::cerr << "\r";
  if (!verified.ok()) {
    std::cout << "FAIL " << verified.status().message() << "\n";
    return 1;
  }
  auto last = (*log)->ReadAfter(Seq((*log)->LastSeq().value ? (*log)->LastSeq().value - 1 : 0), 1);
  std::cout << "ok " << (*log)->LastSeq().value << " events, chain head "
            << (last.ok() && !last->empty() ? HexOf(last->front().hash) : std::string(64, '0'))
            << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  EnsureHugePageMalloc(argv);
  BlockStopSignals();
  umask(077);                      // logs, keys, auth.db: readable by the service user alone
  service::LogToJournalIfThere();  // under systemd: "<6>message" lines, the journal stamps them
  CLI::App app{"ncc - national command and control: incidents, units, dispatch, live picture"};
  app.require_subcommand(1);

  ServeConfig serve_config;
  auto* serve = app.add_subcommand("serve", "Run the command center server (HTTP + WebSocket)");
  AddServeOptions(serve, serve_config);
  std::string serve_config_file;
  serve
      ->add_option(
          "--config", serve_config_file,
          "Configuration file (e.g. /etc/ncc/ncc.conf): `key = value` lines whose keys are "
          "these options without the --; a flag given here wins over the file, a key "
          "ncc does not know stops the start (docs/operations.md)")
      ->configurable(false);

  ServeConfig demo_config;
  demo_config.data_dir = "var/demo";
  std::string shared_data = std::filesystem::exists("../shared/data") ? "../shared/data" : "data";
  double speed = 20;
  bool reset = false;
  std::string demo_policy = "ncc+moveup";
  auto* demo = app.add_subcommand(
      "demo", "Serve, and simulate real calls for service live on real roads (ncc deciding)");
  AddServeOptions(demo, demo_config);
  demo->add_option("--shared-data", shared_data, "Folder with calls/, osm/, cap/ ... (real data)")
      ->capture_default_str();
  demo->add_option("--speed", speed, "Speed-up over real time (above 0)")->capture_default_str();
  demo->add_option("--policy", demo_policy,
                   "Who decides: ncc | ncc+moveup | nearest-straight-line | historical")
      ->capture_default_str();
  demo->add_flag("--reset", reset, "Delete the demo data folder first");

  auto* log_cmd = app.add_subcommand("log", "Inspect the event log");
  log_cmd->require_subcommand(1);
  std::string verify_dir = "var/ncc";
  auto* verify = log_cmd->add_subcommand(
      "verify",
      "Check what start-up checks of the log: every link of the hash chain, the newest snapshot "
      "and the signed anchors; name the first problem");
  verify->add_option("--data", verify_dir, "Data folder")->capture_default_str();

  auth::AddUserCommands(app);
  audit::AddAuditCommands(app);
  cap_gateway::AddCapGatewayCommand(app);
  report::AddReportCommands(app);
  projections::AddProjectionCommands(app);
  AddClusterCommands(app);
  routing::AddRoutingCommands(app);
  sim::AddSimCommands(app);
  app.add_subcommand("version", "Print the version");

  CLI11_PARSE(app, argc, argv);
  if (*serve && !serve_config_file.empty()) {
    if (Status read = service::ApplyConfigFile(*serve, serve_config_file); !read.ok()) {
      std::cerr << "ncc serve: " << read.message() << "\n";
      return 2;
    }
  }
  if (*serve) return Serve(serve_config);
  if (*demo) return Demo(demo_config, shared_data, speed, reset, demo_policy);
  if (*verify) return LogVerify(verify_dir);
  if (!app.got_subcommand("version"))
    return 0;  // user, apikey, audit, cap-gateway, report, compare, projections, import-osm, route,
               // sim, cluster ran in callbacks
  std::cout << "ncc " << kVersion << "\n";
  return 0;
}
