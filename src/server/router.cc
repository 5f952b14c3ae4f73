#include "server/router.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <set>

namespace ncc {
namespace {

std::vector<std::string_view> Segments(std::string_view path) {
  std::vector<std::string_view> out;
  while (!path.empty()) {
    size_t start = path.find_first_not_of('/');
    if (start == std::string_view::npos) break;
    path.remove_prefix(start);
    size_t end = path.find('/');
    out.push_back(path.substr(0, end));
    if (end == std::string_view::npos) break;
    path.remove_prefix(end);
  }
  return out;
}

bool IsIdParam(std::string_view name) {
  return name == "id";
}

// "{id}" -> "id"; "{alarm_id+}" -> "alarm_id" with `rest` set; "{y}.pbf" -> "y" with
// `suffix` ".pbf"; literals -> "".
std::string_view ParamName(std::string_view segment, bool* rest, std::string_view* suffix) {
  *rest = false;
  *suffix = {};
  if (segment.size() < 3 || segment.front() != '{') return {};
  size_t close = segment.find('}');
  if (close == std::string_view::npos || close < 2) return {};
  if (close + 1 < segment.size()) {
    *suffix = segment.substr(close + 1);
    return segment.substr(1, close - 1);
  }
  std::string_view name = segment.substr(1, segment.size() - 2);
  if (name.back() == '+') {
    *rest = true;
    name.remove_suffix(1);
  }
  return name;
}

std::optional<Status> WrongBody(BodyType body, std::string_view ct) {
  switch (body) {
    case BodyType::kNone:
      return std::nullopt;
    case BodyType::kJson:
      if (MediaTypeIs(ct, "application/json")) return std::nullopt;
      return Status(StatusCode::kUnsupportedMedia, "Content-Type must be application/json",
                    "Content-Type");
    case BodyType::kJsonOrNdjson:
      if (MediaTypeIs(ct, "application/json") || MediaTypeIs(ct, "application/x-ndjson"))
        return std::nullopt;
      return Status(StatusCode::kUnsupportedMedia,
                    "Content-Type must be application/json or application/x-ndjson",
                    "Content-Type");
    case BodyType::kCapXml:
      if (MediaTypeIs(ct, "application/cap+xml") || MediaTypeIs(ct, "application/xml") ||
          MediaTypeIs(ct, "text/xml"))
        return std::nullopt;
      return Status(StatusCode::kUnsupportedMedia,
                    "Content-Type must be application/cap+xml, application/xml or text/xml",
                    "Content-Type");
  }
  return std::nullopt;
}

// Optional rows sign in only a caller that sends a credential header (a TLS client certificate
// alone, e.g. a load balancer's health check, stays anonymous there).
bool SendsCredentials(const HttpRequest& r) {
  return r.headers.count("authorization") || r.headers.count("x-api-key");
}

}  // namespace

uint64_t RouteCall::Id(std::string_view name) const {
  for (const auto& [n, v] : params_)
    if (n == name) return ParsePositiveId(v);
  return 0;
}

const std::string& RouteCall::Param(std::string_view name) const {
  static const std::string kNone;
  for (const auto& [n, v] : params_)
    if (n == name) return v;
  return kNone;
}

void Router::Add(RouteRow row) {
  for (const RouteRow& r : rows_)
    if (r.method == row.method && r.path == row.path) {
      std::fprintf(stderr, "route %s %s registered twice\n", row.method.c_str(), row.path.c_str());
      std::abort();
    }
  Template tpl;
  for (std::string_view segment : Segments(row.path)) {
    bool rest = false;
    std::string_view suffix;
    std::string_view name = ParamName(segment, &rest, &suffix);
    tpl.segments.push_back({std::string(segment), std::string(name), std::string(suffix)});
    tpl.literals += name.empty();
    tpl.rest = rest;
  }
  templates_.push_back(std::move(tpl));
  rows_.push_back(std::move(row));
}

std::vector<Router::Match> Router::MatchPath(std::string_view path) const {
  std::vector<Match> out;
  const std::vector<std::string_view> seg = Segments(path);
  size_t best = 0;
  for (size_t n = 0; n < rows_.size(); ++n) {
    const Template& tpl = templates_[n];
    if (tpl.literals < best) continue;
    if (tpl.rest ? seg.size() < tpl.segments.size() : seg.size() != tpl.segments.size()) continue;
    std::vector<std::pair<std::string_view, std::string>> params;
    bool matched = true;
    for (size_t k = 0; k < tpl.segments.size() && matched; ++k) {
      const auto& [text, name, suffix] = tpl.segments[k];
      if (name.empty()) {
        matched = seg[k] == text;
      } else if (!suffix.empty()) {
        matched = seg[k].size() > suffix.size() && seg[k].ends_with(suffix);
        if (matched)
          params.emplace_back(name, UrlDecode(seg[k].substr(0, seg[k].size() - suffix.size())));
      } else if (tpl.rest && k + 1 == tpl.segments.size()) {
        // Everything from here on, as sent (may hold '/'), percent-decoded.
        size_t at = static_cast<size_t>(seg[k].data() - path.data());
        params.emplace_back(name, UrlDecode(path.substr(at)));
      } else {
        params.emplace_back(name, UrlDecode(seg[k]));
      }
    }
    if (!matched) continue;
    // A literal segment beats a parameter (/incidents/cap before /incidents/{id}): only the
    // rows of the most specific template are kept, whatever their method.
    if (tpl.literals > best) out.clear();
    best = tpl.literals;
    out.push_back({&rows_[n], std::move(params)});
  }
  return out;
}

void Router::Handle(const HttpRequest& r, Reply reply) const {
  std::vector<Match> matches = MatchPath(r.path);
  const Match* match = nullptr;
  for (const Match& m : matches)
    if (m.row->method == r.method) match = &m;
  if (matches.empty()) {
    if (r.method == "GET" && fallback_) return fallback_(RouteCall(r, nullptr, {}), reply);
    return reply(ErrorResponse(NotFound("no route " + r.path.substr(0, 200))));
  }
  if (!match) {
    std::set<std::string> allow;
    for (const Match& m : matches) allow.insert(m.row->method);
    std::string list;
    for (const std::string& a : allow) list += (list.empty() ? "" : ", ") + a;
    HttpResponse resp = ErrorResponse(
        Status(StatusCode::kMethodNotAllowed,
               r.method.substr(0, 16) + " is not allowed on " + r.path.substr(0, 200), "method"));
    resp.headers.push_back({"Allow", list});
    return reply(std::move(resp));
  }
  const RouteRow& row = *match->row;
  if (auto wrong = WrongBody(row.body, r.content_type)) return reply(ErrorResponse(*wrong));
  if (!row.takes_command_id && r.method != "GET" && r.headers.count("idempotency-key"))
    return reply(ErrorResponse(Malformed(
        r.method.substr(0, 16) + " " + row.path +
            " does not take an Idempotency-Key (it is not one command, or it is idempotent by "
            "its own ids)",
        "Idempotency-Key")));
  StatusOr<auth::Principal> who = Status(StatusCode::kUnauthenticated, "not signed in");
  if (row.gate == Gate::kSignedIn || (row.gate == Gate::kOptional && SendsCredentials(r))) {
    HttpResponse denied;
    who = authenticate_(r, &denied);
    if (!who.ok()) return reply(std::move(denied));
    if (row.action && !auth::HoldsAnywhere(*who, *row.action))
      return reply(ErrorResponse(
          Status(StatusCode::kPermissionDenied,
                 "you hold no role or lane that grants " + std::string(auth::Name(*row.action)))));
  }
  for (const auto& [name, value] : match->params)
    if (IsIdParam(name) && ParsePositiveId(value) == 0)
      return reply(ErrorResponse(Malformed("must be a positive integer", std::string(name))));
  row.handler(RouteCall(r, who.ok() ? &*who : nullptr, match->params), std::move(reply));
}

}  // namespace ncc
