#include "sim/call_replay.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <thread>

namespace ncc {
namespace {

const char* kActor = "replay";

std::string AgencyFor(const UnitResponse& r) {
  return r.unit_type == "PRIVATE" ? "ems_private" : "sffd";
}

std::string KindFor(const std::string& unit_type) {
  static const std::map<std::string, std::string> kKinds = {{"ENGINE", "engine"},
                                                            {"TRUCK", "ladder"},
                                                            {"MEDIC", "ambulance"},
                                                            {"PRIVATE", "ambulance"},
                                                            {"CHIEF", "command"},
                                                            {"SUPPORT", "support"},
                                                            {"RESCUE CAPTAIN", "rescue_captain"},
                                                            {"RESCUE SQUAD", "rescue"},
                                                            {"INVESTIGATION", "investigation"}};
  auto it = kKinds.find(unit_type);
  return it == kKinds.end() ? "other" : it->second;
}

}  // namespace

std::vector<ReplayStep> BuildReplay(const std::vector<UnitResponse>& rows) {
  std::vector<ReplayStep> steps;
  std::map<std::string, size_t> first_row_of_call;
  std::map<std::string, Time> call_ends;
  using K = ReplayStep::Kind;
  for (size_t i = 0; i < rows.size(); ++i) {
    const UnitResponse& r = rows[i];
    auto [it, fresh] = first_row_of_call.emplace(r.call_number, i);
    if (fresh) {
      steps.push_back({r.received, K::kCreate, i});
      if (r.entry.ms) steps.push_back({r.entry, K::kTriage, i});
    }
    if (!r.dispatch.ms) continue;
    steps.push_back({r.dispatch, K::kAssign, i});
    if (r.response.ms) steps.push_back({r.response, K::kEnRoute, i});
    if (r.on_scene.ms) steps.push_back({r.on_scene, K::kOnScene, i});
    if (r.transport.ms) steps.push_back({r.transport, K::kTransport, i});
    if (r.hospital.ms) steps.push_back({r.hospital, K::kHospital, i});
    Time end = r.available.ms ? r.available : r.dispatch;
    if (r.available.ms) steps.push_back({r.available, K::kAvailable, i});
    Time& call_end = call_ends[r.call_number];
    call_end = std::max(call_end, end);
  }
  for (const auto& [call, end] : call_ends)
    steps.push_back({Time{end.ms + 1}, K::kClose, first_row_of_call[call]});
  std::stable_sort(steps.begin(), steps.end(), [](const ReplayStep& a, const ReplayStep& b) {
    return a.at != b.at ? a.at < b.at : static_cast<int>(a.kind) < static_cast<int>(b.kind);
  });
  return steps;
}

Status SeedAgenciesAndUnits(Engine& engine, const std::vector<UnitResponse>& rows) {
  const Agency agencies[] = {{"sffd", "San Francisco Fire Department", "fire"},
                             {"ems_private", "Private ambulance providers", "ambulance"},
                             {"police", "Police", "police"},
                             {"civil_defence", "Civil Defence", "civil_defence"},
                             {"coast_guard", "Coast Guard", "coast_guard"}};
  for (const Agency& a : agencies) {
    bool exists = engine.Read([&](const World& w) { return w.FindAgency(a.code) != nullptr; });
    if (exists) continue;
    auto o = engine.SubmitAndWait(RegisterAgency{a}, kActor, a.code);
    if (!o.status.ok()) return o.status;
  }
  std::map<std::string, const UnitResponse*> units;
  for (const UnitResponse& r : rows) {
    auto [it, fresh] = units.emplace(r.unit_id, &r);
    if (r.als) it->second = &r;  // remember that the unit works at ALS level
  }
  for (const auto& entry : units) {
    const std::string& callsign = entry.first;  // named, not bound: lambdas capture it (clang 14)
    const UnitResponse* r = entry.second;
    bool exists = engine.Read(
        [&](const World& w) { return w.FindUnitByCallsign(AgencyFor(*r), callsign) != nullptr; });
    if (exists) continue;
    std::string kind = KindFor(r->unit_type);
    std::vector<std::string> caps = {kind};
    if (r->als && kind == "ambulance") caps.push_back("als");
    auto o = engine.SubmitAndWait(
        RegisterUnit{callsign, AgencyFor(*r), kind, caps, "station " + r->station, std::nullopt},
        kActor, AgencyFor(*r));
    if (!o.status.ok()) return o.status;
  }
  return Status::Ok();
}

ReplayStats RunReplay(Engine& engine, const std::vector<UnitResponse>& rows,
                      const std::vector<ReplayStep>& steps, double speed, Clock& clock,
                      const std::atomic<bool>& stop, const std::function<void(Time)>& before_step) {
  ReplayStats stats;
  if (steps.empty()) return stats;
  std::map<std::string, IncidentId> incident_of_call;
  auto unit_of = [&](const UnitResponse& r) {
    return engine.Read([&](const World& w) {
      const Unit* u = w.FindUnitByCallsign(AgencyFor(r), r.unit_id);
      return u ? u->id : UnitId();
    });
  };
  const auto wall_start = std::chrono::steady_clock::now();
  const Time first = steps.front().at;
  using K = ReplayStep::Kind;
  for (const ReplayStep& s : steps) {
    if (stop) break;
    if (speed > 0) {
      auto due =
          wall_start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                           std::chrono::duration<double, std::milli>((s.at.ms - first.ms) / speed));
      while (!stop && std::chrono::steady_clock::now() < due)
        std::this_thread::sleep_until(
            std::min(due, std::chrono::steady_clock::now() + std::chrono::milliseconds(200)));
    }
    if (before_step) before_step(s.at);
    const UnitResponse& r = rows[s.row];
    IncidentId incident =
        incident_of_call.count(r.call_number) ? incident_of_call[r.call_number] : IncidentId();
    UnitId unit =
        s.kind == K::kCreate || s.kind == K::kTriage || s.kind == K::kClose ? UnitId() : unit_of(r);
    Command c;
    switch (s.kind) {
      case K::kCreate:
        c = CreateIncident{IncidentTypeFor(r.call_type),
                           PriorityFor(r.priority),
                           r.location,
                           r.address,
                           "",
                           r.call_type + " (SF call " + r.call_number + ")",
                           AgencyFor(r),
                           Classification::kRestricted};
        break;
      case K::kTriage:
        c = ChangeIncidentStatus{incident, IncidentStatus::kTriaged, ""};
        break;
      case K::kAssign:
        c = AssignUnit{incident, unit};
        break;
      case K::kEnRoute:
        c = ChangeUnitStatus{unit, UnitStatus::kEnRoute, ""};
        break;
      case K::kOnScene:
        // The one position we know for sure: the unit is at the incident when on scene.
        (void)engine.SubmitAndWait(ReportPositions{{{unit, r.location, clock.Now(), 0, 0}}}, kActor,
                                   AgencyFor(r));
        c = ChangeUnitStatus{unit, UnitStatus::kOnScene, ""};
        break;
      case K::kTransport:
        c = ChangeUnitStatus{unit, UnitStatus::kTransporting, ""};
        break;
      case K::kHospital:
        c = ChangeUnitStatus{unit, UnitStatus::kAtHospital, ""};
        break;
      case K::kAvailable:
        c = ChangeUnitStatus{unit, UnitStatus::kAvailable, ""};
        break;
      case K::kClose: {
        auto status = engine.Read([&](const World& w) {
          const Incident* i = w.FindIncident(incident);
          return i ? i->status : IncidentStatus::kClosed;
        });
        if (status == IncidentStatus::kNew || status == IncidentStatus::kTriaged)
          c = ChangeIncidentStatus{incident, IncidentStatus::kCancelled,
                                   "no unit responded in the record"};
        else
          c = ChangeIncidentStatus{incident, IncidentStatus::kResolved, "all units available"};
        break;
      }
    }
    auto o = engine.SubmitAndWait(std::move(c), kActor, AgencyFor(r));
    ++stats.steps;
    if (!o.status.ok()) {
      ++stats.refused;
      continue;
    }
    if (s.kind == K::kCreate) incident_of_call[r.call_number] = IncidentId(o.created_id);
    if (s.kind == K::kClose)
      (void)engine.SubmitAndWait(ChangeIncidentStatus{incident, IncidentStatus::kClosed, ""},
                                 kActor, AgencyFor(r));
  }
  return stats;
}

}  // namespace ncc
