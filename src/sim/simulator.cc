#include "sim/simulator.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <map>
#include <mutex>
#include <random>
#include <thread>
#include <unordered_map>

#include "dispatch/coverage.h"
#include "sim/fleet.h"

namespace ncc::sim {
namespace {

enum Kind : uint8_t {
  kArrive,
  kTriage,
  kDecide,
  kEnRoute,
  kOnScene,
  kTransport,
  kAtHospital,
  kAvailable,
  kCancelUnit,
  kPostReached,
  kTick,
  kPostingStart,  // subject: index into SimOptions::postings
  kPostingEnd,
  kSample,
};

struct Group {
  int64_t at_ms = 0;
  std::vector<size_t> rows;
};

struct Call {
  size_t first = 0;  // its first row
  IncidentId incident;
  std::vector<Group> groups;
  size_t decided = 0;
  int open_units = 0;
  bool assigned_any = false, arrived = false, done = false;
  double first_travel_s = NAN;
};

// Intervals of the data (seconds), to draw from when a row lacks one (seeded).
struct Pool {
  std::vector<double> values;
  double fallback = 60;
  void Add(Time a, Time b, double max_s) {
    if (!a.ms || !b.ms || b.ms < a.ms) return;
    double s = (b.ms - a.ms) / 1000.0;
    if (s <= max_s) values.push_back(s);
  }
};

std::string AgencyKind(const std::string& code) {
  if (code.find("ems") != std::string::npos || code.find("ambulance") != std::string::npos)
    return "ambulance";
  if (code.find("police") != std::string::npos) return "police";
  return "fire";
}

}  // namespace

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(v.size())));
  return v[std::clamp<size_t>(rank, 1, v.size()) - 1];
}

RealTravel RealFirstUnitTravel(const std::vector<UnitResponse>& rows) {
  struct First {
    int64_t on_scene_ms;
    double travel_s, response_s;
  };
  std::map<std::string, First> first;  // call -> its first unit on scene
  std::map<std::string, bool> seen;
  RealTravel out;
  for (const UnitResponse& r : rows) {
    seen[r.call_number];
    if (!r.response.ms || !r.on_scene.ms) continue;
    if (r.on_scene.ms < r.response.ms) {
      ++out.impossible_order;
      continue;
    }
    double response_s = r.dispatch.ms && r.dispatch.ms <= r.on_scene.ms
                            ? (r.on_scene.ms - r.dispatch.ms) / 1000.0
                            : NAN;
    First now{r.on_scene.ms, (r.on_scene.ms - r.response.ms) / 1000.0, response_s};
    auto [it, fresh] = first.emplace(r.call_number, now);
    if (!fresh && r.on_scene.ms < it->second.on_scene_ms) it->second = now;
  }
  for (const auto& [call, v] : first) {
    out.first_unit_travel_s.push_back(v.travel_s);
    if (!std::isnan(v.response_s)) out.first_unit_dispatch_to_scene_s.push_back(v.response_s);
  }
  out.no_arrival = seen.size() - first.size();
  return out;
}

nlohmann::json SimFigures::ToJson() const {
  auto num = [](double v) { return std::isnan(v) ? nlohmann::json(nullptr) : nlohmann::json(v); };
  size_t within = 0;
  for (double s : first_unit_travel_s) within += s <= 240;
  double pct = first_unit_travel_s.empty() ? NAN : 100.0 * within / first_unit_travel_s.size();
  auto round1 = [](double v) { return std::isnan(v) ? v : std::round(v * 10) / 10; };
  nlohmann::json j = nlohmann::json::object();
  j["policy"] = policy;
  j["seed"] = seed;
  j["calls"] = calls;
  j["unit_responses"] = unit_responses;
  j["units"] = units;
  j["units_outside_area"] = units_outside_area;
  j["events"] = events;
  j["fixes"] = fixes;
  j["seconds"] = std::round(seconds * 100) / 100;
  j["events_per_s"] = seconds > 0 ? std::round(events / seconds) : 0.0;
  j["virtual_seconds"] = virtual_seconds;
  j["first_unit_travel_p50_s"] = num(round1(Percentile(first_unit_travel_s, 0.5)));
  j["first_unit_travel_p90_s"] = num(round1(Percentile(first_unit_travel_s, 0.9)));
  j["within_240s_pct"] = num(round1(pct));
  j["calls_with_arrival"] = first_unit_travel_s.size();
  j["calls_no_arrival"] = calls_no_arrival;
  j["resolved"] = resolved;
  j["cancelled"] = cancelled;
  j["slots"] = slots;
  j["slots_unfilled"] = slots_unfilled;
  j["substituted"] = substituted;
  j["move_ups"] = move_ups;
  j["route_fallbacks"] = route_fallbacks;
  j["drawn_intervals"] = drawn_intervals;
  j["commands"] = commands;
  j["refused"] = refused;
  j["fixes_refused"] = fixes_refused;
  if (!first_refusal.empty()) j["first_refusal"] = first_refusal;
  if (posting_moves || postings_unmatched) {  // a plan's what-if (whatif.h)
    j["posting_moves"] = posting_moves;
    j["postings_unmatched"] = postings_unmatched;
  }
  j["log_digest"] = log_digest;
  return j;
}

