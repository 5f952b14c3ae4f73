// Monitoring routes: a unit's track, the units nearest a point, the zone set. They read the AVL
// lane (src/monitor); the unit's visibility is decided by auth::CanSee like any unit read.
#include <openssl/sha.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "core/json_writer.h"
#include "geo/geojson.h"
#include "input/json_body.h"
#include "server/api_rooms.h"
#include "visibility/access.h"

namespace ncc {
namespace {

using nlohmann::json;

constexpr size_t kMaxTrackFixes = 100'000;
constexpr size_t kMaxNearby = 1'000;

// ?name= as integer milliseconds or ISO-8601; `fallback` when absent.
bool QueryTime(const HttpRequest& r, const char* name, Time fallback, Time& out, Status& error) {
  out = fallback;
  auto it = r.query.find(name);
  if (it == r.query.end() || it->second.empty()) return true;
  const std::string& v = it->second;
  char* end = nullptr;
  long long ms = std::strtoll(v.c_str(), &end, 10);
  if (end && *end == '\0' && !v.empty()) {
    out = Time{ms};
    return true;
  }
  if (ParseTime(v, out)) return true;
  error = InvalidArgument("must be milliseconds since the epoch or an ISO-8601 time", name);
  return false;
}

bool QueryDouble(const HttpRequest& r, const char* name, double lo, double hi, double& out,
                 Status& error) {
  auto it = r.query.find(name);
  if (it == r.query.end() || it->second.empty()) {
    error = InvalidArgument("required", name);
    return false;
  }
  char* end = nullptr;
  out = std::strtod(it->second.c_str(), &end);
  if (!end || *end != '\0' || !std::isfinite(out) || out < lo || out > hi) {
    error = InvalidArgument(
        "must be a number from " + std::to_string(lo) + " to " + std::to_string(hi), name);
    return false;
  }
  return true;
}

json ZoneView(const geo::Zone& z) {
  auto box = z.bbox();
  return {{"id", z.id},
          {"name", z.name},
          {"kind", geo::ZoneKindName(z.kind)},
          {"restricted", z.restricted},
          {"polygons", z.polygons.size()},
          {"bbox", {box.min_lon, box.min_lat, box.max_lon, box.max_lat}}};
}

}  // namespace

std::string Sha256Hex(std::string_view text) {
  unsigned char h[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), h);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  for (unsigned char c : h) s += kHex[c >> 4], s += kHex[c & 15];
  return s;
}

// Writes the file durably: temp file, fsync, rename, fsync of the folder.
Status WriteFileDurably(const std::string& path, std::string_view text) {
  std::string tmp = path + ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) return Unavailable("cannot write " + tmp);
  bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size() && std::fflush(f) == 0 &&
            ::fsync(fileno(f)) == 0;
  ok = std::fclose(f) == 0 && ok;
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0)
    return Unavailable("cannot write " + path);
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (FILE* d = std::fopen(dir.empty() ? "." : dir.c_str(), "r")) {
    ::fsync(fileno(d));
    std::fclose(d);
  }
  return Status::Ok();
}

StatusOr<std::shared_ptr<const geo::Geofences>> LoadZonesFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  auto fences = std::make_shared<geo::Geofences>();
  if (!in) return std::shared_ptr<const geo::Geofences>(fences);  // none defined yet
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto zones = geo::ParseZonesGeoJson(text);
  if (!zones.ok()) return zones.status();
  for (geo::Zone& z : *zones) NCC_RETURN_IF_ERROR(fences->Add(std::move(z)));
  return std::shared_ptr<const geo::Geofences>(fences);
}

void OverlayLive(const monitor::AvlLane* lane, json& unit_json, UnitId id) {
  if (!lane) return;
  auto live = lane->Get(id);
  if (!live) return;
  Time known{0};
  if (auto it = unit_json.find("position_time"); it != unit_json.end() && it->is_string())
    ParseTime(it->get<std::string>(), known);
  // The lane holds every accepted fix; the World only the checkpoints.
  if (live->position.time.ms >= known.ms) {
    unit_json["position"] = {{"lat", live->position.position.lat},
                             {"lon", live->position.position.lon}};
    unit_json["position_time"] = FormatTime(live->position.time);
    unit_json["speed"] = live->position.speed;
  }
  unit_json["suspect"] = live->position.suspect;
  unit_json["stale"] = live->stale;
}

