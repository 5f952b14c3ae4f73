// PastWorlds: the World as it was just after any event of the log, for the picture at a past
// moment (GET /api/v1/picture, docs/picture.md). Built as start-up builds the live World
// (store/recovery.h): from the nearest base at or before the point — an in-memory checkpoint,
// a World built recently, or a snapshot file — plus the events after it, decoded and applied
// with World::Apply. Nothing here writes the log or the snapshots.
//
// The cache, so that scrubbing a slider is fast:
//  - checkpoints: the World serialized (World::Serialize) every `checkpoint_every` events, taken
//    as replays pass those seqs. When they outgrow `checkpoint_bytes`, the spacing doubles and
//    the checkpoints off the new grid are dropped (memory stays bounded, coverage stays even);
//  - the `recent` Worlds last built, whole: a point after one of them continues from it (taking
//    it over without a copy when no reader still holds it);
//  - `primed` Worlds deserialized ahead, by a background thread, from the checkpoints just below
//    the last point asked: a slider dragged back starts from one of them without paying for the
//    copy on the request (a World of a 1M-event log takes longer to copy than to replay 50k
//    events). Each is used once; the thread primes again after every request.
// The hash chain is not re-checked: start-up checked it whole and only the engine appends
// (a log that no longer decodes is still refused, kDataLoss naming the seq).
//
// Threads: any thread. Builds are serialised by one mutex (one replay at a time); the Worlds
// handed out are immutable and may be read without any lock while the cache moves on. One
// background thread (when `primed` > 0) deserializes checkpoints; the destructor stops it.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/thread_annotations.h"
#include "core/world.h"
#include "store/event_log.h"
#include "store/snapshot_store.h"

namespace ncc::picture {

struct PastWorldsOptions {
  uint64_t checkpoint_every = 50'000;      // events between checkpoints (doubles when full)
  uint64_t checkpoint_bytes = 512u << 20;  // serialized bytes all checkpoints may take
  size_t recent = 2;                       // whole Worlds kept
  size_t primed = 2;                       // Worlds deserialized ahead (0: no thread)
};

// One World of the past: as it was just after event `seq` (seq 0: before the first event),
// whose time is `time` (0 for seq 0).
struct PastWorld {
  std::shared_ptr<const World> world;
  Seq seq;
  Time time{0};
};

// How one World was built (for the benchmark, tests and /metrics).
struct BuildReport {
  enum class Base : uint8_t { kEmpty, kRecent, kCheckpoint, kPrimed, kSnapshot };
  Base base = Base::kEmpty;
  Seq base_seq;
  uint64_t replayed = 0;  // events applied after the base
};
const char* Name(BuildReport::Base base);

class PastWorlds {
 public:
  // `log` and `snapshots` (may be null) are borrowed and must outlive this.
  PastWorlds(const EventLog& log, const SnapshotStore* snapshots, PastWorldsOptions options = {});
  ~PastWorlds();
  PastWorlds(const PastWorlds&) = delete;
  PastWorlds& operator=(const PastWorlds&) = delete;

  // The World just after event `seq`. kInvalidArgument naming "seq" when `seq` is beyond the
  // log's last event; kDataLoss naming the seq when the log cannot be read back.
  StatusOr<PastWorld> At(Seq seq, BuildReport* report = nullptr) EXCLUDES(mu_);

  // The last event at or before `at` (its seq and time; seq 0 when the log starts after `at`).
  // Event times never run backwards in the log (VerifyChain checks it), so this is a binary
  // search of ~20 reads.
  StatusOr<ChainPosition> SeqAt(Time at) const;
  // The time of event `seq` (0 for seq 0); kDataLoss when the log does not hold it.
  StatusOr<Time> TimeOf(Seq seq) const;

  struct Stats {
    size_t checkpoints = 0;
    uint64_t checkpoint_bytes = 0;
    uint64_t spacing = 0;
    size_t recent = 0;
    uint64_t builds = 0, replayed = 0;
  };
  Stats stats() const EXCLUDES(mu_);
  // Blocks until the background thread has primed what the last request asked for (benchmarks
  // and tests; a console's pause between two moves of the slider does the same).
  void WaitPrimed() EXCLUDES(mu_);

 private:
  struct Recent {
    std::shared_ptr<World> world;
    Time time;
    uint64_t used = 0;  // LRU clock
  };
  struct Checkpoint {
    std::shared_ptr<const std::string> bytes;  // World::Serialize(); the primer reads it unlocked
    Time time;
  };
  // Fills `world`/`time` with the nearest base at or before `seq`.
  Status Base(Seq seq, std::shared_ptr<World>& world, Time& time, BuildReport& report)
      REQUIRES(mu_);
  bool FromSnapshot(Seq seq, Seq best, std::shared_ptr<World>& world, Time& time) REQUIRES(mu_);
  // Applies the events after world's last seq up to `seq`, checkpointing on the grid.
  Status Replay(World& world, Seq seq, Time& time, BuildReport& report) REQUIRES(mu_);
  void MaybeCheckpoint(const World& world, Time time) REQUIRES(mu_);
  void Remember(std::shared_ptr<World> world, Time time) REQUIRES(mu_);
  // The checkpoint seqs the primer should have ready: the `primed` nearest at or below the last
  // point asked.
  std::vector<uint64_t> PrimeTargets() const REQUIRES(mu_);
  void Primer();

  const EventLog& log_;
  const SnapshotStore* snapshots_;
  const PastWorldsOptions options_;

  mutable Mutex mu_;
  uint64_t spacing_ GUARDED_BY(mu_);
  std::map<uint64_t, Checkpoint> checkpoints_ GUARDED_BY(mu_);  // by seq
  uint64_t checkpoint_bytes_ GUARDED_BY(mu_) = 0;
  std::map<uint64_t, Recent> recent_ GUARDED_BY(mu_);  // by seq
  uint64_t clock_ GUARDED_BY(mu_) = 0;
  uint64_t builds_ GUARDED_BY(mu_) = 0, replayed_ GUARDED_BY(mu_) = 0;
  std::map<uint64_t, std::shared_ptr<World>> primed_ GUARDED_BY(mu_);  // by checkpoint seq
  uint64_t last_asked_ GUARDED_BY(mu_) = 0;
  bool priming_ GUARDED_BY(mu_) = false;  // the primer is deserializing
  bool stop_ GUARDED_BY(mu_) = false;
  std::condition_variable_any cv_;
  std::thread primer_;
};

}  // namespace ncc::picture
