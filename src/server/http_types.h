// HTTP as the API layer sees it: plain structs, no Boost. Only http_server.cc knows Beast, so
// the heavy headers stay in one translation unit.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"

namespace ncc {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // without the query string
  std::map<std::string, std::string> query;
  std::string content_type;
  std::string body;
  std::string remote;            // peer address
  std::string client_cert_name;  // CN of a verified TLS client certificate, else empty
  std::map<std::string, std::string> headers;  // lower-case names of the few we keep
};

struct HttpResponse {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
};

// Replies may come from another thread (command acks arrive on the engine's writer thread);
// the server posts them back onto the connection's own executor.
using Reply = std::function<void(HttpResponse)>;

// {"error":{"code","message","field"?}} with the HTTP status HttpStatusOf maps the error to,
// plus WWW-Authenticate on 401 and Retry-After on 429. Handlers answer errors only with this.
HttpResponse ErrorResponse(const Status& status);
// The same with a status chosen by the transport (400/421/431 before any route is known).
HttpResponse ErrorResponse(int http_status, const Status& status);
// `status`'s message as a client may see it: in the server's own failures (5xx) file paths are
// cut to their last component ("/var/ncc/events.db" -> "events.db"), so an error names the
// damaged file without telling a client how the server's disk is laid out. Error bodies and
// stream close reasons use it.
std::string PublicMessage(const Status& status);
// `body` as the reply; invalid UTF-8 echoed from clients is replaced, never a failure to answer.
HttpResponse JsonResponse(int http_status, const nlohmann::json& body);
// The one mapping of an error to its HTTP status, for the whole server (and the alarm
// intake's per-item answers).
int HttpStatusOf(const Status& status);

// Whether a Content-Type header names media type `want` (lower case): the type before any
// parameter, compared case-insensitively (RFC 9110 8.3.1).
bool MediaTypeIs(std::string_view content_type, std::string_view want);

// A positive decimal id (a path's {id}, a map key naming a unit), or 0 when the text is not one.
uint64_t ParsePositiveId(std::string_view text);

std::string UrlDecode(std::string_view in);
std::map<std::string, std::string> ParseQuery(std::string_view query);

}  // namespace ncc
