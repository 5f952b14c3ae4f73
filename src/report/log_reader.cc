#include "report/log_reader.h"

#include <filesystem>
#include <unordered_map>

#include "core/stored_event.h"
#include "store/sqlite/sqlite_event_log.h"

namespace ncc::report {
namespace {

bool Ends(IncidentStatus s) {
  return s == IncidentStatus::kResolved || s == IncidentStatus::kClosed ||
         s == IncidentStatus::kCancelled || s == IncidentStatus::kMerged;
}

bool Used(EventType t) {
  switch (t) {
    case EventType::kIncidentCreated:
    case EventType::kIncidentStatusChanged:
    case EventType::kIncidentPriorityChanged:
    case EventType::kUnitRegistered:
    case EventType::kUnitStatusChanged:
    case EventType::kUnitAssigned:
    case EventType::kSlaEscalated:
      return true;
    default:
      return false;
  }
}

// Builds the LogContent event by event.
class Builder {
 public:
  explicit Builder(LogContent& out) : out_(out) {}

  void Visit(const EventMeta& m, const EventBody& body) {
    std::visit([&](const auto& e) { On(m, e); }, body);
  }

 private:
  template <typename E>
  void On(const EventMeta&, const E&) {}

  void On(const EventMeta& m, const IncidentCreated& e) {
    incident_index_[e.id.value] = out_.incidents.size();
    IncidentTimeline& i = out_.incidents.emplace_back();
    i.id = e.id;
    i.agency = m.agency;
    i.type = e.type;
    i.priority = e.priority;
    i.location = e.location;
    i.created = m.time;
    i.seqs.Add(m.seq);
    out_.open_incidents.push_back({m.time, m.seq, +1});
  }

  void On(const EventMeta& m, const IncidentStatusChanged& e) {
    IncidentTimeline* i = FindIncident(e.id, m.seq);
    if (!i) return;
    bool was_open = i->ended.ms == 0;
    if (Ends(e.to)) {
      i->end_status = Name(e.to);
      if (was_open) {
        i->ended = m.time;
        out_.open_incidents.push_back({m.time, m.seq, -1});
      }
    } else if (!was_open) {  // reopened (resolved -> on scene)
      i->ended = Time{};
      i->end_status.clear();
      out_.open_incidents.push_back({m.time, m.seq, +1});
    }
  }

  void On(const EventMeta& m, const IncidentPriorityChanged& e) {
    if (IncidentTimeline* i = FindIncident(e.id, m.seq)) i->priority = e.to;
  }

  void On(const EventMeta& m, const UnitRegistered& e) {
    unit_status_[e.id.value] = UnitStatus::kAvailable;
    out_.units.push_back({e.id, e.callsign, m.agency, e.kind, m.time});
    unit_index_[e.id.value] = out_.units.size() - 1;
    out_.available_units.push_back({m.time, m.seq, +1});
  }

  void On(const EventMeta& m, const UnitAssigned& e) {
    IncidentTimeline* i = FindIncident(e.incident, m.seq);
    const UnitRecord* u = FindUnit(e.unit);
    if (!i || !u) return;
    UnitResponseRow* row = ActiveRow(*i, e.unit);
    if (!row || row->assigned.ms) row = &NewRow(*i, *u);
    row->assigned = m.time;
    row->seqs.Add(m.seq);
  }

  void On(const EventMeta& m, const UnitStatusChanged& e) {
    auto status = unit_status_.find(e.id.value);
    const UnitRecord* u = FindUnit(e.id);
    if (status == unit_status_.end() || !u) return;
    bool was_available = status->second == UnitStatus::kAvailable;
    if (was_available != (e.to == UnitStatus::kAvailable))
      out_.available_units.push_back({m.time, m.seq, was_available ? -1 : +1});
    status->second = e.to;
    if (!e.incident) return;
    IncidentTimeline* i = FindIncident(e.incident, m.seq);
    if (!i) return;
    UnitResponseRow* row = ActiveRow(*i, e.id);
    bool step = e.to == UnitStatus::kEnRoute || e.to == UnitStatus::kOnScene;
    if (!row && step) row = &NewRow(*i, *u);
    if (!row) return;
    row->seqs.Add(m.seq);
    auto first = [&](Time& slot) {
      if (!slot.ms) slot = m.time;
    };
    if (e.to == UnitStatus::kEnRoute) first(row->en_route);
    if (e.to == UnitStatus::kOnScene) first(row->on_scene);
    if (e.to == UnitStatus::kAvailable || e.to == UnitStatus::kOutOfService) row->cleared = m.time;
  }

