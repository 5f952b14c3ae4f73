// libFuzzer: what the router decides from a request before any handler runs
// (src/server/router.h): path matching over templates like the real table's ({id}, {name+}),
// 404/405/415, the Idempotency-Key refusal, id parameters, percent-decoding, and the query
// string. The input is "METHOD TARGET\nname: value\n...\n\nBODY", the way http_server.cc fills
// HttpRequest from Beast (path and query split at the first '?', headers lower-cased).
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "server/router.h"

namespace {

using namespace ncc;

Router& TheRouter() {
  static Router* router = [] {
    auto* r = new Router([](const HttpRequest& req, HttpResponse* denied) {
      if (!req.headers.count("authorization") && !req.headers.count("x-api-key")) {
        Status no(StatusCode::kUnauthenticated, "sign in", "Authorization");
        *denied = ErrorResponse(no);
        return StatusOr<auth::Principal>(no);
      }
      auth::Principal p;
      p.user = "anna";
      p.agency = "police";
      p.roles = {{"police", auth::Role::kDispatcher}};
      return StatusOr<auth::Principal>(p);
    });
    auto check = [](const RouteCall& c, Reply reply) {
      // Handlers read their parameters; the router already checked {id}.
      for (const char* n : {"id", "alarm_id", "plate"}) (void)c.Param(n);
      if (!c.Param("id").empty() && c.Id() == 0)
        std::abort();  // an {id} the router let through must be a positive integer
      reply(HttpResponse{});
    };
    const struct {
      const char* method;
      const char* path;
      BodyType body;
      bool command_id;
    } rows[] = {
        {"GET", "/api/v1/incidents", BodyType::kNone, false},
        {"POST", "/api/v1/incidents", BodyType::kJson, true},
        {"GET", "/api/v1/incidents/{id}", BodyType::kNone, false},
        {"POST", "/api/v1/incidents/{id}/status", BodyType::kJson, true},
        {"POST", "/api/v1/incidents/{id}/assignments", BodyType::kJson, true},
        {"GET", "/api/v1/incidents/{id}/cap", BodyType::kNone, false},
        {"POST", "/api/v1/positions", BodyType::kJsonOrNdjson, false},
        {"POST", "/api/v1/cap", BodyType::kCapXml, false},
        {"POST", "/api/v1/alarms", BodyType::kJson, false},
        {"DELETE", "/api/v1/alarms/{alarm_id+}", BodyType::kNone, false},
        {"DELETE", "/api/v1/watchlists/{plate+}", BodyType::kNone, true},
        {"GET", "/api/v1/units/{id}/track", BodyType::kNone, false},
        {"DELETE", "/api/v1/webhooks/{id}", BodyType::kNone, true},
        {"GET", "/api/v1/events", BodyType::kNone, false},
    };
    for (const auto& row : rows) {
      RouteRow rr{row.method, row.path, std::nullopt, Gate::kSignedIn, row.body, check};
      rr.takes_command_id = row.command_id;
      r->Add(std::move(rr));
    }
    r->Add({"POST", "/api/v1/auth/login", std::nullopt, Gate::kPublic, BodyType::kJson, check});
    r->Add({"GET", "/api/v1/whoami", std::nullopt, Gate::kOptional, BodyType::kNone, check});
    return r;
  }();
  return *router;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t end = in.find("\n\n");
  std::string_view head = in.substr(0, end);
  HttpRequest r;
  if (end != std::string_view::npos) r.body = std::string(in.substr(end + 2));
  size_t nl = head.find('\n');
  std::string_view line = head.substr(0, nl);
  size_t sp = line.find(' ');
  if (sp == std::string_view::npos) return 0;
  r.method = std::string(line.substr(0, sp));
  std::string_view target = line.substr(sp + 1);
  size_t q = target.find('?');
  r.path = std::string(target.substr(0, q));
  if (q != std::string_view::npos) r.query = ParseQuery(target.substr(q + 1));
  while (nl != std::string_view::npos) {
    head.remove_prefix(nl + 1);
    nl = head.find('\n');
    std::string_view h = head.substr(0, nl);
    size_t colon = h.find(':');
    if (colon == std::string_view::npos) continue;
    std::string name(h.substr(0, colon));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string_view value = h.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    if (name == "content-type")
      r.content_type = std::string(value);
    else
      r.headers[name] = std::string(value);
  }
  bool answered = false;
  TheRouter().Handle(r, [&](HttpResponse resp) {
    if (answered || resp.status < 100 || resp.status > 599) std::abort();
    answered = true;
  });
  if (!answered) std::abort();  // every request gets exactly one answer
  (void)UrlDecode(r.path);
  (void)ParsePositiveId(r.path);
  return 0;
}
