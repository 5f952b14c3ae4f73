#include "store/recovery.h"

namespace ncc {
namespace {

// The events up to the snapshot: links and hashes only (the snapshot holds their World).
Status WalkToSnapshot(const EventLog& log, const Snapshot& snap, ChainCheck check,
                      ChainPosition& at, Recovered& r) {
  auto there = CheckLogAgainstSnapshot(log, snap);
  if (!there.ok()) return there.status();
  if (check == ChainCheck::kTail) {
    at = *there;
    return Status::Ok();
  }
  Status walked = WalkChain(log, at, snap.seq, [&r](const StoredEvent& e) {
    r.position_reports += e.type == EventType::kPositionsReported;
    return Status::Ok();
  });
  // Said where: before, start-up never looked under the snapshot, so this is news to whoever
  // reads it (and it names a seq even when the damage is in one event's content).
  if (!walked.ok())
    return Status(walked.code(), walked.message() + " (under the snapshot at seq " +
                                     std::to_string(snap.seq.value) + ")");
  // The walk linked every event to the one before, so reaching the snapshot's hash proves the
  // whole prefix is the one the snapshot was taken of.
  if (at.seq != snap.seq || at.head != there->head)
    return DataLoss("event " + std::to_string(snap.seq.value) +
                    ": does not match the snapshot's hash");
  return Status::Ok();
}

}  // namespace

StatusOr<ChainPosition> CheckLogAgainstSnapshot(const EventLog& log, const Snapshot& snap) {
  if (!snap.seq) return ChainPosition{};
  Seq last = log.LastSeq();
  if (snap.seq > last) {
    // The log lost events the snapshot had seen: refuse rather than run on a shorter past.
    return DataLoss("event log ends at seq " + std::to_string(last.value) +
                    " but a snapshot covers seq " + std::to_string(snap.seq.value) +
                    ": the log was truncated");
  }
  auto at = log.ReadAfter(Seq(snap.seq.value - 1), 1);
  if (!at.ok()) return at.status();
  if (at->empty() || at->front().seq != snap.seq || at->front().hash != snap.head)
    return DataLoss("event " + std::to_string(snap.seq.value) +
                    ": does not match the snapshot's hash");
  return ChainPosition{snap.seq, snap.head, at->front().time};
}

StatusOr<ChainPosition> CheckLogAgainstSnapshots(const EventLog& log,
                                                 const SnapshotStore& snapshots,
                                                 std::vector<std::string>* skipped) {
  auto snap = snapshots.LoadLatest(skipped);
  if (!snap.ok()) return snap.status();
  return CheckLogAgainstSnapshot(log, *snap);
}

StatusOr<Recovered> Recover(const EventLog& log, const SnapshotStore* snapshots, ChainCheck check) {
  Recovered r;
  ChainPosition at;
  if (snapshots) {
    auto snap = snapshots->LoadLatest(&r.notes);
    if (!snap.ok()) return snap.status();
    if (snap->seq) {
      NCC_RETURN_IF_ERROR(WalkToSnapshot(log, *snap, check, at, r));
      auto world = World::Deserialize(snap->world);
      if (world.ok()) {
        r.world = std::move(*world);
        r.snapshot_seq = snap->seq;
      } else {
        // Its checksum held, so it is an older world format (e.g. after an upgrade): the log
        // has every event, replay it from the start.
        r.notes.push_back("snapshot at seq " + std::to_string(snap->seq.value) +
                          " not used: " + world.status().message());
        at = ChainPosition{};
        r.position_reports = 0;
      }
    }
  }
  NCC_RETURN_IF_ERROR(WalkChain(log, at, Seq(), [&r](const StoredEvent& e) -> Status {
    auto event = Decode(e);
    if (!event.ok()) return event.status();
    r.world.Apply(*event);
    r.position_reports += e.type == EventType::kPositionsReported;
    ++r.replayed;
    return Status::Ok();
  }));
  r.head = at.head;
  r.last_time = at.time;
  return r;
}

}  // namespace ncc
