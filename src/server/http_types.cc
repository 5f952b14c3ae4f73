#include "server/http_types.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>
#include <nlohmann/json.hpp>

namespace ncc {

HttpResponse JsonResponse(int http_status, const nlohmann::json& body) {
  HttpResponse r;
  r.status = http_status;
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

std::string PublicMessage(const Status& status) {
  const std::string& in = status.message();
  // Only the server's own failures carry its paths; a 4xx message may quote a route to use.
  if (HttpStatusOf(status) < 500) return in;
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size();) {
    // A path starts a word with '/' and has another '/' before its end; keep its last part.
    bool starts_word = i == 0 || std::strchr(" \t'\"(=:", in[i - 1]) != nullptr;
    if (in[i] == '/' && starts_word) {
      // A quoted path may hold spaces: it ends at its closing quote.
      bool quoted = i > 0 && (in[i - 1] == '\'' || in[i - 1] == '"');
      size_t end = quoted ? in.find(in[i - 1], i) : in.find_first_of(" \t'\"),;", i);
      if (end == std::string::npos) end = in.size();
      std::string_view path(in.data() + i, end - i);
      size_t last = path.find_last_of('/');
      if (last > 0) {
        out.append(path.substr(last + 1));
        i = end;
        continue;
      }
    }
    out.push_back(in[i++]);
  }
  return out;
}

HttpResponse ErrorResponse(int http_status, const Status& status) {
  nlohmann::json err = {{"code", StatusCodeName(status.code())},
                        {"message", PublicMessage(status)}};
  if (!status.field().empty()) err["field"] = status.field();
  return JsonResponse(http_status, {{"error", err}});
}

HttpResponse ErrorResponse(const Status& status) {
  HttpResponse r = ErrorResponse(HttpStatusOf(status), status);
  // What a client needs to act on the refusal: how to sign in, when to come back.
  if (status.code() == StatusCode::kUnauthenticated)
    r.headers.push_back({"WWW-Authenticate", "Bearer"});
  if (status.code() == StatusCode::kRateLimited)
    r.headers.push_back({"Retry-After", std::to_string(std::max(1, RetryAfterSeconds(status)))});
  return r;
}

int HttpStatusOf(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kMalformed:
      return 400;
    case StatusCode::kInvalidArgument:
      return 422;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kFailedPrecondition:
      return 409;
    case StatusCode::kAlreadyExists:
      return 409;
    case StatusCode::kPermissionDenied:
      return 403;
    case StatusCode::kUnauthenticated:
      return 401;
    case StatusCode::kResourceExhausted:
      return 413;
    case StatusCode::kRateLimited:
      return 429;
    case StatusCode::kMethodNotAllowed:
      return 405;
    case StatusCode::kUnsupportedMedia:
      return 415;
    case StatusCode::kUpgradeRequired:
      return 426;
    case StatusCode::kUnavailable:
      return 503;
    case StatusCode::kInsufficientStorage:
      return 507;
    case StatusCode::kDataLoss:
    case StatusCode::kInternal:
      return 500;
  }
  return 500;
}

bool MediaTypeIs(std::string_view content_type, std::string_view want) {
  std::string_view type = content_type.substr(0, content_type.find(';'));
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
  return type.size() == want.size() &&
         std::equal(type.begin(), type.end(), want.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == b;
         });
}

uint64_t ParsePositiveId(std::string_view text) {
  uint64_t v = 0;
  if (text.empty() || text.size() > 19) return 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  return ec == std::errc() && p == text.data() + text.size() ? v : 0;
}

std::string UrlDecode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '+') {
      out.push_back(' ');
    } else if (in[i] == '%' && i + 2 < in.size() &&
               std::isxdigit(static_cast<unsigned char>(in[i + 1])) &&
               std::isxdigit(static_cast<unsigned char>(in[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(std::string(in.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(in[i]);
    }
  }
  return out;
}

std::map<std::string, std::string> ParseQuery(std::string_view query) {
  std::map<std::string, std::string> out;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    size_t eq = pair.find('=');
    if (!pair.empty())
      out[UrlDecode(pair.substr(0, eq))] =
          eq == std::string_view::npos ? "" : UrlDecode(pair.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return out;
}

}  // namespace ncc