void MonitoringRoutes::TrackRoute(const HttpRequest& r, UnitId id, Who who, Reply reply) {
  if (!lane_) return reply(ErrorResponse(Unavailable("the AVL lane is not running")));
  // Audited like GET /units/{id}: a confidential or secret unit's track is a read of it.
  RecordAccess audited{{}, "GET /api/v1/units/{id}/track", {}, {}};
  bool visible = engine_.Read([&](const World& w) {
    const Unit* u = w.FindUnit(id);
    if (!u || !auth::CanSee(who, LabelOf(*u), auth::Action::kUnitRead)) return false;
    if (u->classification >= Classification::kConfidential) audited.units.push_back(id);
    return true;
  });
  if (!visible) return reply(ErrorResponse(NotFound("no unit " + std::to_string(id.value), "id")));
  Status err;
  Time from, to;
  QueryTime(r, "from", Time{0}, from, err);
  QueryTime(r, "to", Time{INT64_MAX}, to, err);
  if (err.ok() && from > to) err = InvalidArgument("must not be after 'to'", "from");
  if (!err.ok()) return reply(ErrorResponse(AsMalformed(err)));
  auto fixes = lane_->Track(id, from, to);
  if (!fixes.ok()) return reply(ErrorResponse(fixes.status()));
  bool truncated = fixes->size() > kMaxTrackFixes;
  if (truncated) fixes->resize(kMaxTrackFixes);
  std::string body = "{\"unit\":" + std::to_string(id.value) + ",\"fixes\":[";
  char buf[160];
  for (size_t i = 0; i < fixes->size(); ++i) {
    const track::TrackFix& f = (*fixes)[i];
    std::snprintf(buf, sizeof buf,
                  "%s{\"time\":%lld,\"lat\":%.7f,\"lon\":%.7f,\"speed\":%.2f,\"heading\":%.1f}",
                  i ? "," : "", static_cast<long long>(f.time.ms), f.position.lat, f.position.lon,
                  f.speed_mps, f.heading_deg);
    body += buf;
  }
  body += "],\"truncated\":";
  body += truncated ? "true}" : "false}";
  HttpResponse resp;
  resp.body = std::move(body);
  ReplyAfterAudit(std::move(audited), who, std::move(reply), std::move(resp));
}

void MonitoringRoutes::NearbyRoute(const HttpRequest& r, Who who, Reply reply) {
  if (!lane_) return reply(ErrorResponse(Unavailable("the AVL lane is not running")));
  Status err;
  double lat = 0, lon = 0, k = 5;
  QueryDouble(r, "lat", -90, 90, lat, err) && QueryDouble(r, "lon", -180, 180, lon, err);
  if (err.ok() && r.query.count("k") &&
      (!QueryDouble(r, "k", 1, kMaxNearby, k, err) || k != std::floor(k)))
    err = InvalidArgument("must be an integer from 1 to " + std::to_string(kMaxNearby), "k");
  std::string kind = r.query.count("kind") ? r.query.at("kind") : "";
  std::string available = r.query.count("available") ? r.query.at("available") : "";
  if (err.ok() && !available.empty() && available != "true" && available != "false")
    err = InvalidArgument("must be true or false", "available");
  if (!err.ok()) return reply(ErrorResponse(AsMalformed(err)));
  geo::UnitFilter filter;
  json items = json::array();
  RecordAccess audited{{}, "GET /api/v1/units/nearby", {}, {}};
  if (lane_->FilterFor(kind, available == "true", filter)) {
    // Ask for more than k: units the caller may not see are dropped afterwards.
    size_t want = static_cast<size_t>(k);
    for (size_t ask = want * 2 + 8;; ask *= 4) {
      auto found = lane_->Nearest({lat, lon}, ask, filter);
      items = json::array();
      audited.units.clear();
      engine_.Read([&](const World& w) {
        for (const geo::Neighbor& n : found) {
          if (items.size() == want) break;
          const Unit* u = w.FindUnit(n.unit);
          if (!u || !auth::CanSee(who, LabelOf(*u), auth::Action::kUnitRead)) continue;
          if (u->classification >= Classification::kConfidential) audited.units.push_back(u->id);
          items.push_back({{"unit", n.unit.value},
                           {"callsign", u->callsign},
                           {"kind", u->kind},
                           {"status", Name(u->status)},
                           {"meters", std::round(n.meters * 10) / 10},
                           {"position", {{"lat", n.position.lat}, {"lon", n.position.lon}}},
                           {"time", FormatTime(n.time)}});
        }
      });
      if (items.size() == want || found.size() < ask) break;
    }
  }
  ReplyAfterAudit(std::move(audited), who, std::move(reply), JsonResponse(200, {{"items", items}}));
}