GraphArea::GraphArea(const routing::RoutingService& routing) : routing_(routing) {
  const routing::RoadGraph& g = routing.graph();
  for (uint32_t n = 0; n < g.node_count(); ++n) {
    LatLon p = g.Position(n);
    lat0_ = std::min(lat0_, p.lat), lat1_ = std::max(lat1_, p.lat);
    lon0_ = std::min(lon0_, p.lon), lon1_ = std::max(lon1_, p.lon);
  }
}

bool GraphArea::Contains(LatLon p, double max_snap_m) const {
  return p.lat >= lat0_ && p.lat <= lat1_ && p.lon >= lon0_ && p.lon <= lon1_ &&
         routing_.snapper().Nearest(p, max_snap_m).ok();
}

AreaFilter RestrictToGraph(std::vector<UnitResponse> rows, const routing::RoutingService& routing,
                           double max_snap_m) {
  GraphArea area(routing);
  std::map<std::string, bool> inside;  // call -> kept
  AreaFilter out;
  for (const UnitResponse& r : rows) {
    auto [it, fresh] = inside.emplace(r.call_number, false);
    if (!fresh) continue;
    it->second = r.has_location && area.Contains(r.location, max_snap_m);
    (it->second ? out.calls_kept : out.calls_outside)++;
  }
  for (UnitResponse& r : rows) {
    if (inside[r.call_number])
      out.kept.push_back(std::move(r));
    else
      ++out.rows_outside;
  }
  return out;
}

class Simulator::Impl {
 public:
  Impl(Engine& engine, monitor::AvlLane& lane, const routing::RoutingService& routing,
       const Clock& clock, SimClock* vclock, Policy& policy, SimOptions o)
      : engine_(engine),
        lane_(lane),
        routing_(routing),
        clock_(clock),
        vclock_(vclock),
        policy_(policy),
        o_(std::move(o)),
        planner_(routing),
        rng_(o_.seed) {
    if (!vclock_ && o_.speed > 0) o_.fix_flush_ms = static_cast<int64_t>(o_.speed * 1000);
    o_.fix_flush_ms = std::max<int64_t>(1000, o_.fix_flush_ms);
  }

  StatusOr<SimFigures> Run(const std::vector<UnitResponse>& rows);

 private:
  // --- engine and lane, one instant at a time -------------------------------------------------
  void Submit(Command c, uint64_t* created = nullptr, Status* result = nullptr);
  void WaitCommands();
  // A broken rule (engine, lane or state machine): counted, the first one kept. The engine's
  // callbacks note theirs on its writer thread, hence the lock.
  void NoteRefusal(const std::string& why) {
    std::lock_guard lock(mu_);
    NoteRefusalLocked(why);
  }
  void NoteRefusalLocked(const std::string& why) {
    ++f_.refused;
    if (f_.first_refusal.empty()) f_.first_refusal = why;
  }
  Status SubmitAndWait(Command c, uint64_t* created = nullptr) {
    Status s;
    Submit(std::move(c), created, &s);
    WaitCommands();
    return s;
  }
  void GenerateFixes(int64_t upto_ms);
  void FlushFixes();
  void SubmitFixes(const auth::Principal& gateway, std::vector<PositionFix> fixes);
  int64_t Stamp(int64_t virtual_ms) const {
    if (vclock_) return virtual_ms;
    return wall_start_ms_ + static_cast<int64_t>((virtual_ms - first_ms_) / o_.speed);
  }
  void Pace(int64_t virtual_ms) const;

  // --- the world of the simulation --------------------------------------------------------------
  Status BuildCalls(const std::vector<UnitResponse>& rows);
  Status SeedFleet(const std::vector<UnitResponse>& rows);
  void BuildZones();
  void Handle(const SimEvent& e);
  void Arrive(size_t c);
  void Decide(size_t c, size_t g);
  void MoveUps(const std::vector<std::string>& kinds);
  void StartDrive(SimUnit& u, LatLon to, Kind on_end);
  void Step(SimUnit& u, Phase to, UnitStatus status);
  void UnitFreed(SimUnit& u);
  void CloseIfDone(size_t c);
  std::vector<dispatch::UnitInfo> FleetView();
  double Interval(Time a, Time b, double max_s, Pool& pool);
  void EnsureTick(int64_t now_ms);
  // Plan postings (SimOptions::postings).
  const SimPosting* PostingAt(const SimUnit& u, int64_t ms, size_t skip) const;
  void SchedulePostings();
  void GoToQuarters(SimUnit& u, LatLon quarters);
  void Sample();

  Engine& engine_;
  monitor::AvlLane& lane_;
  const routing::RoutingService& routing_;
  const Clock& clock_;
  SimClock* vclock_;
  Policy& policy_;
  SimOptions o_;
  RoutePlanner planner_;
  std::mt19937_64 rng_;
  const std::vector<UnitResponse>* rows_ = nullptr;

