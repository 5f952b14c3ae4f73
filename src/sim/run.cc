#include "sim/run.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "install/shipped.h"
#include "sim/sharding.h"
#include "store/snapshot_store.h"
#include "store/sqlite/sqlite_event_log.h"

namespace ncc::sim {
namespace {

// The shipped file, else `relative` as given (so the error names what was looked for).
std::string ShippedOr(const std::string& relative) {
  std::string found = install::FindShipped(relative);
  return found.empty() ? relative : found;
}

Status PrepareOut(const std::string& out, bool overwrite) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(out + "/events.db", ec)) {
    if (!overwrite)
      return FailedPrecondition(out +
                                    " already holds a run (events.db): give another --out, or "
                                    "--overwrite to replace it",
                                "out");
    fs::remove_all(out, ec);
  }
  fs::create_directories(out, ec);
  if (ec) return Unavailable("cannot create " + out + ": " + ec.message());
  fs::permissions(out, fs::perms::owner_all, fs::perm_options::replace, ec);
  return Status::Ok();
}

void AddRealFigures(const std::vector<UnitResponse>& rows, nlohmann::json& j) {
  RealTravel real = RealFirstUnitTravel(rows);
  size_t within = 0;
  for (double s : real.first_unit_travel_s) within += s <= 240;
  auto num = [](double v) {
    return std::isnan(v) ? nlohmann::json(nullptr) : nlohmann::json(std::round(v * 10) / 10);
  };
  j["real_first_unit_travel_p50_s"] = num(Percentile(real.first_unit_travel_s, 0.5));
  j["real_first_unit_travel_p90_s"] = num(Percentile(real.first_unit_travel_s, 0.9));
  j["real_within_240s_pct"] = num(
      real.first_unit_travel_s.empty() ? NAN : 100.0 * within / real.first_unit_travel_s.size());
  j["real_first_unit_dispatch_to_scene_p50_s"] =
      num(Percentile(real.first_unit_dispatch_to_scene_s, 0.5));
  j["real_first_unit_dispatch_to_scene_p90_s"] =
      num(Percentile(real.first_unit_dispatch_to_scene_s, 0.9));
  j["real_impossible_order_rows"] = real.impossible_order;
}

}  // namespace

std::vector<UnitResponse> FirstCalls(std::vector<UnitResponse> rows, size_t n) {
  std::set<std::string> kept;
  std::vector<UnitResponse> out;
  for (UnitResponse& r : rows) {
    if (!kept.count(r.call_number)) {
      if (kept.size() >= n) continue;
      kept.insert(r.call_number);
    }
    out.push_back(std::move(r));
  }
  return out;
}

