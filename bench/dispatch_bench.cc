// ncc-bench-dispatch: recommendation latency and quality (docs/benchmarks.md).
//
// Latency: 5,000 units and 200 open incidents (1,000 of the units committed to them) on the
// largest real extract (andorra.osm.pbf by node count); one recommendation per incident with
// the shipped plans, as the server computes it (copy the plan's units out of the World, road
// times with the early stop, assignment). Same-run baselines: the same recommender with the
// travel search run to the end (no early stop), and with straight-line times.
//
// Quality: real SFFD calls of April 2020 inside the sf-north extract. Unit positions are what
// the data implies (see docs/benchmarks.md): engines and trucks wait at their station (the
// centroid of the calls of the station area their id names, E32 -> area 32); medic units, which
// roam, stand where their last call was; a unit is busy from its dispatch to its available
// time in the data. For each call whose first unit was an engine, a truck or a medic, we
// recommend one unit of that kind by road ETA and compare with the straight-line-nearest
// available unit of that kind, both measured by road.
//
//   ncc-bench-dispatch [--data DIR] [--plans DIR] [--max-calls N]
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <deque>
#include <iostream>
#include <map>
#include <random>

#include "dispatch/recommender.h"
#include "routing/importer.h"
#include "sim/sf_calls.h"

namespace ncc::dispatch {
namespace {

using SteadyClock = std::chrono::steady_clock;

// On-CPU time of this thread: the machine these figures come from is shared (load ~10 on 2
// cores), so wall-clock tails are mostly time spent waiting for a core; both are reported.
double ThreadCpuMs() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))];
}
double Mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0 : s / v.size();
}

std::unique_ptr<routing::RoutingService> Load(const std::string& osm) {
  routing::ImportOptions opt;
  opt.show_progress = false;
  auto built = routing::BuildFromOsm(osm, opt);
  if (!built.ok()) {
    std::cerr << osm << ": " << built.status().ToString() << "\n";
    return nullptr;
  }
  auto g = routing::RoadGraph::FromBytes(routing::RoadGraph::Serialize(built->arrays));
  if (!g.ok()) return nullptr;
  return std::make_unique<routing::RoutingService>(std::move(*g), routing::RoutingOptions{500});
}

// Runs the inner search to the end: the baseline for the early stop.
class NoEarlyStop final : public TravelTimes {
 public:
  explicit NoEarlyStop(const TravelTimes& inner) : inner_(inner) {}
  Status ToIncident(LatLon incident, std::span<const UnitPosition> units, std::vector<Travel>& out,
                    const Progress&) const override {
    return inner_.ToIncident(incident, units, out, {});
  }
  std::string_view name() const override { return "road (no early stop)"; }

 private:
  const TravelTimes& inner_;
};

// What DispatchService::Recommend does, over a plain deque of Units instead of the engine.
Recommendation RecommendLikeServer(const Incident& i, const std::deque<Unit>& world_units,
                                   const PlanSet& plans, const TravelTimes& travel) {
  std::vector<UnitInfo> units;
  const PlanMatcher matcher(*plans.For(i.type).plan, plans);
  for (const Unit& u : world_units) {
    if (u.status == UnitStatus::kOutOfService && !u.position) continue;
    if (matcher.Relevant(u.kind, u.capabilities, u.agency)) units.push_back(UnitInfo::Of(u));
  }
  return Recommend(IncidentInfo::Of(i), units, plans, travel);
}