  std::vector<Call> calls_;
  std::vector<SimUnit> units_;
  std::unordered_map<UnitId, size_t> unit_index_;
  EventQueue queue_;
  SimFigures f_;
  Pool turnout_, scene_, transport_, hospital_, cancel_;
  std::vector<dispatch::CoverageZone> zones_;
  dispatch::ReachCache reach_cache_;     // MoveUps: units at posts and candidate posts recur
  dispatch::ReachCache sample_cache_;    // Sample: the same, for the sampled zones
  std::vector<LatLon> posting_snapped_;  // each posting's post on the road
  std::map<std::string, auth::Principal> gateways_;  // by agency
  std::vector<PositionFix> pending_fixes_;
  int64_t now_ms_ = 0, last_flush_ms_ = 0, first_ms_ = 0, wall_start_ms_ = 0;
  bool tick_scheduled_ = false;
  std::chrono::steady_clock::time_point wall_start_;

  std::mutex mu_;
  std::condition_variable cv_;
  size_t in_flight_ = 0;
};

void Simulator::Impl::Submit(Command c, uint64_t* created, Status* result) {
  {
    std::lock_guard lock(mu_);
    ++in_flight_;
  }
  ++f_.commands;
  std::string agency = "sim";
  engine_.Submit(std::move(c), o_.actor, agency, [this, created, result](CommandOutcome o) {
    std::lock_guard lock(mu_);
    if (!o.status.ok()) NoteRefusalLocked(o.status.ToString());
    if (created) *created = o.created_id;
    if (result) *result = o.status;
    if (--in_flight_ == 0) cv_.notify_all();
  });
}

void Simulator::Impl::WaitCommands() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return in_flight_ == 0; });
}

void Simulator::Impl::GenerateFixes(int64_t upto_ms) {
  for (SimUnit& u : units_) {
    if (!u.drive) continue;
    const Drive& d = *u.drive;
    int64_t t =
        std::max(d.start_ms(), u.last_fix_ms == INT64_MIN ? d.start_ms() : u.last_fix_ms + 1000);
    auto push = [&](int64_t at) {
      u.last_fix_ms = at;
      const int64_t stamp = Stamp(at);
      if (stamp <= u.last_stamp_ms) return;  // live and sped up: two fixes in one millisecond
      u.last_stamp_ms = stamp;
      pending_fixes_.push_back({u.id, d.At(at), Time{stamp}, d.speed_mps(), d.HeadingAt(at)});
    };
    for (; t <= std::min(upto_ms, d.end_ms()); t += 1000) push(t);
    if (d.end_ms() <= upto_ms && u.last_fix_ms < d.end_ms()) push(d.end_ms());
  }
}

void Simulator::Impl::FlushFixes() {
  last_flush_ms_ = now_ms_;
  if (pending_fixes_.empty()) return;
  std::map<std::string, std::vector<PositionFix>> by_agency;
  for (const PositionFix& f : pending_fixes_)
    by_agency[units_[unit_index_.at(f.unit)].agency].push_back(f);
  pending_fixes_.clear();
  for (auto& [agency, fixes] : by_agency) SubmitFixes(gateways_.at(agency), std::move(fixes));
}

void Simulator::Impl::SubmitFixes(const auth::Principal& gateway, std::vector<PositionFix> fixes) {
  f_.fixes += fixes.size();
  std::mutex m;
  std::condition_variable cv;
  bool done = false;
  monitor::BatchResult result;
  lane_.Submit(monitor::Source::kHttp, gateway, std::move(fixes), [&](monitor::BatchResult r) {
    std::lock_guard lock(m);
    result = std::move(r);
    done = true;
    cv.notify_all();
  });
  std::unique_lock lock(m);
  cv.wait(lock, [&] { return done; });
  f_.fixes_refused += result.rejected.size();
  std::lock_guard guard(mu_);
  if (!result.rejected.empty() && f_.first_refusal.empty())
    f_.first_refusal =
        "fix: " + result.rejected.front().field + ": " + result.rejected.front().message;
  if (!result.status.ok() && f_.first_refusal.empty())
    f_.first_refusal = "fixes: " + result.status.ToString();
}

void Simulator::Impl::Pace(int64_t virtual_ms) const {
  if (o_.speed <= 0) return;
  auto due = wall_start_ +
             std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                 std::chrono::duration<double, std::milli>((virtual_ms - first_ms_) / o_.speed));
  while ((!o_.stop || !*o_.stop) && std::chrono::steady_clock::now() < due)
    std::this_thread::sleep_until(
        std::min(due, std::chrono::steady_clock::now() + std::chrono::milliseconds(200)));
}

double Simulator::Impl::Interval(Time a, Time b, double max_s, Pool& pool) {
  if (a.ms && b.ms && b.ms >= a.ms && (b.ms - a.ms) / 1000.0 <= max_s)
    return (b.ms - a.ms) / 1000.0;
  ++f_.drawn_intervals;
  if (pool.values.empty()) return pool.fallback;
  return pool.values[rng_() % pool.values.size()];
}