StatusOr<std::vector<UnitResponse>> CallsFromLog(const std::string& data_dir) {
  auto log = SqliteEventLog::OpenReadOnly(data_dir + "/events.db");
  if (!log.ok()) return log.status();
  struct UnitSeen {
    std::string callsign, kind, agency;
    bool als = false;
  };
  std::map<uint64_t, UnitSeen> units;
  std::map<uint64_t, size_t> call_first;  // incident -> a row of its (the call's template)
  std::vector<UnitResponse> calls;        // one template per incident
  std::map<std::pair<uint64_t, uint64_t>, size_t> response;  // (incident, unit) -> row
  std::vector<UnitResponse> rows;
  Seq after;
  for (;;) {
    auto chunk = (*log)->ReadAfter(after, 10'000);
    if (!chunk.ok()) return chunk.status();
    if (chunk->empty()) break;
    for (const StoredEvent& stored : *chunk) {
      after = stored.seq;
      auto e = Decode(stored);
      if (!e.ok()) return e.status();
      const Time t = e->meta.time;
      if (auto* u = std::get_if<UnitRegistered>(&e->body)) {
        bool als = std::find(u->capabilities.begin(), u->capabilities.end(), "als") !=
                   u->capabilities.end();
        units[u->id.value] = {u->callsign, u->kind, e->meta.agency, als};
      } else if (auto* c = std::get_if<IncidentCreated>(&e->body)) {
        UnitResponse r;
        r.call_number = std::to_string(c->id.value);
        r.call_type = c->summary.empty() ? c->type : c->summary;
        r.type = c->type;
        r.ncc_priority = c->priority;
        r.location = c->location;
        r.address = c->address;
        r.agency = e->meta.agency;
        r.received = t;
        call_first[c->id.value] = calls.size();
        calls.push_back(std::move(r));
      } else if (auto* s = std::get_if<IncidentStatusChanged>(&e->body)) {
        auto it = call_first.find(s->id.value);
        if (it != call_first.end() && s->to == IncidentStatus::kTriaged &&
            !calls[it->second].entry.ms)
          calls[it->second].entry = t;
      } else if (auto* a = std::get_if<UnitAssigned>(&e->body)) {
        auto it = call_first.find(a->incident.value);
        if (it == call_first.end() || !units.count(a->unit.value)) continue;
        UnitResponse r = calls[it->second];
        const UnitSeen& seen_unit = units[a->unit.value];
        r.unit_id = seen_unit.callsign;
        r.unit_kind = r.unit_type = seen_unit.kind;
        r.unit_agency = seen_unit.agency;
        r.als = seen_unit.als;
        r.dispatch = t;
        response[{a->incident.value, a->unit.value}] = rows.size();
        rows.push_back(std::move(r));
      } else if (auto* us = std::get_if<UnitStatusChanged>(&e->body)) {
        auto it = response.find({us->incident.value, us->id.value});
        if (it == response.end()) continue;
        UnitResponse& r = rows[it->second];
        Time* step = us->to == UnitStatus::kEnRoute        ? &r.response
                     : us->to == UnitStatus::kOnScene      ? &r.on_scene
                     : us->to == UnitStatus::kTransporting ? &r.transport
                     : us->to == UnitStatus::kAtHospital   ? &r.hospital
                     : us->to == UnitStatus::kAvailable    ? &r.available
                                                           : nullptr;
        if (step && !step->ms) *step = t;
      }
    }
  }
  // Calls nobody was sent to still count (they are cancelled in the run, as they were).
  std::set<std::string> with_rows;
  for (const UnitResponse& r : rows) with_rows.insert(r.call_number);
  for (UnitResponse& c : calls)
    if (!with_rows.count(c.call_number)) rows.push_back(std::move(c));
  if (rows.empty())
    return InvalidArgument(data_dir + "/events.db records no incident with a location", "from-log");
  std::stable_sort(rows.begin(), rows.end(), [](const UnitResponse& a, const UnitResponse& b) {
    return a.received < b.received;
  });
  return rows;
}

StatusOr<std::vector<UnitResponse>> ReadCalls(const RunConfig& c, MappedReadStats* stats) {
  if (!c.from_log.empty()) return CallsFromLog(c.from_log);
  std::string mapping_path =
      c.mapping.empty() ? ShippedOr("config/mappings/sf-fire.json") : c.mapping;
  auto mapping = LoadCallMapping(mapping_path);
  if (!mapping.ok()) return mapping.status();
  NCC_RETURN_IF_ERROR(mapping->CheckDispatchable(mapping_path));
  if (c.calls.empty())
    return InvalidArgument("--calls FILE (or --from-log DATA) is required", "calls");
  return ReadMappedCalls(c.calls, *mapping, stats);
}

StatusOr<RunOutcome> RunSimulation(const RunConfig& c) {
  if (c.graph.empty())
    return InvalidArgument("--graph is required (from `ncc import-osm`)", "graph");
  if (c.out.empty()) return InvalidArgument("--out RUN is required", "out");
  auto routing = routing::RoutingService::Open(c.graph);
  if (!routing.ok()) return routing.status();
  auto made = MakePolicy(c.policy, **routing);
  if (!made.ok()) return made.status();
  std::unique_ptr<Policy> policy = std::move(*made);
  ShardedPolicy* sharded = nullptr;
  if (c.shards != 0) {  // a negative count is refused, not taken for "off"
    auto s = MakeShardedPolicy(std::move(policy), c.shards, c.shard_aid);
    if (!s.ok()) return s.status();
    sharded = s->get();
    policy = std::move(*s);
  }
  MappedReadStats read;
  auto rows = c.rows ? StatusOr<std::vector<UnitResponse>>(*c.rows) : ReadCalls(c, &read);
  if (!rows.ok()) return rows.status();
  size_t calls_read = 0;
  {
    std::set<std::string> seen;
    for (const UnitResponse& r : *rows) seen.insert(r.call_number);
    calls_read = seen.size();
  }
  // Quarters are estimated from every row.
  const std::vector<UnitResponse> all = c.all_rows ? *c.all_rows : *rows;
  AreaFilter area = RestrictToGraph(std::move(*rows), **routing);
  if (c.limit_calls) area.kept = FirstCalls(std::move(area.kept), c.limit_calls);
  NCC_RETURN_IF_ERROR(PrepareOut(c.out, c.overwrite));

  auto log = SqliteEventLog::OpenUnsynced(c.out + "/events.db");
  if (!log.ok()) return log.status();
  SimClock clock(Time{area.kept.empty() ? 0 : area.kept.front().received.ms - 120'000});
  EngineOptions eo;
  auto engine = Engine::Open(std::move(*log), std::make_unique<SnapshotStore>(c.out + "/snapshots"),
                             clock, eo);
  if (!engine.ok()) return engine.status();
  monitor::LaneOptions lo;
  lo.track_path = c.out + "/tracks.ncctrk";
  lo.track_file.fdatasync = [](int) { return 0; };  // a run is made again from its inputs
  lo.stale_after_ms = 0;                            // staleness would depend on wall time
  lo.index.reference_lat = area.kept.empty() ? 0 : area.kept.front().location.lat;
  auto lane = monitor::AvlLane::Open(**engine, clock, lo);
  if (!lane.ok()) return lane.status();
  SimOptions so;
  so.seed = c.seed;
  so.speed = c.speed;
  so.progress = c.progress;
  so.quarters_from = &all;
  so.postings = c.postings;
  so.sample_zones = c.sample_zones;
  so.sample_every_ms = c.sample_every_ms;
  so.sample_from = c.sample_from;
  so.sample_to = c.sample_to;
  Simulator sim(**engine, **lane, **routing, clock, &clock, *policy, so);
  auto figures = sim.Run(area.kept);
  (*lane)->Stop();
  (*engine)->Stop();
  if (!figures.ok()) return figures.status();
  RunOutcome out;
  out.figures = std::move(*figures);
  out.json = out.figures.ToJson();
  out.json["calls_read"] = calls_read;
  out.json["calls_outside_area"] = area.calls_outside;
  out.json["rows_outside_area"] = area.rows_outside;
  out.json["area_rule"] =
      "call location inside the graph's bounding box and within 250 m of a road";
  out.json["rows_skipped_no_location"] = read.no_location;
  out.json["rows_skipped_no_received"] = read.no_received;
  AddRealFigures(area.kept, out.json);
  if (sharded) out.json["sharding"] = sharded->Figures(out.figures);
  std::ofstream(c.out + "/run.json") << out.json.dump() << "\n";
  return out;
}

}  // namespace ncc::sim
