#include "store/recovery.h"

namespace ncc {

StatusOr<Recovered> Recover(const EventLog& log, const SnapshotStore* snapshots) {
  Recovered r;
  Seq last = log.LastSeq();
  if (snapshots) {
    auto snap = snapshots->LoadLatest(&r.notes);
    if (!snap.ok()) return snap.status();
    if (snap->seq.value > last.value) {
      // The log lost events the snapshot had seen: refuse rather than run on a shorter past.
      return DataLoss("event log ends at seq " + std::to_string(last.value) +
                      " but a snapshot covers seq " + std::to_string(snap->seq.value) +
                      ": the log was truncated");
    }
    if (snap->seq) {
      auto at = log.ReadAfter(Seq(snap->seq.value - 1), 1);
      if (!at.ok()) return at.status();
      if (at->empty() || at->front().hash != snap->head)
        return DataLoss("event " + std::to_string(snap->seq.value) +
                        ": does not match the snapshot's hash");
      auto world = World::Deserialize(snap->world);
      if (world.ok()) {
        r.world = std::move(*world);
        r.head = snap->head;
        r.last_time = at->front().time;
        r.snapshot_seq = snap->seq;
      } else {
        // Its checksum held, so it is an older world format (e.g. after an upgrade): the log
        // has every event, replay it from the start.
        r.notes.push_back("snapshot at seq " + std::to_string(snap->seq.value) +
                          " not used: " + world.status().message());
      }
    }
  }
  constexpr size_t kChunk = 8192;
  Seq cursor = r.snapshot_seq;
  while (true) {
    auto chunk = log.ReadAfter(cursor, kChunk);
    if (!chunk.ok()) return chunk.status();
    for (const StoredEvent& e : *chunk) {
      std::string at = "event " + std::to_string(e.seq.value) + ": ";
      if (e.seq.value != cursor.value + 1)
        return DataLoss("event " + std::to_string(cursor.value + 1) + ": missing from the log");
      if (e.prev_hash != r.head) return DataLoss(at + "previous-hash link broken");
      if (ChainHash(e) != e.hash) return DataLoss(at + "content does not match its hash");
      auto event = Decode(e);
      if (!event.ok()) return event.status();
      r.world.Apply(*event);
      r.head = e.hash;
      r.last_time = e.time;
      cursor = e.seq;
      ++r.replayed;
    }
    if (chunk->size() < kChunk) break;
  }
  return r;
}

}  // namespace ncc