Status Simulator::Impl::BuildCalls(const std::vector<UnitResponse>& rows) {
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < rows.size(); ++i) {
    const UnitResponse& r = rows[i];
    auto [it, fresh] = index.emplace(r.call_number, calls_.size());
    if (fresh) calls_.push_back(Call{i, {}, {}, 0, 0, false, false, false, NAN});
    Call& c = calls_[it->second];
    if (r.received < rows[c.first].received) c.first = i;
    turnout_.Add(r.dispatch, r.response, 900);
    scene_.Add(r.on_scene, r.transport.ms ? r.transport : r.available, 4 * 3600);
    transport_.Add(r.transport, r.hospital, 2 * 3600);
    hospital_.Add(r.hospital, r.available, 4 * 3600);
    if (!r.on_scene.ms) cancel_.Add(r.dispatch, r.available, 2 * 3600);
    if (!r.dispatch.ms || r.unit_id.empty()) continue;
    int64_t at = std::max(r.dispatch.ms, r.received.ms);
    auto g = std::find_if(c.groups.begin(), c.groups.end(),
                          [&](const Group& x) { return x.at_ms == at; });
    if (g == c.groups.end()) {
      c.groups.push_back({at, {}});
      g = c.groups.end() - 1;
    }
    g->rows.push_back(i);
  }
  scene_.fallback = 900, transport_.fallback = 600, hospital_.fallback = 1200;
  cancel_.fallback = 120;
  for (Call& c : calls_) {
    std::sort(c.groups.begin(), c.groups.end(),
              [](const Group& a, const Group& b) { return a.at_ms < b.at_ms; });
    for (const Group& g : c.groups) f_.slots += g.rows.size();
  }
  std::stable_sort(calls_.begin(), calls_.end(), [&](const Call& a, const Call& b) {
    return rows[a.first].received < rows[b.first].received;
  });
  if (calls_.empty()) return InvalidArgument("no calls to simulate (after the area rule)", "calls");
  return Status::Ok();
}

Status Simulator::Impl::SeedFleet(const std::vector<UnitResponse>& rows) {
  std::vector<std::string> agencies;
  for (const UnitResponse& r : rows)
    for (const std::string* a : {&r.agency, &r.unit_agency})
      if (std::find(agencies.begin(), agencies.end(), *a) == agencies.end()) agencies.push_back(*a);
  std::sort(agencies.begin(), agencies.end());
  for (const std::string& a : agencies) {
    // Each agency's units report through a gateway of that agency (the positions lane).
    gateways_[a] = auth::Principal{auth::Principal::Kind::kGateway, o_.actor + "-avl-" + a,  a, {},
                                   Classification::kSecret,         {auth::Lane::kPositions}};
    bool exists = engine_.Read([&](const World& w) { return w.FindAgency(a) != nullptr; });
    if (!exists) Submit(RegisterAgency{Agency{a, a, AgencyKind(a)}});
  }
  WaitCommands();
  QuartersEstimate quarters = EstimateQuarters(o_.quarters_from ? *o_.quarters_from : rows);
  GraphArea area(routing_);
  std::map<std::pair<std::string, std::string>, const UnitResponse*> seen;  // (agency, callsign)
  for (const UnitResponse& r : rows) {
    if (r.unit_id.empty()) continue;
    auto [it, fresh] = seen.emplace(std::pair{r.unit_agency, r.unit_id}, &r);
    if (r.als) it->second = &r;
  }
  if (o_.quarters_from)  // posted units that answered none of the simulated calls
    for (const SimPosting& x : o_.postings)
      for (const UnitResponse& r : *o_.quarters_from)
        if (r.unit_agency == x.agency && r.unit_id == x.callsign) {
          seen.emplace(std::pair{r.unit_agency, r.unit_id}, &r);
          break;
        }
  for (const SimPosting& x : o_.postings) {
    auto snap = routing_.snapper().Nearest(x.post, 250);
    posting_snapped_.push_back(snap.ok() ? snap->on_road : x.post);
  }
  for (const auto& [key, r] : seen) {
    SimUnit u;
    u.agency = key.first;
    u.callsign = key.second;
    u.kind = r->unit_kind;
    u.als = r->als;
    LatLon q = quarters.by_unit[u.callsign];
    if (!area.Contains(q)) {  // based off the map: not part of this area's fleet
      ++f_.units_outside_area;
      continue;
    }
    // Standing on the road network: the snapped point (a unit is driven from there).
    auto snap = routing_.snapper().Nearest(q, 250);
    if (snap.ok()) q = snap->on_road;
    u.quarters = u.post = u.still = u.home = q;
    if (const SimPosting* x = PostingAt(u, now_ms_, SIZE_MAX))  // moved there at activation
      q = u.quarters = u.post = u.still = posting_snapped_[x - o_.postings.data()];
    std::vector<std::string> caps = {u.kind};
    if (u.als && u.kind == "ambulance") caps.push_back("als");
    const Unit* existing =
        engine_.Read([&](const World& w) { return w.FindUnitByCallsign(u.agency, u.callsign); });
    uint64_t id = existing ? existing->id.value : 0;
    if (!existing) {
      NCC_RETURN_IF_ERROR(SubmitAndWait(
          RegisterUnit{u.callsign, u.agency, u.kind, caps, "quarters estimated from the data", q},
          &id));
    }
    u.id = UnitId(id);
    unit_index_[u.id] = units_.size();
    units_.push_back(std::move(u));
  }
  f_.units = units_.size();
  return Status::Ok();
}