void LatencyBench(const std::string& osm, const PlanSet& plans) {
  auto routing = Load(osm);
  if (!routing) return;
  const routing::RoadGraph& g = routing->graph();
  std::mt19937 rng(42);
  auto random_point = [&] {
    LatLon p = g.Position(rng() % g.node_count());
    return LatLon{p.lat + (static_cast<int>(rng() % 100) - 50) * 1e-6,
                  p.lon + (static_cast<int>(rng() % 100) - 50) * 1e-6};
  };
  struct Kind {
    const char* kind;
    const char* agency;
    int count;
  };
  const Kind kinds[] = {{"engine", "civil_defence", 1300},    {"ladder", "civil_defence", 400},
                        {"ambulance", "ambulance", 1000},     {"ambulance_als", "ambulance", 300},
                        {"patrol", "police", 1500},           {"boat", "coast_guard", 100},
                        {"security", "private_security", 400}};
  std::deque<Unit> units;
  for (const Kind& k : kinds)
    for (int n = 0; n < k.count; ++n) {
      Unit& u = units.emplace_back();
      u.id = UnitId(units.size());
      u.callsign = std::string(k.kind) + "-" + std::to_string(n);
      u.kind = k.kind;
      u.agency = k.agency;
      u.position = random_point();
    }
  const char* types[] = {
      "fire.structure",  "medical.cardiac",    "police.robbery", "traffic.collision.injury",
      "marine.distress", "security.intrusion", "medical.fall",   "unknown.type"};
  std::vector<Incident> incidents(200);
  for (size_t k = 0; k < incidents.size(); ++k) {
    incidents[k].id = IncidentId(k + 1);
    incidents[k].type = types[k % std::size(types)];
    incidents[k].priority = 1 + k % 3;
    incidents[k].location = random_point();
  }
  // 200 open incidents hold 1,000 units (5 each), spread over the fleet.
  for (size_t k = 0; k < 1000; ++k) {
    Unit& u = units[(k * 7919) % units.size()];
    u.status = UnitStatus::kOnScene;
    u.incident = IncidentId(k % 200 + 1);
  }
  RoadTravelTimes road(*routing);
  NoEarlyStop full(road);
  StraightLineTravelTimes line;
  std::map<std::string, std::vector<double>> by_type;  // road, early stop: where the tail is
  std::vector<double> cpu;
  auto measure = [&](const TravelTimes& travel, int rounds, size_t* chosen_total) {
    std::vector<double> ms;
    cpu.clear();
    for (int r = 0; r < rounds; ++r)
      for (const Incident& i : incidents) {
        auto t0 = SteadyClock::now();
        double c0 = ThreadCpuMs();
        Recommendation rec = RecommendLikeServer(i, units, plans, travel);
        cpu.push_back(ThreadCpuMs() - c0);
        ms.push_back(std::chrono::duration<double, std::milli>(SteadyClock::now() - t0).count());
        if (chosen_total) {
          *chosen_total += rec.chosen.size();
          by_type[i.type].push_back(ms.back());
        }
      }
    return ms;
  };
  if (std::getenv("NCC_BENCH_DEBUG"))
    for (int k = 0; k < 3; ++k)
      std::cerr << incidents[k].location.lat << "," << incidents[k].location.lon << " "
                << RecommendLikeServer(incidents[k], units, plans, road).ToJson().dump(1) << "\n";
  auto cold = measure(road, 1, nullptr);  // snaps 5,000 units on first sight
  auto cold_cpu = cpu;
  size_t chosen = 0;
  auto warm = measure(road, 5, &chosen);
  auto warm_cpu = cpu;
  auto exhaustive = measure(full, 5, nullptr);
  auto exhaustive_cpu = cpu;
  auto straight = measure(line, 5, nullptr);
  auto straight_cpu = cpu;
  double load[3] = {0, 0, 0};
  getloadavg(load, 3);
  std::printf("\n### Recommendation latency: %s (%u nodes), 5,000 units, 200 open incidents\n\n",
              osm.substr(osm.rfind('/') + 1).c_str(), g.node_count());
  std::printf("Load average during the run: %.1f (2 cores).\n\n", load[0]);
  std::printf(
      "| travel times | samples | p50 ms | p99 ms | mean ms | CPU p50 ms | CPU p99 ms |\n"
      "|---|---|---|---|---|---|---|\n");
  auto row = [](const char* name, const std::vector<double>& v, const std::vector<double>& c) {
    std::printf("| %s | %zu | %.3f | %.3f | %.3f | %.3f | %.3f |\n", name, v.size(),
                Percentile(v, 0.5), Percentile(v, 0.99), Mean(v), Percentile(c, 0.5),
                Percentile(c, 0.99));
  };
  row("road, early stop (ncc; snaps cached)", warm, warm_cpu);
  row("road, early stop, first sight (snapping every unit)", cold, cold_cpu);
  row("road, search to the end (baseline)", exhaustive, exhaustive_cpu);
  row("straight line", straight, straight_cpu);
  std::printf("\nBy incident type (road, early stop): ");
  for (const auto& [type, v] : by_type)
    std::printf("%s p50 %.3f / p99 %.3f ms; ", type.c_str(), Percentile(v, 0.5),
                Percentile(v, 0.99));
  std::printf(
      "\nUnits recommended per incident: %.2f. Early stop speed-up over the full search: "
      "p50 %.1fx, p99 %.1fx.\n",
      double(chosen) / warm.size(), Percentile(exhaustive, 0.5) / Percentile(warm, 0.5),
      Percentile(exhaustive, 0.99) / Percentile(warm, 0.99));
}

// ---- Quality on the SF calls ----

