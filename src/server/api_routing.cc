// Road travel times over HTTP: GET /api/v1/route?from=lat,lon&to=lat,lon and
// POST /api/v1/eta {"origin":{lat,lon},"targets":[{lat,lon},...]}. Any signed-in user may ask:
// the answer is about roads, not about records.
#include <cstdio>

#include "input/json_body.h"
#include "server/api_rooms.h"

namespace ncc {
namespace {

constexpr size_t kMaxEtaTargets = 10'000;

}  // namespace

StatusOr<LatLon> ParsePointParam(const std::map<std::string, std::string>& query,
                                 const char* name) {
  auto it = query.find(name);
  if (it == query.end()) return InvalidArgument("is required as lat,lon", name);
  LatLon p;
  char tail = 0;
  if (std::sscanf(it->second.c_str(), "%lf,%lf%c", &p.lat, &p.lon, &tail) != 2)
    return InvalidArgument("must be lat,lon (e.g. 37.79,-122.41)", name);
  NCC_RETURN_IF_ERROR(ValidateLatLon(p, name));
  return p;
}

void RoutingRoutes::AddRoutes(Router& router) {
  // Road travel times name no record: any signed-in principal may ask.
  router.Add(
      {"GET", "/api/v1/route", std::nullopt, Gate::kSignedIn, BodyType::kNone,
       [this](const RouteCall& c, Reply reply) { RouteRoute(c.request(), std::move(reply)); }});
  router.Add(
      {"POST", "/api/v1/eta", std::nullopt, Gate::kSignedIn, BodyType::kJson,
       [this](const RouteCall& c, Reply reply) { EtaRoute(c.request(), std::move(reply)); }});
}

void RoutingRoutes::RouteRoute(const HttpRequest& r, Reply reply) {
  if (!routing_)
    return reply(ErrorResponse(Unavailable("no road graph loaded (start with --graph FILE)")));
  auto from = ParsePointParam(r.query, "from");
  if (!from.ok()) return reply(ErrorResponse(AsMalformed(from.status())));
  auto to = ParsePointParam(r.query, "to");
  if (!to.ok()) return reply(ErrorResponse(AsMalformed(to.status())));
  auto route = routing_->Route(*from, *to);
  if (!route.ok()) return reply(ErrorResponse(route.status()));
  reply(JsonResponse(200, *route));
}

void RoutingRoutes::EtaRoute(const HttpRequest& r, Reply reply) {
  if (!routing_)
    return reply(ErrorResponse(Unavailable("no road graph loaded (start with --graph FILE)")));
  auto body = ParseJsonBody(r.body);
  if (!body.ok()) return reply(ErrorResponse(AsMalformed(body.status())));
  FieldReader f(*body, {"origin", "targets"});
  auto origin = f.Location("origin", true);
  if (!f.ok()) return reply(ErrorResponse(AsMalformed(f.status())));
  const auto& targets = (*body)["targets"];
  if (!targets.is_array())
    return reply(ErrorResponse(Malformed("must be an array of {lat,lon}", "targets")));
  if (targets.size() > kMaxEtaTargets)
    return reply(ErrorResponse(
        413,
        ResourceExhausted("at most " + std::to_string(kMaxEtaTargets) + " targets", "targets")));
  std::vector<LatLon> points;
  points.reserve(targets.size());
  for (size_t i = 0; i < targets.size(); ++i) {
    FieldReader t(targets[i], {"lat", "lon"}, "targets[" + std::to_string(i) + "]");
    auto lat = t.Number("lat", true);
    auto lon = t.Number("lon", true);
    if (!t.ok()) return reply(ErrorResponse(AsMalformed(t.status())));
    points.push_back({*lat, *lon});
  }
  auto eta = routing_->Eta(*origin, points);
  if (!eta.ok()) return reply(ErrorResponse(eta.status()));
  reply(JsonResponse(200, *eta));
}

}  // namespace ncc