void Simulator::Impl::BuildZones() {
  // Demand points: every 600 m over the box of the calls, kept where a road is within 150 m.
  double lat0 = 90, lat1 = -90, lon0 = 180, lon1 = -180;
  for (const Call& c : calls_) {
    const LatLon& p = (*rows_)[c.first].location;
    lat0 = std::min(lat0, p.lat), lat1 = std::max(lat1, p.lat);
    lon0 = std::min(lon0, p.lon), lon1 = std::max(lon1, p.lon);
  }
  const double dlat = 600 / 111'320.0, dlon = dlat / std::cos(lat0 * M_PI / 180);
  std::vector<LatLon> points;
  for (double lat = lat0; lat <= lat1; lat += dlat)
    for (double lon = lon0; lon <= lon1; lon += dlon) {
      auto s = routing_.snapper().Nearest({lat, lon}, 150);
      if (s.ok()) points.push_back(s->on_road);
    }
  for (const char* cap : {"engine", "ambulance"}) {
    dispatch::CoverageZone z;
    z.id = std::string("sim-") + cap;
    z.name = std::string("calls' area, ") + cap + " within 4 minutes";
    z.capability = cap;
    z.minutes = 4;
    z.target = 0.9;
    z.points = points;
    zones_.push_back(std::move(z));
  }
}

std::vector<dispatch::UnitInfo> Simulator::Impl::FleetView() {
  std::vector<dispatch::UnitInfo> out;
  out.reserve(units_.size());
  engine_.Read([&](const World& w) {
    for (const SimUnit& su : units_) {
      const Unit* u = w.FindUnit(su.id);
      if (!u) continue;
      dispatch::UnitInfo info = dispatch::UnitInfo::Of(*u);
      out.push_back(std::move(info));
    }
    return 0;
  });
  for (dispatch::UnitInfo& info : out)  // the live position, as the lane has it
    if (auto live = lane_.Get(info.id)) info.position = live->position.position;
  return out;
}

const SimPosting* Simulator::Impl::PostingAt(const SimUnit& u, int64_t ms, size_t skip) const {
  for (size_t k = 0; k < o_.postings.size(); ++k) {
    const SimPosting& x = o_.postings[k];
    if (k != skip && x.agency == u.agency && x.callsign == u.callsign && x.from.ms <= ms &&
        ms < x.to.ms)
      return &x;
  }
  return nullptr;
}

void Simulator::Impl::SchedulePostings() {
  for (size_t k = 0; k < o_.postings.size(); ++k) {
    const SimPosting& x = o_.postings[k];
    auto it = std::find_if(units_.begin(), units_.end(), [&](const SimUnit& u) {
      return u.agency == x.agency && u.callsign == x.callsign;
    });
    if (it == units_.end()) {
      ++f_.postings_unmatched;
      continue;
    }
    const uint32_t ui = static_cast<uint32_t>(it - units_.begin());
    if (x.from.ms > now_ms_) queue_.Push(x.from.ms, kPostingStart, ui, k);
    if (x.to.ms > now_ms_ && x.to.ms > x.from.ms) queue_.Push(x.to.ms, kPostingEnd, ui, k);
  }
}

// The unit's quarters become `quarters`; an available unit drives there now, a busy one after
// its call (UnitFreed drives to its quarters).
void Simulator::Impl::GoToQuarters(SimUnit& u, LatLon quarters) {
  if (quarters.lat == u.quarters.lat && quarters.lon == u.quarters.lon) return;
  u.quarters = quarters;
  if (!IsAvailable(u.phase) || !CheckStep(u, Phase::kMovingUp).ok()) return;
  if (u.drive) u.still = u.PositionAt(now_ms_);
  u.drive.reset();
  ++u.epoch;  // the drive under way (home, or a move-up) ends nowhere now
  u.phase = Phase::kMovingUp;
  u.post = quarters;
  ++f_.posting_moves;
  StartDrive(u, quarters, kPostReached);
}