void MonitoringRoutes::AddRoutes(Router& router) {
  using auth::Action;
  router.Add({"GET", "/api/v1/units/{id}/track", Action::kUnitRead, Gate::kSignedIn,
              BodyType::kNone, [this](const RouteCall& c, Reply reply) {
                TrackRoute(c.request(), UnitId(c.Id()), c.who(), std::move(reply));
              }});
  router.Add({"GET", "/api/v1/units/nearby", Action::kUnitRead, Gate::kSignedIn, BodyType::kNone,
              [this](const RouteCall& c, Reply reply) {
                NearbyRoute(c.request(), c.who(), std::move(reply));
              }});
  // Zones are national configuration, like agencies: everyone who reads units reads them,
  // administrators replace the whole set.
  router.Add({"GET", "/api/v1/zones", Action::kUnitRead, Gate::kSignedIn, BodyType::kNone,
              [this](const RouteCall&, Reply reply) { ListZones(std::move(reply)); }});
  router.Add({"POST", "/api/v1/zones", Action::kAgencyManage, Gate::kSignedIn, BodyType::kJson,
              [this](const RouteCall& c, Reply reply) {
                ZonesRoute(c.request(), c.who(), std::move(reply));
              },
              true});
}

void MonitoringRoutes::ListZones(Reply reply) {
  if (!lane_) return reply(ErrorResponse(Unavailable("the AVL lane is not running")));
  auto zones = lane_->zones();
  json items = json::array();
  for (size_t i = 0; i < zones->size(); ++i) items.push_back(ZoneView(zones->At(i)));
  reply(JsonResponse(200, {{"items", items}}));
}

void MonitoringRoutes::ZonesRoute(const HttpRequest& r, Who who, Reply reply) {
  if (!lane_) return reply(ErrorResponse(Unavailable("the AVL lane is not running")));
  // Zones are national configuration, like agencies: administrators replace the whole set.
  if (Status s = auth::Authorize(who, auth::Action::kAgencyManage, nullptr); !s.ok())
    return reply(ErrorResponse(s));
  auto zones = geo::ParseZonesGeoJson(r.body);
  if (!zones.ok()) return reply(ErrorResponse(AsMalformed(zones.status())));
  auto fences = std::make_shared<geo::Geofences>();
  DefineZones command;
  for (geo::Zone& z : *zones) {
    command.zones.ids.push_back(z.id);
    if (Status s = fences->Add(std::move(z)); !s.ok()) {
      Status named(s.code(), s.message(),
                   "features[" + std::to_string(command.zones.ids.size() - 1) + "].properties.id");
      return reply(ErrorResponse(AsMalformed(named)));
    }
  }
  command.zones.sha256 = Sha256Hex(r.body);
  // The file first: the event only records a zone set that exists on disk.
  std::lock_guard lock(zones_write_mu_);
  if (Status s = WriteFileDurably(zones_path_, r.body); !s.ok())
    return reply(ErrorResponse(Unavailable(s.message())));
  lane_->SetZones(fences);
  size_t count = fences->size();
  Submit(r, std::move(command), who, std::move(reply), [count](const CommandOutcome& o) {
    return JsonResponse(201, {{"zones", count}, {"seq", o.last_seq.value}});
  });
}

}  // namespace ncc
