// The JSON API under /api/v1: parses and checks requests, turns them into commands for the
// engine or reads of the World, and shapes the replies. Knows nothing of sockets.
//
// Threads: Handle() runs on the server's I/O threads, concurrently.
#pragma once

#include <atomic>
#include <functional>
#include <string>

#include "engine/engine.h"
#include "server/http_types.h"

namespace ncc {

struct ApiOptions {
  std::string web_root;  // static console files served at "/", empty for none
};

class Api {
 public:
  Api(Engine& engine, ApiOptions options) : engine_(engine), options_(std::move(options)) {}

  void Handle(const HttpRequest& request, Reply reply);

  // Extra metric lines from other parts of the server (e.g. connected streams).
  void SetMetricsHook(std::function<void(std::string&)> hook) { metrics_hook_ = std::move(hook); }

 private:
  using Outcome = std::function<HttpResponse(const CommandOutcome&)>;
  void Submit(Command command, const HttpRequest& request, Reply reply, Outcome on_success);

  void CreateIncidentRoute(const HttpRequest& r, Reply reply);
  void ListIncidents(const HttpRequest& r, Reply reply);
  void IncidentStatusRoute(const HttpRequest& r, IncidentId id, Reply reply);
  void IncidentNoteRoute(const HttpRequest& r, IncidentId id, Reply reply);
  void AssignRoute(const HttpRequest& r, IncidentId id, Reply reply);
  void CreateUnitRoute(const HttpRequest& r, Reply reply);
  void ListUnits(const HttpRequest& r, Reply reply);
  void UnitStatusRoute(const HttpRequest& r, UnitId id, Reply reply);
  void PositionsRoute(const HttpRequest& r, Reply reply);
  void AgencyRoute(const HttpRequest& r, Reply reply);
  void EventsRoute(const HttpRequest& r, Reply reply);
  void MetricsRoute(Reply reply);
  void StaticFile(const HttpRequest& r, Reply reply);

  Engine& engine_;
  ApiOptions options_;
  std::function<void(std::string&)> metrics_hook_;
  std::atomic<uint64_t> requests_{0}, client_errors_{0};
};

}  // namespace ncc