void Simulator::Impl::Sample() {
  std::vector<dispatch::UnitInfo> view;
  view.reserve(units_.size());
  for (const SimUnit& u : units_) {
    dispatch::UnitInfo info;
    info.id = u.id;
    info.callsign = u.callsign;
    info.agency = u.agency;
    info.kind = u.kind;
    if (u.kind == "ladder") info.capabilities.push_back("engine");
    info.status = IsAvailable(u.phase) ? UnitStatus::kAvailable : UnitStatus::kEnRoute;
    info.position = u.PositionAt(now_ms_);
    view.push_back(std::move(info));
  }
  auto coverage = dispatch::MeasureCoverage(o_.sample_zones, view, &routing_, 0, &sample_cache_);
  for (const dispatch::ZoneCoverage& zc : coverage)
    f_.coverage_samples.push_back({zc.zone->id, Time{now_ms_}, zc.fraction});
}

void Simulator::Impl::EnsureTick(int64_t now_ms) {
  if (tick_scheduled_) return;
  tick_scheduled_ = true;
  queue_.Push(now_ms + o_.fix_flush_ms, kTick, 0);
}

void Simulator::Impl::StartDrive(SimUnit& u, LatLon to, Kind on_end) {
  LatLon from = u.PositionAt(now_ms_);
  PlannedRoute r = planner_.Plan(from, to);
  if (!r.road) ++f_.route_fallbacks;
  u.drive = Drive(std::move(r.path), now_ms_, r.seconds);
  queue_.Push(u.drive->end_ms(), on_end, static_cast<uint32_t>(&u - units_.data()), u.epoch);
  EnsureTick(now_ms_);
}

void Simulator::Impl::Step(SimUnit& u, Phase to, UnitStatus status) {
  if (Status s = CheckStep(u, to); !s.ok()) {
    NoteRefusal(s.ToString());
    return;
  }
  u.phase = to;
  Submit(ChangeUnitStatus{u.id, status, ""});
}

void Simulator::Impl::Arrive(size_t c) {
  Call& call = calls_[c];
  const UnitResponse& r = (*rows_)[call.first];
  uint64_t* id = &call.incident.value;
  Submit(CreateIncident{r.type, r.ncc_priority, r.location, r.address, "",
                        r.call_type + " (call " + r.call_number + ")", r.agency,
                        Classification::kRestricted},
         id);
  if (r.entry.ms > r.received.ms && (call.groups.empty() || r.entry.ms < call.groups.front().at_ms))
    queue_.Push(r.entry.ms, kTriage, static_cast<uint32_t>(c));
  for (size_t g = 0; g < call.groups.size(); ++g)
    queue_.Push(call.groups[g].at_ms, kDecide, static_cast<uint32_t>(c), g);
  if (call.groups.empty()) queue_.Push(now_ms_ + 1000, kDecide, static_cast<uint32_t>(c), 0);
}

void Simulator::Impl::Decide(size_t c, size_t g) {
  Call& call = calls_[c];
  if (call.groups.empty()) {  // nobody was ever sent: the call is cancelled as in the record
    call.done = true;
    ++f_.cancelled;
    Submit(ChangeIncidentStatus{call.incident, IncidentStatus::kCancelled,
                                "no unit was sent in the record"});
    return;
  }
  WaitCommands();
  FlushFixes();
  const Group& group = call.groups[g];
  const UnitResponse& first = (*rows_)[call.first];
  Ask ask;
  ask.incident = {call.incident, first.type, first.ncc_priority, first.location};
  for (size_t row : group.rows) {
    ask.kinds.push_back((*rows_)[row].unit_kind);
    ask.real_units.push_back((*rows_)[row].unit_id);
  }
  std::vector<dispatch::UnitInfo> view = FleetView();
  Choice choice = policy_.Choose(ask, view);
  f_.substituted += choice.substituted;
  ++call.decided;
  if (choice.recommendation) Submit(std::move(*choice.recommendation));
  AssignUnits assign{call.incident, {}};
  std::vector<std::pair<SimUnit*, size_t>> sent;
  for (size_t s = 0; s < choice.units.size(); ++s) {
    if (!choice.units[s]) {
      ++f_.slots_unfilled;
      continue;
    }
    SimUnit& u = units_[unit_index_.at(*choice.units[s])];
    if (Status st = CheckStep(u, Phase::kDispatched); !st.ok()) {
      NoteRefusal(st.ToString());
      continue;
    }
    assign.units.push_back(u.id);
    sent.push_back({&u, group.rows[s]});
  }
  if (!sent.empty()) {
    Status s = SubmitAndWait(std::move(assign));
    if (!s.ok()) sent.clear();
  }
  std::vector<std::string> left_post;  // kinds of the units that left a post empty
  for (auto [u, row] : sent) {
    const UnitResponse& r = (*rows_)[row];
    if (u->phase == Phase::kAtPost) left_post.push_back(u->kind);
    u->still = u->PositionAt(now_ms_);
    u->drive.reset();
    u->phase = Phase::kDispatched;
    ++u->epoch;
    ++u->dispatches;
    u->call = static_cast<uint32_t>(c);
    u->row = row;
    u->post = u->quarters;
    ++call.open_units;
    call.assigned_any = true;
    uint32_t ui = static_cast<uint32_t>(u - units_.data());
    double turnout = Interval(r.dispatch, r.response, 900, turnout_);
    queue_.Push(now_ms_ + static_cast<int64_t>(turnout * 1000), kEnRoute, ui, u->epoch);
    if (!r.on_scene.ms) {
      double cancel = std::max(turnout + 1, Interval(r.dispatch, r.available, 2 * 3600, cancel_));
      queue_.Push(now_ms_ + static_cast<int64_t>(cancel * 1000), kCancelUnit, ui, u->epoch);
    }
  }
  if (!sent.empty() && policy_.moves_up()) {
    MoveUps(left_post);
  }
  CloseIfDone(c);
}

