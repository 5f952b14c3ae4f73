#include "audit/audit_trail.h"

#include <filesystem>
#include <fstream>

#include "auth/chain_anchor.h"
#include "core/stored_event.h"
#include "store/recovery.h"
#include "visibility/access.h"

namespace ncc::audit {
namespace {

std::string ReadFirstLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

template <typename T>
std::string Ref(std::string_view kind, const T& id) {
  return std::string(kind) + ":" + std::to_string(id.value);
}

// Visits every event of the log in order; stops at the first error.
Status ForEachEvent(const EventLog& log, const std::function<void(const Event&)>& f) {
  constexpr size_t kChunk = 10'000;
  Seq after;
  while (true) {
    auto chunk = log.ReadAfter(after, kChunk);
    if (!chunk.ok()) return chunk.status();
    for (const StoredEvent& stored : *chunk) {
      auto event = Decode(stored);
      if (!event.ok()) return event.status();
      f(*event);
      after = stored.seq;
    }
    if (chunk->size() < kChunk) return Status::Ok();
  }
}

}  // namespace

StatusOr<auth::AnchorReport> CheckAnchors(const EventLog& log, const std::string& data_dir,
                                          std::string public_key_hex) {
  std::string anchors = data_dir + "/anchors.log";
  if (!std::filesystem::exists(anchors)) {
    // Created with the key at the first start: a key without it means the proof was deleted.
    if (std::filesystem::exists(data_dir + "/anchor.key"))
      return DataLoss(anchors +
                      " is missing but anchor.key exists: the signed anchors were "
                      "deleted, so a shortened log could not be told");
    return auth::AnchorReport{};
  }
  if (public_key_hex.empty()) public_key_hex = ReadFirstLine(data_dir + "/anchor.pub");
  auto hash_at = [&log](Seq seq) -> StatusOr<Hash> {
    auto one = log.ReadAfter(Seq(seq.value - 1), 1);
    if (!one.ok()) return one.status();
    if (one->empty() || one->front().seq != seq)
      return NotFound("no event " + std::to_string(seq.value));
    return one->front().hash;
  };
  auto anchored = auth::VerifyAnchors(anchors, public_key_hex, hash_at);
  if (!anchored.ok())
    return Status(anchored.status().code(), "the event log ends at seq " +
                                                std::to_string(log.LastSeq().value) +
                                                " and disagrees with the signed anchors in " +
                                                anchors + ": " + anchored.status().message());
  return anchored;
}

StatusOr<VerifyReport> Verify(const EventLog& log, const std::string& data_dir,
                              std::string public_key_hex, void (*progress)(Seq, Seq)) {
  NCC_RETURN_IF_ERROR(VerifyChain(log, progress));
  // A whole chain may still be a shortened one: the snapshots (as start-up checks them) and the
  // signed anchors below say whether events existed beyond its end.
  auto snapshotted = CheckLogAgainstSnapshots(log, SnapshotStore(data_dir + "/snapshots"));
  if (!snapshotted.ok()) return snapshotted.status();
  VerifyReport report;
  report.last_seq = log.LastSeq();
  std::string anchors = data_dir + "/anchors.log";
  if (!std::filesystem::exists(anchors)) {
    if (std::filesystem::exists(data_dir + "/anchor.key"))
      return DataLoss(anchors +
                      " is missing but anchor.key exists: the signed anchors were "
                      "deleted, so a shortened log could not be told");
    if (report.last_seq.value)
      report.warning =
          "no anchors.log: the chain is whole, but a rewrite of the whole log "
          "would go unnoticed";
    return report;
  }
  auto anchored = CheckAnchors(log, data_dir, public_key_hex);
  if (!anchored.ok()) return anchored.status();
  report.anchors = anchored->anchors;
  report.last_anchored = anchored->last_seq;
  if (report.last_anchored < report.last_seq)
    report.warning = "events after seq " + std::to_string(report.last_anchored.value) +
                     " are not anchored yet (the server anchors every 1,000 events, every "
                     "minute and at stop)";
  return report;
}

std::vector<std::string> RecordsOf(const Event& event) {
  if (uint64_t plan = PlanIdOf(event.body)) return {"plan:" + std::to_string(plan)};
  return std::visit(
      [](const auto& b) -> std::vector<std::string> {
        using T = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<T, AgencyRegistered>)
          return {"agency:" + b.agency.code};
        else if constexpr (std::is_same_v<T, IncidentCreated> ||
                           std::is_same_v<T, IncidentStatusChanged> ||
                           std::is_same_v<T, IncidentNoteAdded> ||
                           std::is_same_v<T, IncidentShared> ||
                           std::is_same_v<T, IncidentPriorityChanged>)
          return {Ref("incident", b.id)};
        else if constexpr (std::is_same_v<T, RecommendationMade> ||
                           std::is_same_v<T, SlaEscalated> || std::is_same_v<T, ResourceRequested>)
          return {Ref("incident", b.incident)};
        else if constexpr (std::is_same_v<T, AlarmReceived>)
          return {Ref("incident", b.incident), "alarm:" + b.alarm.id};
        else if constexpr (std::is_same_v<T, IncidentSplit>)
          return {Ref("incident", b.from), Ref("incident", b.to)};
        else if constexpr (std::is_same_v<T, UnitRegistered> || std::is_same_v<T, UnitShared>)
          return {Ref("unit", b.id)};
        else if constexpr (std::is_same_v<T, UnitStatusChanged>) {
          std::vector<std::string> out{Ref("unit", b.id)};
          if (b.incident.value) out.push_back(Ref("incident", b.incident));
          return out;
        } else if constexpr (std::is_same_v<T, UnitAssigned>)
          return {Ref("incident", b.incident), Ref("unit", b.unit)};
        else if constexpr (std::is_same_v<T, PositionsReported>) {
          std::vector<std::string> out;
          for (const PositionFix& f : b.fixes) out.push_back(Ref("unit", f.unit));
          return out;
        } else if constexpr (std::is_same_v<T, SitRepDrafted>)
          return {"sitrep:" + std::to_string(b.report.id)};
        else if constexpr (std::is_same_v<T, SitRepApproved>)
          return {"sitrep:" + std::to_string(b.id)};
        else if constexpr (std::is_same_v<T, RecordsRead>)
          return b.records;
        else if constexpr (std::is_same_v<T, SignInAttempted>)
          return {"user:" + b.user};
        else
          return {};
      },
      event.body);
}

StatusOr<std::vector<TrailEntry>> Trail(const EventLog& log, const std::string& record) {
  size_t colon = record.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == record.size())
    return InvalidArgument("must be kind:id, e.g. incident:12 or unit:7", "record");
  std::vector<TrailEntry> out;
  Status s = ForEachEvent(log, [&](const Event& e) {
    for (const std::string& r : RecordsOf(e)) {
      if (r != record) continue;
      TrailEntry entry{
          e.meta.seq, e.meta.time, e.meta.actor, std::string(NameOf(TypeOf(e.body))), {}};
      if (const auto* read = std::get_if<RecordsRead>(&e.body)) entry.detail = read->via;
      if (const auto* in = std::get_if<SignInAttempted>(&e.body))
        entry.detail = in->outcome + " from " + in->address;
      out.push_back(std::move(entry));
      break;
    }
  });
  if (!s.ok()) return s;
  return out;
}

}  // namespace ncc::audit
