// Start-up: rebuild the World from the newest valid snapshot plus the log tail after it. The
// whole hash chain is checked, the events the snapshot covers too (without decoding them: one
// SHA-256 each), so a log damaged below the snapshot is refused at start-up as `ncc log verify`
// refuses it, instead of being found only when a client reads that far back. A log that is
// corrupt, shorter than the snapshot, or disagrees with it is reported as kDataLoss naming the
// seq; it is never silently dropped and never crashes the process.
//
// Pure functions over an EventLog and a SnapshotStore; they read only. Any thread.
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
  // kPositionsReported events among those walked (every event, with ChainCheck::kWhole): the
  // lane's position checkpoints, which prove that fixes were stored in the track store.
  uint64_t position_reports = 0;
};

// How much of the chain Recover checks. kWhole at start-up; kTail re-trusts the events up to the
// snapshot, for the engine rebuilding its World after a refused append (the log was checked
// whole when it started, and only the engine has written to it since).
enum class ChainCheck { kWhole, kTail };

StatusOr<Recovered> Recover(const EventLog& log, const SnapshotStore* snapshots,
                            ChainCheck check = ChainCheck::kWhole);

// The log against a snapshot: the log must reach the snapshot's seq (else events acknowledged
// before the snapshot are gone: a deleted or cut WAL, rows deleted) and hold the snapshot's
// hash there. Returns the chain position at the snapshot (its seq, hash and time); kDataLoss
// naming both seqs otherwise. A snapshot with seq 0 (none) always agrees. Start-up (Recover),
// `ncc log verify` and `ncc audit verify` all call this one check, so that verify says what
// start-up would.
StatusOr<ChainPosition> CheckLogAgainstSnapshot(const EventLog& log, const Snapshot& snapshot);

// The same against the newest snapshot of `snapshots` that passes its checksum (LoadLatest:
// reads only, writes nothing, so the verify commands may call it on a live or crashed folder).
// `skipped` collects snapshots passed over and why. OK when there is no snapshot.
StatusOr<ChainPosition> CheckLogAgainstSnapshots(const EventLog& log,
                                                 const SnapshotStore& snapshots,
                                                 std::vector<std::string>* skipped = nullptr);

}  // namespace ncc
