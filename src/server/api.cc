#include "server/api.h"

#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/json_writer.h"
#include "server/event_pages.h"
#include "server/json_body.h"

namespace ncc {
namespace {

using nlohmann::json;

HttpResponse Json(int status, const json& body) {
  HttpResponse r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
}

HttpResponse BadRequest(const Status& s) {
  return ErrorResponse(400, s);
}

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

// A positive decimal id, or 0 when the text is not one.
uint64_t ParseId(std::string_view text) {
  uint64_t v = 0;
  if (text.empty() || text.size() > 19) return 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  return ec == std::errc() && p == text.data() + text.size() ? v : 0;
}

// ?limit= and ?after= with bounds; writes an error into `error` when malformed.
uint64_t QueryNumber(const HttpRequest& r, const char* name, uint64_t fallback, uint64_t max,
                     Status& error) {
  auto it = r.query.find(name);
  if (it == r.query.end() || it->second.empty()) return fallback;
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
  if (ec != std::errc() || p != it->second.data() + it->second.size() || v > max) {
    if (error.ok())
      error = InvalidArgument("must be an integer from 0 to " + std::to_string(max), name);
    return fallback;
  }
  return v;
}

json IncidentView(const Incident& i, bool with_timeline) {
  json j = JsonWriter::ToJson(i);
  if (!with_timeline) j.erase("timeline");
  return j;
}

}  // namespace

void Api::Handle(const HttpRequest& r, Reply reply) {
  ++requests_;
  auto seg = Segments(r.path);
  const bool get = r.method == "GET", post = r.method == "POST";
  auto method_not_allowed = [&] {
    reply(ErrorResponse(405, InvalidArgument(r.method + " is not allowed on " + r.path)));
  };
  if (seg.empty() || seg[0] != "api") {
    if (r.path == "/healthz")
      return reply(Json(200, {{"status", "ok"}, {"last_seq", engine_.log().LastSeq().value}}));
    if (r.path == "/metrics") return MetricsRoute(reply);
    if (get) return StaticFile(r, reply);
    return reply(ErrorResponse(404, NotFound("no route " + r.path)));
  }
  if (seg.size() < 3 || seg[1] != "v1")
    return reply(ErrorResponse(404, NotFound("no route " + r.path)));
  if (post && r.content_type.rfind("application/json", 0) != 0 &&
      r.content_type.rfind("application/x-ndjson", 0) != 0)
    return reply(ErrorResponse(
        415, InvalidArgument("Content-Type must be application/json", "Content-Type")));

  std::string_view res = seg[2];
  if (res == "incidents") {
    if (seg.size() == 3)
      return post  ? CreateIncidentRoute(r, reply)
             : get ? ListIncidents(r, reply)
                   : method_not_allowed();
    IncidentId id(ParseId(seg[3]));
    if (!id)
      return reply(BadRequest(InvalidArgument("incident id must be a positive integer", "id")));
    if (seg.size() == 4 && get) {
      auto view = engine_.Read([&](const World& w) -> std::optional<json> {
        const Incident* i = w.FindIncident(id);
        return i ? std::optional<json>(IncidentView(*i, true)) : std::nullopt;
      });
      if (!view)
        return reply(ErrorResponse(404, NotFound("no incident " + std::to_string(id.value), "id")));
      return reply(Json(200, *view));
    }
    if (seg.size() == 5 && post && seg[4] == "status") return IncidentStatusRoute(r, id, reply);
    if (seg.size() == 5 && post && seg[4] == "notes") return IncidentNoteRoute(r, id, reply);
    if (seg.size() == 5 && post && seg[4] == "assignments") return AssignRoute(r, id, reply);
    return seg.size() <= 5 ? method_not_allowed()
                           : reply(ErrorResponse(404, NotFound("no route " + r.path)));
  }
  if (res == "units") {
    if (seg.size() == 3)
      return post ? CreateUnitRoute(r, reply) : get ? ListUnits(r, reply) : method_not_allowed();
    UnitId id(ParseId(seg[3]));
    if (!id) return reply(BadRequest(InvalidArgument("unit id must be a positive integer", "id")));
    if (seg.size() == 4 && get) {
      auto view = engine_.Read([&](const World& w) -> std::optional<json> {
        const Unit* u = w.FindUnit(id);
        return u ? std::optional<json>(JsonWriter::ToJson(*u)) : std::nullopt;
      });
      if (!view)
        return reply(ErrorResponse(404, NotFound("no unit " + std::to_string(id.value), "id")));
      return reply(Json(200, *view));
    }
    if (seg.size() == 5 && post && seg[4] == "status") return UnitStatusRoute(r, id, reply);
    return seg.size() <= 5 ? method_not_allowed()
                           : reply(ErrorResponse(404, NotFound("no route " + r.path)));
  }
  if (res == "positions" && seg.size() == 3)
    return post ? PositionsRoute(r, reply) : method_not_allowed();
  if (res == "agencies" && seg.size() == 3) {
    if (post) return AgencyRoute(r, reply);
    json items = json::array();
    engine_.Read([&](const World& w) {
      for (const auto& [code, a] : w.agencies()) items.push_back(JsonWriter::ToJson(a));
    });
    return reply(Json(200, {{"items", items}}));
  }
  if (res == "events" && seg.size() == 3) return get ? EventsRoute(r, reply) : method_not_allowed();
  reply(ErrorResponse(404, NotFound("no route " + r.path)));
}

void Api::Submit(Command command, const HttpRequest& r, Reply reply, Outcome on_success) {
  auto actor =
      r.headers.count("x-ncc-actor") ? r.headers.at("x-ncc-actor") : std::string("anonymous");
  auto agency = r.headers.count("x-ncc-agency") ? r.headers.at("x-ncc-agency") : std::string();
  engine_.Submit(
      std::move(command), std::move(actor), std::move(agency),
      [reply = std::move(reply), on_success = std::move(on_success), this](CommandOutcome o) {
        if (!o.status.ok()) {
          ++client_errors_;
          return reply(ErrorResponse(HttpStatusOf(o.status), o.status));
        }
        reply(on_success(o));
      });
}

// Parses the body into a FieldReader-checked command; 400 on any parse or type error.
#define NCC_PARSE_BODY(var, reply)                                         \
  auto var##_parsed = ParseJsonBody(r.body);                               \
  if (!var##_parsed.ok()) return reply(BadRequest(var##_parsed.status())); \
  const json& var = *var##_parsed

HttpResponse Created(const CommandOutcome& o) {
  return Json(201, {{"id", o.created_id}, {"seq", o.last_seq.value}});
}
HttpResponse Applied(const CommandOutcome& o) {
  return Json(200, {{"seq", o.last_seq.value}});
}

void Api::CreateIncidentRoute(const HttpRequest& r, Reply reply) {
  NCC_PARSE_BODY(body, reply);
  FieldReader f(body, {"type", "priority", "location", "address", "landmark", "summary", "agency",
                       "classification"});
  CreateIncident c;
  c.type = f.String("type", true, 256);
  c.priority = static_cast<int32_t>(f.Integer("priority", true).value_or(0) % 1000);
  if (auto loc = f.Location("location", true)) c.location = *loc;
  c.address = f.String("address", false);
  c.landmark = f.String("landmark", false);
  c.summary = f.String("summary", false, 8192);
  c.agency = f.String("agency", false, 64);
  std::string cls = f.String("classification", false, 32);
  if (!f.ok()) return reply(BadRequest(f.status()));
  if (!cls.empty()) {
    auto parsed = ParseClassification(cls);
    if (!parsed)
      return reply(ErrorResponse(
          422,
          InvalidArgument("must be public, restricted, confidential or secret", "classification")));
    c.classification = *parsed;
  }
  Submit(std::move(c), r, std::move(reply), Created);
}

void Api::ListIncidents(const HttpRequest& r, Reply reply) {
  Status err;
  uint64_t limit = QueryNumber(r, "limit", 100, 1000, err);
  uint64_t after = QueryNumber(r, "after", 0, UINT64_MAX >> 1, err);
  std::optional<IncidentStatus> status;
  if (auto it = r.query.find("status"); it != r.query.end() && !it->second.empty()) {
    status = ParseIncidentStatus(it->second);
    if (!status && err.ok())
      err = InvalidArgument("unknown incident status '" + it->second.substr(0, 32) + "'", "status");
  }
  if (!err.ok()) return reply(BadRequest(err));
  std::string agency = r.query.count("agency") ? r.query.at("agency") : "";
  json items = json::array();
  uint64_t last = 0;
  engine_.Read([&](const World& w) {
    for (size_t k = after; k < w.incidents().size() && items.size() < limit; ++k) {
      const Incident& i = w.incidents()[k];
      if (status && i.status != *status) continue;
      if (!agency.empty() && i.agency != agency) continue;
      items.push_back(IncidentView(i, false));
      last = i.id.value;
    }
  });
  json out = {{"items", items}};
  out["next_after"] = items.size() == limit ? json(last) : json(nullptr);
  reply(Json(200, out));
}

void Api::IncidentStatusRoute(const HttpRequest& r, IncidentId id, Reply reply) {
  NCC_PARSE_BODY(body, reply);
  FieldReader f(body, {"status", "note"});
  std::string status = f.String("status", true, 32);
  std::string note = f.String("note", false, 8192);
  if (!f.ok()) return reply(BadRequest(f.status()));
  auto to = ParseIncidentStatus(status);
  if (!to)
    return reply(
        ErrorResponse(422, InvalidArgument("unknown incident status '" + status + "'", "status")));
  Submit(ChangeIncidentStatus{id, *to, std::move(note)}, r, std::move(reply), Applied);
}

void Api::IncidentNoteRoute(const HttpRequest& r, IncidentId id, Reply reply) {
  NCC_PARSE_BODY(body, reply);
  FieldReader f(body, {"text"});
  std::string text = f.String("text", true, 8192);
  if (!f.ok()) return reply(BadRequest(f.status()));
  Submit(AddIncidentNote{id, std::move(text)}, r, std::move(reply), [](const CommandOutcome& o) {
    return Json(201, {{"seq", o.last_seq.value}});
  });
}

void Api::AssignRoute(const HttpRequest& r, IncidentId id, Reply reply) {
  NCC_PARSE_BODY(body, reply);
  FieldReader f(body, {"unit"});
  auto unit = f.Integer("unit", true);
  if (!f.ok()) return reply(BadRequest(f.status()));
  if (*unit <= 0) return reply(BadRequest(InvalidArgument("must be a positive unit id", "unit")));
  Submit(AssignUnit{id, UnitId(static_cast<uint64_t>(*unit))}, r, std::move(reply),
         [](const CommandOutcome& o) {
           return Json(201, {{"seq", o.last_seq.value}});
         });
}

void Api::CreateUnitRoute(const HttpRequest& r, Reply reply) {
  NCC_PARSE_BODY(body, reply);
  FieldReader f(body, {"callsign", "agency", "kind", "capabilities", "station", "location"});
  RegisterUnit c;
  c.callsign = f.String("callsign", true, 256);
  c.agency = f.String("agency", false, 64);
  c.kind = f.String("kind", true, 64);
  c.capabilities = f.Strings("capabilities", 64, 64);
  c.station = f.String("station", false);
  c.position = f.Location("location", false);
  if (!f.ok()) return reply(BadRequest(f.status()));
  Submit(std::move(c), r, std::move(reply), Created);
}

void Api::ListUnits(const HttpRequest& r, Reply reply) {
  std::optional<UnitStatus> status;
  if (auto it = r.query.find("status"); it != r.query.end() && !it->second.empty()) {
    status = ParseUnitStatus(it->second);
    if (!status)
      return reply(BadRequest(
          InvalidArgument("unknown unit status '" + it->second.substr(0, 32) + "'", "status")));
  }
  std::string agency = r.query.count("agency") ? r.query.at("agency") : "";
  json items = json::array();
  engine_.Read([&](const World& w) {
    for (const Unit& u : w.units()) {
      if (status && u.status != *status) continue;
      if (!agency.empty() && u.agency != agency) continue;
      items.push_back(JsonWriter::ToJson(u));
    }
  });
  reply(Json(200, {{"items", items}}));
}

void Api::UnitStatusRoute(const HttpRequest& r, UnitId id, Reply reply) {
  NCC_PARSE_BODY(body, reply);
  FieldReader f(body, {"status", "note"});
  std::string status = f.String("status", true, 32);
  std::string note = f.String("note", false, 8192);
  if (!f.ok()) return reply(BadRequest(f.status()));
  auto to = ParseUnitStatus(status);
  if (!to)
    return reply(
        ErrorResponse(422, InvalidArgument("unknown unit status '" + status + "'", "status")));
  Submit(ChangeUnitStatus{id, *to, std::move(note)}, r, std::move(reply), Applied);
}

void Api::AgencyRoute(const HttpRequest& r, Reply reply) {
  NCC_PARSE_BODY(body, reply);
  FieldReader f(body, {"code", "name", "kind"});
  Agency a{f.String("code", true, 64), f.String("name", true, 256), f.String("kind", true, 64)};
  if (!f.ok()) return reply(BadRequest(f.status()));
  Submit(RegisterAgency{std::move(a)}, r, std::move(reply), [](const CommandOutcome& o) {
    return Json(201, {{"seq", o.last_seq.value}});
  });
}

void Api::EventsRoute(const HttpRequest& r, Reply reply) {
  Status err;
  uint64_t after = QueryNumber(r, "after", 0, UINT64_MAX >> 1, err);
  uint64_t limit = QueryNumber(r, "limit", 100, 1000, err);
  if (!err.ok()) return reply(BadRequest(err));
  auto page = EventPage(engine_, Seq(after), limit);
  if (!page.ok()) return reply(ErrorResponse(HttpStatusOf(page.status()), page.status()));
  // The stored JSON texts are spliced in as they are: no re-parsing per request.
  std::string body = "{\"items\":[";
  for (size_t i = 0; i < page->size(); ++i) {
    if (i) body += ',';
    body += *(*page)[i].json;
  }
  uint64_t last = page->empty() ? after : (*page).back().event->meta.seq.value;
  body += "],\"last_seq\":" + std::to_string(last) +
          ",\"head\":" + std::to_string(engine_.log().LastSeq().value) + "}";
  HttpResponse resp;
  resp.body = std::move(body);
  reply(std::move(resp));
}

void Api::MetricsRoute(Reply reply) {
  HttpResponse resp;
  resp.content_type = "text/plain; version=0.0.4";
  engine_.RenderMetrics(resp.body);
  RenderCounter(resp.body, "ncc_http_requests_total", "HTTP requests handled", requests_.load());
  RenderCounter(resp.body, "ncc_http_command_errors_total", "Commands refused over HTTP",
                client_errors_.load());
  if (metrics_hook_) metrics_hook_(resp.body);
  reply(std::move(resp));
}

void Api::StaticFile(const HttpRequest& r, Reply reply) {
  if (options_.web_root.empty()) return reply(ErrorResponse(404, NotFound("no route " + r.path)));
  std::string rel = r.path == "/" ? "index.html" : r.path.substr(1);
  // Refuse anything that could climb out of the web root.
  if (rel.find("..") != std::string::npos || rel.find('\0') != std::string::npos)
    return reply(ErrorResponse(400, InvalidArgument("path must not contain '..'", "path")));
  std::filesystem::path p = std::filesystem::path(options_.web_root) / rel;
  std::ifstream in(p, std::ios::binary);
  if (!in || std::filesystem::is_directory(p))
    return reply(ErrorResponse(404, NotFound("no file " + r.path)));
  std::stringstream buf;
  buf << in.rdbuf();
  HttpResponse resp;
  resp.body = buf.str();
  std::string ext = p.extension().string();
  resp.content_type = ext == ".html"  ? "text/html; charset=utf-8"
                      : ext == ".js"  ? "text/javascript"
                      : ext == ".css" ? "text/css"
                      : ext == ".svg" ? "image/svg+xml"
                                      : "application/octet-stream";
  resp.headers.push_back({"Content-Security-Policy",
                          "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:"});
  resp.headers.push_back({"X-Frame-Options", "DENY"});
  reply(std::move(resp));
}

}  // namespace ncc