void Simulator::Impl::MoveUps(const std::vector<std::string>& kinds) {
  // Only the capabilities this dispatch took from a post can have lost coverage (a unit sent
  // while driving leaves no post empty).
  std::vector<dispatch::CoverageZone> zones;
  for (const dispatch::CoverageZone& z : zones_)
    if (std::find(kinds.begin(), kinds.end(), z.capability) != kinds.end()) zones.push_back(z);
  if (zones.empty()) return;
  WaitCommands();
  std::vector<dispatch::UnitInfo> view = FleetView();
  auto coverage = dispatch::MeasureCoverage(zones, view, &routing_, 3, &reach_cache_);
  for (const dispatch::ZoneCoverage& zc : coverage) {
    if (!zc.below()) continue;
    for (const dispatch::MoveUp& m : zc.move_ups) {
      SimUnit& u = units_[unit_index_.at(m.unit)];
      if (u.phase != Phase::kAtPost) continue;
      if (!CheckStep(u, Phase::kMovingUp).ok()) continue;
      u.phase = Phase::kMovingUp;
      u.post = m.to;
      ++f_.move_ups;
      StartDrive(u, m.to, kPostReached);
      break;
    }
  }
}

void Simulator::Impl::UnitFreed(SimUnit& u) {
  Step(u, Phase::kDrivingHome, UnitStatus::kAvailable);
  ++u.epoch;  // whatever was still scheduled for the call is void now
  u.post = u.quarters;
  StartDrive(u, u.quarters, kPostReached);
  uint32_t c = u.call;
  u.call = UINT32_MAX;
  if (c != UINT32_MAX) {
    --calls_[c].open_units;
    CloseIfDone(c);
  }
}

void Simulator::Impl::CloseIfDone(size_t c) {
  Call& call = calls_[c];
  if (call.done || call.open_units > 0 || call.decided < call.groups.size()) return;
  call.done = true;
  if (!call.assigned_any) {
    ++f_.cancelled;
    Submit(
        ChangeIncidentStatus{call.incident, IncidentStatus::kCancelled, "no unit could be sent"});
    return;
  }
  ++f_.resolved;
  Submit(ChangeIncidentStatus{call.incident, IncidentStatus::kResolved, "all units available"});
  Submit(ChangeIncidentStatus{call.incident, IncidentStatus::kClosed, ""});
}

void Simulator::Impl::Handle(const SimEvent& e) {
  if (e.kind == kArrive) return Arrive(e.subject);
  if (e.kind == kTriage) {
    Submit(ChangeIncidentStatus{calls_[e.subject].incident, IncidentStatus::kTriaged, ""});
    return;
  }
  if (e.kind == kDecide) return Decide(e.subject, e.arg);
  if (e.kind == kSample) return Sample();
  if (e.kind == kPostingStart) return GoToQuarters(units_[e.subject], posting_snapped_[e.arg]);
  if (e.kind == kPostingEnd) {
    SimUnit& u = units_[e.subject];
    const SimPosting* next = PostingAt(u, now_ms_, e.arg);
    return GoToQuarters(u, next ? posting_snapped_[next - o_.postings.data()] : u.home);
  }
  if (e.kind == kTick) {
    tick_scheduled_ = false;
    FlushFixes();
    for (const SimUnit& u : units_)
      if (u.drive) return EnsureTick(now_ms_);
    return;
  }
  SimUnit& u = units_[e.subject];
  if (e.arg != u.epoch) return;  // scheduled before the unit was sent elsewhere
  const UnitResponse& r = (*rows_)[u.row];
  switch (e.kind) {
    case kEnRoute:
      Step(u, Phase::kEnRoute, UnitStatus::kEnRoute);
      u.en_route_ms = now_ms_;
      StartDrive(u, (*rows_)[calls_[u.call].first].location, kOnScene);
      break;
    case kOnScene: {
      u.still = u.drive->destination();
      u.drive.reset();
      Step(u, Phase::kOnScene, UnitStatus::kOnScene);
      Call& call = calls_[u.call];
      if (!call.arrived) {
        call.arrived = true;
        call.first_travel_s = (now_ms_ - u.en_route_ms) / 1000.0;
        f_.first_unit_travel_s.push_back(call.first_travel_s);
      }
      if (!r.on_scene.ms) break;  // cancelled in the record: kCancelUnit frees it
      bool transports = r.transport.ms != 0;
      double scene = Interval(r.on_scene, transports ? r.transport : r.available, 4 * 3600, scene_);
      queue_.Push(now_ms_ + static_cast<int64_t>(scene * 1000),
                  transports ? kTransport : kAvailable, e.subject, u.epoch);
      break;
    }
    case kTransport: {
      Step(u, Phase::kTransporting, UnitStatus::kTransporting);
      double s = Interval(r.transport, r.hospital, 2 * 3600, transport_);
      queue_.Push(now_ms_ + static_cast<int64_t>(s * 1000), kAtHospital, e.subject, u.epoch);
      break;
    }
    case kAtHospital: {
      Step(u, Phase::kAtHospital, UnitStatus::kAtHospital);
      double s = Interval(r.hospital, r.available, 4 * 3600, hospital_);
      queue_.Push(now_ms_ + static_cast<int64_t>(s * 1000), kAvailable, e.subject, u.epoch);
      break;
    }
    case kAvailable:
      UnitFreed(u);
      break;
    case kCancelUnit:
      if (u.phase == Phase::kEnRoute) {
        u.still = u.PositionAt(now_ms_);
        u.drive.reset();
      }
      if (u.phase == Phase::kDispatched || u.phase == Phase::kEnRoute || u.phase == Phase::kOnScene)
        UnitFreed(u);
      break;
    case kPostReached:
      u.still = u.drive->destination();
      u.drive.reset();
      if (CheckStep(u, Phase::kAtPost).ok()) u.phase = Phase::kAtPost;
      break;
    default:
      break;
  }
}

