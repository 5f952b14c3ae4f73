#include "sim/fleet.h"

#include <algorithm>

namespace ncc::sim {

const char* PhaseName(Phase p) {
  switch (p) {
    case Phase::kAtPost:
      return "at_post";
    case Phase::kDrivingHome:
      return "driving_home";
    case Phase::kMovingUp:
      return "moving_up";
    case Phase::kDispatched:
      return "dispatched";
    case Phase::kEnRoute:
      return "en_route";
    case Phase::kOnScene:
      return "on_scene";
    case Phase::kTransporting:
      return "transporting";
    case Phase::kAtHospital:
      return "at_hospital";
  }
  return "?";
}

namespace {

LatLon Median(std::vector<LatLon> points) {
  std::vector<double> lat, lon;
  for (const LatLon& p : points) lat.push_back(p.lat), lon.push_back(p.lon);
  auto mid = [](std::vector<double>& v) {
    std::nth_element(v.begin(), v.begin() + static_cast<ptrdiff_t>(v.size() / 2), v.end());
    return v[v.size() / 2];
  };
  return {mid(lat), mid(lon)};
}

}  // namespace

QuartersEstimate EstimateQuarters(const std::vector<UnitResponse>& rows) {
  struct Seen {
    std::vector<std::pair<int64_t, LatLon>> timed;  // dispatch -> on scene, ms
    std::vector<LatLon> all;
  };
  std::map<std::string, Seen> seen;
  for (const UnitResponse& r : rows) {
    if (!r.has_location || r.unit_id.empty()) continue;
    Seen& s = seen[r.unit_id];
    s.all.push_back(r.location);
    if (r.dispatch.ms && r.on_scene.ms > r.dispatch.ms)
      s.timed.push_back({r.on_scene.ms - r.dispatch.ms, r.location});
  }
  QuartersEstimate out;
  for (auto& [unit, s] : seen) {
    if (s.timed.size() >= 3) {
      std::sort(s.timed.begin(), s.timed.end(), [](const auto& a, const auto& b) {
        return a.first != b.first             ? a.first < b.first
               : a.second.lat != b.second.lat ? a.second.lat < b.second.lat
                                              : a.second.lon < b.second.lon;
      });
      size_t n = std::max<size_t>(3, s.timed.size() / 10);
      std::vector<LatLon> fastest;
      for (size_t i = 0; i < n; ++i) fastest.push_back(s.timed[i].second);
      out.by_unit[unit] = Median(std::move(fastest));
    } else {
      out.by_unit[unit] = Median(s.all);
    }
  }
  return out;
}

Status CheckStep(const SimUnit& u, Phase to) {
  bool ok = false;
  switch (to) {
    case Phase::kDispatched:
      ok = IsAvailable(u.phase);
      break;
    case Phase::kEnRoute:
      ok = u.phase == Phase::kDispatched;
      break;
    case Phase::kOnScene:
      ok = u.phase == Phase::kEnRoute;
      break;
    case Phase::kTransporting:
      ok = u.phase == Phase::kOnScene;
      break;
    case Phase::kAtHospital:
      ok = u.phase == Phase::kTransporting;
      break;
    case Phase::kDrivingHome:
      ok = u.phase == Phase::kOnScene || u.phase == Phase::kAtHospital ||
           u.phase == Phase::kDispatched || u.phase == Phase::kEnRoute;
      break;
    case Phase::kMovingUp:
      ok = IsAvailable(u.phase);
      break;
    case Phase::kAtPost:
      ok = u.phase == Phase::kDrivingHome || u.phase == Phase::kMovingUp;
      break;
  }
  if (ok) return Status::Ok();
  return FailedPrecondition(
      "unit " + u.callsign + " cannot go from " + PhaseName(u.phase) + " to " + PhaseName(to),
      "unit");
}

}  // namespace ncc::sim
