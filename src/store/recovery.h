// Start-up: rebuild the World from the newest valid snapshot plus the log tail after it,
// checking every hash link of the tail. A tail that is corrupt, truncated below the snapshot,
// or disagrees with the snapshot is reported as kDataLoss naming the seq; it is never
// silently dropped and never crashes the process.
#pragma once

#include <string>
#include <vector>

#include "store/event_log.h"
#include "store/snapshot_store.h"

namespace ncc {

struct Recovered {
  World world;
  Hash head{};                     // hash of the last event (zeros for an empty log)
  Seq snapshot_seq;                // where the snapshot left off (0: none)
  uint64_t replayed = 0;           // events applied from the log tail
  Time last_time{0};               // time of the last event: the engine never stamps earlier
  std::vector<std::string> notes;  // snapshots passed over and why
};

StatusOr<Recovered> Recover(const EventLog& log, const SnapshotStore* snapshots);

}  // namespace ncc