  void On(const EventMeta& m, const SlaEscalated& e) {
    out_.escalations.push_back({e.incident, e.step, m.seq});
    FindIncident(e.incident, m.seq);
  }

  IncidentTimeline* FindIncident(IncidentId id, Seq seq) {
    auto it = incident_index_.find(id.value);
    if (it == incident_index_.end()) {
      ++out_.unknown_references;
      return nullptr;
    }
    IncidentTimeline& i = out_.incidents[it->second];
    i.seqs.Add(seq);
    return &i;
  }
  const UnitRecord* FindUnit(UnitId id) {
    auto it = unit_index_.find(id.value);
    if (it == unit_index_.end()) {
      ++out_.unknown_references;
      return nullptr;
    }
    return &out_.units[it->second];
  }
  // The unit's row on the incident that is not cleared yet (the newest), or null.
  static UnitResponseRow* ActiveRow(IncidentTimeline& i, UnitId unit) {
    for (auto r = i.rows.rbegin(); r != i.rows.rend(); ++r)
      if (r->unit == unit) return r->cleared.ms ? nullptr : &*r;
    return nullptr;
  }
  static UnitResponseRow& NewRow(IncidentTimeline& i, const UnitRecord& u) {
    UnitResponseRow& r = i.rows.emplace_back();
    r.unit = u.id;
    r.callsign = u.callsign;
    r.agency = u.agency;
    r.kind = u.kind;
    return r;
  }

  LogContent& out_;
  std::unordered_map<uint64_t, size_t> incident_index_, unit_index_;
  std::unordered_map<uint64_t, UnitStatus> unit_status_;
};

}  // namespace

StatusOr<LogContent> ReadLog(const EventLog& log, Progress progress) {
  LogContent out;
  Builder builder(out);
  ChainPosition at;
  // Up to the last event when the walk starts: a live server may append meanwhile, and the
  // report is of the log as it stood (its figures name that seq range).
  const Seq last = log.LastSeq();
  if (!last) return FailedPrecondition("the event log holds no events");
  Status walked = WalkChain(
      log, at, last,
      [&](const StoredEvent& stored) -> Status {
        ++out.events;
        out.seqs.Add(stored.seq);
        if (!out.first_time.ms) out.first_time = stored.time;
        out.last_time = std::max(out.last_time, stored.time);
        if (!Used(stored.type)) return Status::Ok();
        auto event = Decode(stored);
        if (!event.ok()) return event.status();
        builder.Visit(event->meta, event->body);
        return Status::Ok();
      },
      progress);
  NCC_RETURN_IF_ERROR(walked);
  if (at.seq != last)
    return DataLoss("the log claims last seq " + std::to_string(last.value) + " but ends at " +
                    std::to_string(at.seq.value));
  out.chain_head = HexOf(at.head);
  return out;
}

StatusOr<LogContent> ReadDataFolder(const std::string& dir, Progress progress) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return NotFound("no data folder " + dir, "data");
  std::string path = dir + "/events.db";
  if (!fs::exists(path, ec))
    return NotFound(dir + " is not an ncc data folder: it has no event log (events.db)", "data");
  auto log = SqliteEventLog::OpenReadOnly(path);
  if (!log.ok()) return Status(log.status().code(), path + ": " + log.status().message(), "data");
  auto content = ReadLog(**log, progress);
  if (!content.ok())
    return Status(content.status().code(), path + ": " + content.status().message(), "data");
  return content;
}

}  // namespace ncc::report
