// The route table: every HTTP route of the server is one row {method, path template, action,
// handler}, registered by the room that serves it (server/api_rooms.h). One router decides,
// in this order and the same way for every row, what the edge answers before any handler
// runs: 404 for a path no row has, 405 with Allow for a method the path does not take, 415
// for a body of the wrong type, the sign-in (401) and its rate limit (429), 403 when the
// principal holds the row's action in no agency and on no lane, 400 for a malformed path
// parameter or an Idempotency-Key on a row that does not take one. Handlers then decide on the
// record itself (auth::Authorize / CanSee with its label). docs/api.yaml and the route table of
// docs/security.md are held to this table by server/routes_test.cc.
//
// Threads: rows are added before serving starts; Handle() then runs on any I/O thread.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/authorize.h"
#include "server/http_types.h"

namespace ncc {

// Who may call a row at all.
enum class Gate : uint8_t {
  kPublic,    // no sign-in (the sign-in routes themselves, the console's files)
  kOptional,  // signs in when credentials are sent (else the handler sees no principal)
  kSignedIn,  // a signed-in principal, its rate limit charged
};

// What a POST must carry (415 otherwise). GET and DELETE carry nothing.
enum class BodyType : uint8_t { kNone, kJson, kJsonOrNdjson, kCapXml };

// A request matched to a row: the parsed path parameters and the principal (null on a public
// row, or an optional one signed in without credentials).
class RouteCall {
 public:
  RouteCall(const HttpRequest& request, const auth::Principal* who,
            std::vector<std::pair<std::string_view, std::string>> params)
      : request_(request), who_(who), params_(std::move(params)) {}
  const HttpRequest& request() const { return request_; }
  // The signed-in principal: only on kSignedIn rows (kOptional rows test signed_in() first).
  const auth::Principal& who() const { return *who_; }
  bool signed_in() const { return who_ != nullptr; }
  // A path parameter: "{id}" is checked to be a positive integer by the router.
  uint64_t Id(std::string_view name = "id") const;
  const std::string& Param(std::string_view name) const;

 private:
  const HttpRequest& request_;
  const auth::Principal* who_;
  std::vector<std::pair<std::string_view, std::string>> params_;
};

using RouteHandler = std::function<void(const RouteCall&, Reply)>;

// Path templates: literal segments, "{name}" (one segment; "{id}" must be a positive integer,
// else 400 naming it), "{name}.ext" (one segment ending in the literal ".ext", which is not
// part of the parameter: "/tiles/{z}/{x}/{y}.pbf") and a last "{name+}" (the rest
// of the path, percent-decoded: alarm ids may hold '/').
struct RouteRow {
  std::string method;  // GET, POST, DELETE
  std::string path;    // "/api/v1/incidents/{id}/status"
  // The permission the route needs: the router refuses (403) a principal that holds it in no
  // agency (roles) and on no lane (API keys); the handler then checks it on the record's own
  // label. nullopt: any signed-in principal (whoami) or none (public rows).
  std::optional<auth::Action> action;
  Gate gate = Gate::kSignedIn;
  BodyType body = BodyType::kNone;
  RouteHandler handler;
  // The row's command takes a command id (Idempotency-Key): a retry gets the first outcome. On
  // other rows that write, the header is refused (400) rather than silently not honoured.
  bool takes_command_id = false;
};

// How the router signs a caller in (Api::Authenticate): the principal, or the answer to send
// (401 with WWW-Authenticate, 429 with Retry-After).
using Authenticator =
    std::function<StatusOr<auth::Principal>(const HttpRequest&, HttpResponse* denied)>;

class Router {
 public:
  explicit Router(Authenticator authenticate) : authenticate_(std::move(authenticate)) {}

  // Adds a row; a second row with the same method and path is a bug (aborts at start).
  void Add(RouteRow row);
  // What GET answers for a path no row has (the console's files); 404 without it.
  void SetFallback(RouteHandler get_fallback) { fallback_ = std::move(get_fallback); }

  void Handle(const HttpRequest& request, Reply reply) const;

  const std::vector<RouteRow>& rows() const { return rows_; }

 private:
  struct Match {
    const RouteRow* row;
    std::vector<std::pair<std::string_view, std::string>> params;
  };
  // The rows whose template matches `path`, and the one for `method` among them.
  std::vector<Match> MatchPath(std::string_view path) const;

  struct Segment {
    std::string text;    // as registered
    std::string name;    // the parameter's name, "" for a literal segment
    std::string suffix;  // "{name}.ext": the literal ".ext" the segment must end with
  };
  struct Template {
    std::vector<Segment> segments;
    size_t literals = 0;
    bool rest = false;  // the last segment takes the rest of the path
  };

  Authenticator authenticate_;
  std::vector<RouteRow> rows_;
  std::vector<Template> templates_;  // rows_[n]'s path, split once
  RouteHandler fallback_;
};

}  // namespace ncc
