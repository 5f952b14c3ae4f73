#include "app/serve.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <csignal>
#include <filesystem>

#include "store/sqlite/sqlite_event_log.h"

namespace ncc {
namespace {

StatusOr<std::pair<std::string, uint16_t>> SplitListen(const std::string& listen) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return InvalidArgument("--listen must be HOST:PORT", "listen");
  int port = std::atoi(listen.c_str() + colon + 1);
  if (port < 0 || port > 65535) return InvalidArgument("port must be 0..65535", "listen");
  return std::make_pair(listen.substr(0, colon), static_cast<uint16_t>(port));
}

// build/<preset>/src/app/ncc -> <repo>/config/plans, or "" when not found.
std::string DefaultPlans() {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path exe = fs::canonical("/proc/self/exe", ec);
  for (fs::path p = exe.parent_path(); !p.empty() && p != p.root_path(); p = p.parent_path())
    if (fs::is_directory(p / "config" / "plans")) return (p / "config" / "plans").string();
  return "";
}

// Response plans are checked whole before serving: a bad file stops the start with file:line.
Status StartDispatch(const ServeConfig& config, Running& running) {
  std::string path = config.plans.empty() ? DefaultPlans() : config.plans;
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
  running.api->SetDispatch(running.dispatch.get());
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

}  // namespace

StatusOr<std::unique_ptr<Running>> StartServer(const ServeConfig& config) {
  auto hp = SplitListen(config.listen);
  if (!hp.ok()) return hp.status();
  if (!IsLoopback(hp->first) && !config.insecure)
    return InvalidArgument("refusing plain HTTP on " + hp->first +
                               ": TLS is not configured; use a loopback address or pass --insecure",
                           "listen");
  if (!IsLoopback(hp->first))
    spdlog::warn("INSECURE: serving plain HTTP on {} (--insecure)", hp->first);

  std::error_code ec;
  std::filesystem::create_directories(config.data_dir, ec);
  if (ec) return Unavailable("cannot create data folder " + config.data_dir + ": " + ec.message());
  auto log = SqliteEventLog::Open(config.data_dir + "/events.db");
  if (!log.ok()) return log.status();

  auto running = std::make_unique<Running>();
  EngineOptions options;
  options.snapshot_every = config.snapshot_every;
  options.max_batch = config.max_batch;
  Recovered report;
  auto started = std::chrono::steady_clock::now();
  auto engine =
      Engine::Open(std::move(*log), std::make_unique<SnapshotStore>(config.data_dir + "/snapshots"),
                   running->clock, options, &report);
  if (!engine.ok()) return engine.status();
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  for (const auto& note : report.notes) spdlog::warn("snapshot skipped: {}", note);
  spdlog::info("recovered seq {} in {:.1f} ms (snapshot at {}, {} events replayed)",
               (*engine)->log().LastSeq().value, ms, report.snapshot_seq.value, report.replayed);
  running->engine = std::move(*engine);
  auto auth = auth::Auth::Open(config.data_dir, running->clock);
  if (!auth.ok()) return auth.status();
  running->auth = std::move(*auth);

  ServerOptions so;
  so.host = hp->first;
  so.port = hp->second;
  so.threads = config.threads;
  so.stream_max_lag = config.stream_max_lag;
  so.read_timeout = std::chrono::seconds(config.read_timeout_s);
  running->api = std::make_unique<Api>(*running->engine, *running->auth, running->clock,
                                       ApiOptions{config.web_root},
                                       auth::RateLimit{config.rate_per_second, config.rate_burst});
  if (!config.graph.empty()) {
    auto routing = routing::RoutingService::Open(config.graph);
    if (!routing.ok()) return routing.status();
    running->routing = std::move(*routing);
    running->api->SetRouting(running->routing.get());
    spdlog::info("road graph {} loaded", config.graph);
  }
  NCC_RETURN_IF_ERROR(StartDispatch(config, *running));
  running->server = std::make_unique<HttpServer>(so, *running->api, *running->engine);
  NCC_RETURN_IF_ERROR(running->server->Start());
  spdlog::info("ncc listening on http://{}:{} (data {})", so.host, running->server->port(),
               config.data_dir);
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
  running.server->Stop();
  running.server->Wait();
  if (running.dispatch) running.dispatch->Stop();
  running.engine->Stop();
}

}  // namespace ncc
