// PastWorlds: the World as it was just after any event of the log, for the picture at a past
// moment (GET /api/v1/picture, docs/picture.md). Built as start-up builds the live World
// (store/recovery.h): from the nearest base at or before the point — an in-memory checkpoint,
// a World built recently, or a snapshot file — plus the events after it, decoded and applied
// with World::Apply. Nothing here writes the log or the snapshots.
//
// The cache, so that scrubbing a slider is fast:
//  - checkpoints: copies of the World every `checkpoint_every` events, taken as replays pass
//    those seqs. A copy costs a pointer per chunk of records (core/cow_vector.h): checkpoints
//    share every chunk of records that did not change between them, with each other and with
//    the Worlds built from them. When their estimated bytes (World::BytesBeyond) outgrow
//    `checkpoint_bytes`, the spacing doubles and the checkpoints off the new grid are dropped
//    (memory stays bounded, coverage stays even);
//  - the `recent` Worlds last built: a point after one of them continues from it (taking it
//    over when no reader still holds it, else from a copy).
// A jump anywhere thus costs a copy of the nearest checkpoint (cheap) and the replay of at
// most `checkpoint_every` events.
// The hash chain is not re-checked: start-up checked it whole and only the engine appends
// (a log that no longer decodes is still refused, kDataLoss naming the seq).
//
// Threads: any thread. Builds are serialised by one mutex (one replay at a time); the Worlds
// handed out are immutable and may be read without any lock while the cache moves on (what
// they share with the cache is never written: copy on write).
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "core/thread_annotations.h"
#include "core/world.h"
#include "store/event_log.h"
#include "store/snapshot_store.h"

namespace ncc::picture {

struct PastWorldsOptions {
  uint64_t checkpoint_every = 20'000;      // events between checkpoints (doubles when full)
  uint64_t checkpoint_bytes = 512u << 20;  // estimated bytes all checkpoints may hold
  size_t recent = 2;                       // Worlds last built, kept
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
  enum class Base : uint8_t { kEmpty, kRecent, kCheckpoint, kSnapshot };
  Base base = Base::kEmpty;
  Seq base_seq;
  uint64_t replayed = 0;  // events applied after the base
};
const char* Name(BuildReport::Base base);

class PastWorlds {
 public:
  // `log` and `snapshots` (may be null) are borrowed and must outlive this.
  PastWorlds(const EventLog& log, const SnapshotStore* snapshots, PastWorldsOptions options = {});
  ~PastWorlds();  // stops the warm-up
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

  // Lays down the checkpoints up to the log's head now, on a background thread (one replay
  // of the log, a checkpoint spacing at a time: requests are served between the steps), so
  // that the first pictures asked after a start are no slower than later ones.
  void StartWarmUp();
  bool warm() const { return warm_.load(); }

  struct Stats {
    size_t checkpoints = 0;
    uint64_t checkpoint_bytes = 0;
    uint64_t spacing = 0;
    size_t recent = 0;
    uint64_t builds = 0, replayed = 0;
  };
  Stats stats() const EXCLUDES(mu_);

 private:
  struct Recent {
    std::shared_ptr<World> world;
    Time time;
    uint64_t used = 0;  // LRU clock
  };
  struct Checkpoint {
    std::shared_ptr<const World> world;
    Time time;
  };
  // Fills `world`/`time` with the nearest base at or before `seq`.
  Status Base(Seq seq, std::shared_ptr<World>& world, Time& time, BuildReport& report)
      REQUIRES(mu_);
  bool FromSnapshot(Seq seq, Seq best, std::shared_ptr<World>& world, Time& time) REQUIRES(mu_);
  // Applies the events after world's last seq up to `seq`, checkpointing on the grid.
  Status Replay(World& world, Seq seq, Time& time, BuildReport& report) REQUIRES(mu_);
  void MaybeCheckpoint(const World& world, Time time) REQUIRES(mu_);
  // Estimated bytes of all checkpoints, what they share counted once.
  uint64_t CheckpointBytes() const REQUIRES(mu_);
  void Remember(std::shared_ptr<World> world, Time time) REQUIRES(mu_);

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
  std::atomic<bool> stop_{false}, warm_{false};
  std::thread warmer_;
};

}  // namespace ncc::picture