struct UnitHistory {
  std::string kind;                            // engine | ladder | ambulance
  std::vector<std::pair<Time, Time>> busy;     // dispatch .. available
  std::vector<std::pair<Time, LatLon>> calls;  // dispatch time, call location
  std::string home_area;
};

std::string KindOf(const std::string& unit_type) {
  if (unit_type == "ENGINE") return "engine";
  if (unit_type == "TRUCK") return "ladder";
  if (unit_type == "MEDIC") return "ambulance";
  return "";
}

void QualityBench(const std::string& osm, const std::string& calls_csv, const PlanSet&,
                  size_t max_calls) {
  auto routing = Load(osm);
  if (!routing) return;
  auto rows = ReadSfCalls(calls_csv);
  if (!rows.ok()) {
    std::cerr << rows.status().ToString() << "\n";
    return;
  }
  // Station areas: the centroid of their calls (the data gives no station coordinates).
  std::map<std::string, std::pair<LatLon, int>> area_sum;
  for (const UnitResponse& r : *rows) {
    auto& [sum, n] = area_sum[r.station];
    sum.lat += r.location.lat, sum.lon += r.location.lon, ++n;
  }
  std::map<std::string, UnitHistory> hist;
  for (const UnitResponse& r : *rows) {
    std::string kind = KindOf(r.unit_type);
    if (kind.empty() || !r.dispatch.ms) continue;
    UnitHistory& h = hist[r.unit_id];
    h.kind = kind;
    h.busy.push_back({r.dispatch, r.available.ms ? r.available : Time{r.dispatch.ms + 3600'000}});
    h.calls.push_back({r.dispatch, r.location});
    if (kind != "ambulance" && r.unit_id.size() > 1)
      h.home_area = r.unit_id.substr(1);  // E32 -> 32
  }
  for (auto& [id, h] : hist) {
    std::sort(h.busy.begin(), h.busy.end());
    std::sort(h.calls.begin(), h.calls.end(), [](auto& a, auto& b) { return a.first < b.first; });
  }
  auto position_at = [&](const UnitHistory& h, Time t) -> std::optional<LatLon> {
    if (h.kind != "ambulance") {
      auto it = area_sum.find(h.home_area);
      if (it == area_sum.end() || it->second.second < 20) return std::nullopt;
      return LatLon{it->second.first.lat / it->second.second,
                    it->second.first.lon / it->second.second};
    }
    auto it = std::lower_bound(h.calls.begin(), h.calls.end(), t,
                               [](const auto& c, Time x) { return c.first < x; });
    if (it == h.calls.begin()) return std::nullopt;  // not seen yet
    return std::prev(it)->second;
  };
  auto busy_at = [](const UnitHistory& h, Time t) {
    for (const auto& [a, b] : h.busy)
      if (a <= t && t < b) return true;
    return false;
  };
  // Calls: first unit of each call, inside the extract (snaps within 100 m).
  // The first unit dispatched to each call decides the kind asked for.
  std::map<std::string, const UnitResponse*> first_of;
  std::vector<const UnitResponse*> firsts;
  for (const UnitResponse& r : *rows) {
    auto [it, fresh] = first_of.emplace(r.call_number, &r);
    if (fresh)
      firsts.push_back(&r);
    else if (r.dispatch.ms && (!it->second->dispatch.ms || r.dispatch < it->second->dispatch))
      it->second = &r;
  }
  std::sort(firsts.begin(), firsts.end(),
            [](auto* a, auto* b) { return a->received < b->received; });
  auto plans_text =
      "[plan default]\nneed = 1 engine\ntarget.* = 60 60 8m\n"
      "[plan q.engine]\nneed = 1 engine\n[plan q.ladder]\nneed = 1 ladder\n"
      "[plan q.ambulance]\nneed = 1 ambulance\n";
  auto qplans = PlanSet::Parse(plans_text, "quality");
  RoadTravelTimes road(*routing);
  std::vector<double> rec_eta, line_eta, sent_eta;
  size_t differ = 0, used = 0, outside = 0;
  std::vector<double> rec_ms;
  for (const UnitResponse* call : firsts) {
    if (used >= max_calls) break;
    // The first unit actually dispatched to this call decides the kind asked for.
    const UnitResponse* first = first_of[call->call_number];
    std::string kind = KindOf(first->unit_type);
    if (kind.empty()) continue;
    if (!routing->snapper().Nearest(call->location, 100).ok()) {
      ++outside;
      continue;
    }
    Time t = call->received;
    std::vector<UnitInfo> units;
    for (const auto& [id, h] : hist) {
      if (h.kind != kind || busy_at(h, t)) continue;
      auto p = position_at(h, t);
      if (!p || !routing->snapper().Nearest(*p, 300).ok()) continue;  // outside the extract
      UnitInfo u;
      u.id = UnitId(std::hash<std::string>{}(id) | 1);
      u.callsign = id;
      u.kind = kind;
      u.agency = "sffd";
      u.position = p;
      units.push_back(std::move(u));
    }
    if (units.size() < 2) continue;
    auto t0 = SteadyClock::now();
    Recommendation rec =
        Recommend({IncidentId(1), "q." + kind, 2, call->location}, units, *qplans, road);
    rec_ms.push_back(std::chrono::duration<double, std::milli>(SteadyClock::now() - t0).count());
    if (rec.chosen.empty()) continue;
    // Baseline: the straight-line-nearest available unit, timed by road.
    size_t nearest = 0;
    for (size_t k = 1; k < units.size(); ++k)
      if (DistanceMeters(*units[k].position, call->location) <
          DistanceMeters(*units[nearest].position, call->location))
        nearest = k;
    std::vector<UnitPosition> one = {{units[nearest].id, *units[nearest].position}};
    std::vector<Travel> tt;
    if (!road.ToIncident(call->location, one, tt).ok() || !tt[0].reached()) continue;
    ++used;
    rec_eta.push_back(rec.chosen[0].travel_s);
    line_eta.push_back(tt[0].seconds);
    differ += rec.chosen[0].unit != units[nearest].id;
    // The unit SFFD sent first, when our position model has it available.
    for (const UnitInfo& u : units)
      if (u.callsign == first->unit_id) {
        std::vector<UnitPosition> s = {{u.id, *u.position}};
        if (road.ToIncident(call->location, s, tt).ok() && tt[0].reached())
          sent_eta.push_back(tt[0].seconds);
      }
  }
  std::printf("\n### Recommendation quality: SFFD calls, April 2020, inside %s\n\n",
              osm.substr(osm.rfind('/') + 1).c_str());
  std::printf(
      "%zu calls (first unit an engine, truck or medic; %zu calls outside the extract skipped); "
      "road travel time to the call of the first unit:\n\n",
      used, outside);
  std::printf("| choice | mean s | P90 s |\n|---|---|---|\n");
  std::printf("| ncc recommendation (road ETA) | %.1f | %.1f |\n", Mean(rec_eta),
              Percentile(rec_eta, 0.9));
  std::printf("| straight-line nearest (baseline) | %.1f | %.1f |\n", Mean(line_eta),
              Percentile(line_eta, 0.9));
  std::printf("| unit SFFD sent first, when modelled available (%zu calls) | %.1f | %.1f |\n",
              sent_eta.size(), Mean(sent_eta), Percentile(sent_eta, 0.9));
  std::printf(
      "\nThe recommendation picked another unit than the straight-line nearest in %zu of %zu calls "
      "(%.1f %%); mean gain %.1f s (%.1f %%), P90 gain %.1f s. Recommendation p50 %.3f ms, p99 "
      "%.3f ms.\n",
      differ, used, 100.0 * differ / std::max<size_t>(1, used), Mean(line_eta) - Mean(rec_eta),
      100 * (Mean(line_eta) - Mean(rec_eta)) / std::max(1e-9, Mean(line_eta)),
      Percentile(line_eta, 0.9) - Percentile(rec_eta, 0.9), Percentile(rec_ms, 0.5),
      Percentile(rec_ms, 0.99));
}

}  // namespace
}  // namespace ncc::dispatch

int main(int argc, char** argv) {
  using namespace ncc::dispatch;
  CLI::App app{"ncc dispatch benchmark"};
  const char* env = std::getenv("NCC_DATA_DIR");
  std::string data = env ? env : "../shared/data";
  std::string plans_path = NCC_SOURCE_DIR "/config/plans";
  size_t max_calls = 3000;
  app.add_option("--data", data, "data folder with osm/ and calls/");
  app.add_option("--plans", plans_path, "response plans");
  app.add_option("--max-calls", max_calls, "calls evaluated for quality");
  CLI11_PARSE(app, argc, argv);
  auto plans = PlanSet::Load(plans_path);
  if (!plans.ok()) {
    std::cerr << plans.status().ToString() << "\n";
    return 1;
  }
  std::printf("## Dispatch (ncc-bench-dispatch)\n");
  LatencyBench(data + "/osm/andorra.osm.pbf", *plans);
  QualityBench(data + "/osm/sf-north-2020.osm",
               data + "/calls/sf_fire_calls_for_service_2020-04.csv", *plans, max_calls);
  return 0;
}
