// Address and landmark search for call intake: GET /api/v1/geocode?q=&limit=&near=lat,lon.
// The answer is about the map (streets, house numbers, named places of the loaded extract),
// never about a record, so any signed-in principal may ask, like /route.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "server/api_rooms.h"

namespace ncc {
namespace {

StatusOr<size_t> ParseLimit(const std::map<std::string, std::string>& query) {
  auto it = query.find("limit");
  if (it == query.end()) return size_t{10};
  size_t limit = 0;
  char tail = 0;
  if (std::sscanf(it->second.c_str(), "%zu%c", &limit, &tail) != 1 || limit < 1 ||
      limit > geocode::kMaxLimit)
    return InvalidArgument("must be a whole number from 1 to " + std::to_string(geocode::kMaxLimit),
                           "limit");
  return limit;
}

StatusOr<std::optional<LatLon>> ParseNear(const std::map<std::string, std::string>& query) {
  if (!query.count("near")) return std::optional<LatLon>{};
  auto p = ParsePointParam(query, "near");
  if (!p.ok()) return p.status();
  return std::optional<LatLon>{*p};
}

nlohmann::json MatchJson(const geocode::Match& m) {
  nlohmann::json j = {{"label", m.label},
                      {"kind", m.kind},
                      {"lat", m.at.lat},
                      {"lon", m.at.lon},
                      {"score", m.score}};
  if (!m.what.empty()) j["what"] = m.what;
  if (!m.note.empty()) j["note"] = m.note;
  return j;
}

}  // namespace

void GeocodeRoutes::AddRoutes(Router& router) {
  router.Add(
      {"GET", "/api/v1/geocode", std::nullopt, Gate::kSignedIn, BodyType::kNone,
       [this](const RouteCall& c, Reply reply) { GeocodeRoute(c.request(), std::move(reply)); }});
}

void GeocodeRoutes::GeocodeRoute(const HttpRequest& r, Reply reply) {
  if (!places_)
    return reply(ErrorResponse(Unavailable("no places loaded (start with --places FILE.osm)")));
  geocode::Query query;
  auto q = r.query.find("q");
  if (q == r.query.end())
    return reply(ErrorResponse(AsMalformed(InvalidArgument("is required", "q"))));
  query.text = q->second;
  auto limit = ParseLimit(r.query);
  if (!limit.ok()) return reply(ErrorResponse(AsMalformed(limit.status())));
  query.limit = *limit;
  auto near = ParseNear(r.query);
  if (!near.ok()) return reply(ErrorResponse(AsMalformed(near.status())));
  query.near = *near;
  auto matches = geocode::Search(*places_, query);
  if (!matches.ok()) return reply(ErrorResponse(AsMalformed(matches.status())));
  nlohmann::json out = {{"query", query.text}, {"matches", nlohmann::json::array()}};
  for (const auto& m : *matches) out["matches"].push_back(MatchJson(m));
  reply(JsonResponse(200, out));
}

}  // namespace ncc