StatusOr<SimFigures> Simulator::Impl::Run(const std::vector<UnitResponse>& rows) {
  auto started = std::chrono::steady_clock::now();
  rows_ = &rows;
  f_.policy = std::string(policy_.name());
  f_.seed = o_.seed;
  f_.unit_responses = rows.size();
  NCC_RETURN_IF_ERROR(BuildCalls(rows));
  f_.calls = calls_.size();
  first_ms_ = rows[calls_.front().first].received.ms;
  now_ms_ = first_ms_ - 60'000;  // the fleet is on duty a minute before the first call
  if (vclock_) vclock_->Set(Time{now_ms_});
  wall_start_ = std::chrono::steady_clock::now();
  wall_start_ms_ = clock_.Now().ms;
  NCC_RETURN_IF_ERROR(SeedFleet(rows));
  if (policy_.moves_up()) BuildZones();
  SchedulePostings();
  if (!o_.sample_zones.empty() && o_.sample_every_ms > 0)
    for (int64_t t = std::max(o_.sample_from.ms, now_ms_); t <= o_.sample_to.ms;
         t += o_.sample_every_ms)
      queue_.Push(t, kSample, 0);
  for (size_t c = 0; c < calls_.size(); ++c)
    queue_.Push(rows[calls_[c].first].received.ms, kArrive, static_cast<uint32_t>(c));
  size_t arrived = 0, report_every = std::max<size_t>(1, calls_.size() / 200);
  while (!queue_.empty()) {
    if (o_.stop && *o_.stop) break;
    const int64_t t = queue_.top().at_ms;
    Pace(t);
    GenerateFixes(t);
    now_ms_ = t;
    if (vclock_) vclock_->Set(Time{t});
    while (!queue_.empty() && queue_.top().at_ms == t) {
      SimEvent e = queue_.Pop();
      Handle(e);
      if (e.kind == kArrive && ++arrived % report_every == 0 && o_.progress)
        o_.progress({arrived, calls_.size(), Time{t}, engine_.log().LastSeq().value});
    }
    WaitCommands();
    if (now_ms_ - last_flush_ms_ >= o_.fix_flush_ms) FlushFixes();
  }
  FlushFixes();
  WaitCommands();
  for (const Call& c : calls_) {
    f_.calls_no_arrival += c.assigned_any && !c.arrived;
    const UnitResponse& r = rows[c.first];
    f_.outcomes.push_back({r.location, r.received, c.first_travel_s});
  }
  f_.route_fallbacks = planner_.fallbacks();
  f_.virtual_seconds = (now_ms_ - first_ms_) / 1000.0;
  f_.events = engine_.log().LastSeq().value;
  auto last = engine_.log().ReadAfter(Seq(f_.events ? f_.events - 1 : 0), 1);
  if (last.ok() && !last->empty()) f_.log_digest = HexOf(last->front().hash);
  f_.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (o_.progress) o_.progress({arrived, calls_.size(), Time{now_ms_}, f_.events});
  return f_;
}

Simulator::Simulator(Engine& engine, monitor::AvlLane& lane, const routing::RoutingService& routing,
                     const Clock& clock, SimClock* virtual_clock, Policy& policy,
                     SimOptions options)
    : impl_(std::make_unique<Impl>(engine, lane, routing, clock, virtual_clock, policy,
                                   std::move(options))) {}
Simulator::~Simulator() = default;
StatusOr<SimFigures> Simulator::Run(const std::vector<UnitResponse>& rows) {
  return impl_->Run(rows);
}

}  // namespace ncc::sim
