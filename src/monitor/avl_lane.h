// AvlLane: the high-rate path of unit positions, shared by every ingest lane (HTTP batch, MQTT,
// TCP, UDP, CoT). A batch of fixes is screened on the caller's thread (values, known unit, may the
// sender report for it), then one lane thread takes every queued batch at once, updates the
// live index, appends the accepted fixes to the track store, makes them durable with ONE
// fdatasync (group commit) and only then acknowledges every batch of the group.
//
// What goes into the event log (docs/monitoring.md): not the fixes. Per group commit the lane
// submits one RecordMonitoring command with the state changes it saw: zone entered/exited,
// restricted-zone alerts, unit stale/back, and a throttled position checkpoint (a unit's fix at
// most every `checkpoint_every_ms` of fix time, and its first fix after a start) so the World,
// the console and replay still see positions. A batch that caused such events is acknowledged
// after the engine made them durable too.
//
// Fail-stop (docs/monitoring.md): when the track store's write or fdatasync fails, the lane
// stops, as the event log does. The failed group is refused (never acknowledged), its fixes are
// taken out of the live index again (the store cuts them off the file), and every later batch is
// refused with the same cause (kUnavailable: HTTP 503) until the server is restarted, which
// rescans the file and rebuilds the index from what is durable. health() and /metrics say so.
//
// Threads: Submit, queries and metrics from any thread; the index is guarded by a shared mutex
// (the lane thread writes once per group, readers share). Done callbacks run on the lane thread
// or the engine's writer thread and must not block.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "auth/authorize.h"
#include "core/clock.h"
#include "core/shared_mutex.h"
#include "engine/engine.h"
#include "geo/geofence.h"
#include "geo/live_index.h"
#include "store/disk_reserve.h"
#include "track/track_store.h"

namespace ncc::monitor {

enum class Source : uint8_t { kHttp, kMqtt, kTcp, kUdp, kCot };
inline constexpr size_t kSources = 5;
const char* SourceName(Source s);

// Why a fix was refused. Names are stable: they label the metrics.
enum class Reason : uint8_t {
  kMalformed,       // not parseable, missing or mistyped field
  kUnknownUnit,     // no such unit, or one the sender may not see
  kForbidden,       // the sender sees the unit but may not report for it
  kPosition,        // lat/lon out of range or not finite
  kTime,            // too far in the future or the past
  kSpeedHeading,    // speed or heading out of range
  kOlder,           // older than the unit's current fix (out of order)
  kDuplicate,       // same time as the current fix
  kImpossibleJump,  // implied speed above the limit: held back, unit flagged suspect
  kOverload,        // the lane's queue is full; retry later
};
inline constexpr size_t kReasons = 10;
const char* ReasonName(Reason r);

struct FixRejection {
  size_t index = 0;  // the fix's position in the sender's batch
  Reason reason = Reason::kMalformed;
  std::string field;  // e.g. "position.lat"; the lane front-end adds its own prefix
  std::string message;
};

// Accepted / rejected-with-reason, per source. Lock-free; rendered on /metrics.
class LaneCounters {
 public:
  void Accepted(Source s, uint64_t n) { accepted_[Idx(s)] += n; }
  void Rejected(Source s, Reason r, uint64_t n = 1) { rejected_[Idx(s)][Idx(r)] += n; }
  uint64_t accepted(Source s) const { return accepted_[Idx(s)]; }
  uint64_t rejected(Source s, Reason r) const { return rejected_[Idx(s)][Idx(r)]; }
  void Render(std::string& out) const;

 private:
  template <typename E>
  static size_t Idx(E e) {
    return static_cast<size_t>(e);
  }
  std::array<std::atomic<uint64_t>, kSources> accepted_{};
  std::array<std::array<std::atomic<uint64_t>, kReasons>, kSources> rejected_{};
};

struct LaneOptions {
  std::string track_path;     // the track store file
  track::FileOps track_file;  // tests replace it to make the store's writes or syncs fail
  geo::LiveIndexOptions index;
  int64_t stale_after_ms = 120'000;      // no fix for this long: unit_stale; 0 disables
  int64_t checkpoint_every_ms = 10'000;  // per unit, in fix time; 0: every accepted fix
  int64_t tick_ms = 1'000;               // how often staleness is checked
  size_t max_queued_fixes = 2'000'000;   // beyond this Submit refuses (kOverload)
  // Free space kept on the track store's disk: below it a group is refused (507) before it
  // is written, and the lane carries on once space returns (a failed write stops it).
  uint64_t disk_reserve_bytes = 0;
  // Called on the lane thread with each group's accepted fixes once they are durable (after the
  // fdatasync, before the acknowledgements): the live streams' feed (LiveFeed::Publish). Must
  // not block.
  std::function<void(std::span<const PositionFix>)> on_durable;
  // kPositionsReported events in the event log (Recovered::position_reports): the lane's position
  // checkpoints, proof that fixes were stored. With any, a missing track file is a loss, not a
  // first start: Open refuses it (kDataLoss naming the file) unless accept_track_loss, which
  // starts on an empty store, logs the loss loudly and shows it on /metrics.
  uint64_t position_reports = 0;
  bool accept_track_loss = false;
};

struct BatchResult {
  Status status;  // not ok: the group's track write failed; nothing of it was acknowledged
  size_t accepted = 0;
  std::vector<FixRejection> rejected;  // by index
  Seq seq;                             // last event the batch's group caused; 0 when none
};

// A unit's live state as the API shows it.
struct LiveUnit {
  geo::UnitPosition position;
  bool stale = false;
};

class AvlLane {
 public:
  // Opens the track store, rebuilds the live index from the newest stored fix of every unit,
  // reads unit kinds and statuses from the World, and starts the lane thread. kDataLoss when the
  // track file is missing although the log proves fixes were stored (see LaneOptions).
  static StatusOr<std::unique_ptr<AvlLane>> Open(Engine& engine, const Clock& clock,
                                                 LaneOptions options);
  ~AvlLane();
  AvlLane(const AvlLane&) = delete;
  AvlLane& operator=(const AvlLane&) = delete;

  using Done = std::function<void(BatchResult)>;
  // Screens `fixes` for `who` (auth::Authorize position.report on each unit's label; cot.ingest
  // for Source::kCot, the TAK lane) and queues
  // the rest. `done` gets every rejection (screening and index) once the accepted fixes are
  // durable. Never blocks on I/O.
  void Submit(Source source, const auth::Principal& who, std::vector<PositionFix> fixes, Done done);

  // Replaces the zone set (already validated and persisted by the caller).
  void SetZones(std::shared_ptr<const geo::Geofences> zones);
  std::shared_ptr<const geo::Geofences> zones() const;

  // Queries (any thread).
  std::optional<LiveUnit> Get(UnitId unit) const;
  std::vector<geo::Neighbor> Nearest(LatLon center, size_t k, geo::UnitFilter filter) const;
  // Attribute filter for "available units of this kind" (kind empty: any kind). False when the
  // kind was never seen (nothing can match).
  bool FilterFor(const std::string& kind, bool available_only, geo::UnitFilter& out) const;
  StatusOr<std::vector<track::TrackFix>> Track(UnitId unit, Time from, Time to) const {
    return tracks_->Query(unit, from, to);
  }
  // The unit's newest stored fix at or before `at` (GET /api/v1/picture); NotFound if none.
  StatusOr<track::TrackFix> FixAtOrBefore(UnitId unit, Time at) const {
    return tracks_->LastAtOrBefore(unit, at);
  }

  // Ok while the lane runs; after a track store failure, the kUnavailable status every batch
  // is refused with (what failed, and that a restart recovers).
  Status health() const;

  LaneCounters& counters() { return counters_; }
  void RenderMetrics(std::string& out) const;

  // Processes what is queued, then stops the thread. Later submits are refused.
  void Stop();

 private:
  struct Pending {
    Source source;
    std::vector<PositionFix> fixes;
    std::vector<size_t> index;  // request position of each fix
    BatchResult result;         // screening rejections so far
    Done done;
  };
  // The live index as it was before a group touched it, one entry per unit, to undo the group
  // if its track write fails.
  struct IndexUndo {
    std::vector<geo::LiveIndex::Saved> saved;
    std::vector<uint64_t> group_of;  // by unit id: the group that last saved the unit
  };

  AvlLane(Engine& engine, const Clock& clock, LaneOptions options,
          std::unique_ptr<track::TrackStore> tracks, bool track_file_lost);
  void Run();
  void ProcessGroup(std::vector<Pending>& group);
  // Applies the group to the live index (lane thread, under the index lock): the fixes it
  // accepted go to `accepted`, the state changes to `changes`, each touched unit's prior state
  // to `undo_`.
  void ApplyToIndex(std::vector<Pending>& group, const geo::Geofences* zones,
                    std::vector<PositionFix>& accepted, RecordMonitoring& changes)
      REQUIRES(index_mu_);
  void RejectFix(Pending& p, size_t k, geo::FixOutcome outcome);
  // The state changes an accepted fix makes: back from stale, checkpoint, zone crossings.
  void NoteChanges(const PositionFix& f, std::optional<LatLon> before, const geo::Geofences* zones,
                   RecordMonitoring& changes);
  void CheckStale(RecordMonitoring& changes);
  void SyncAttributes();
  uint8_t AttributesOf(const Unit& u);
  // The track write of a group failed: undo the group in the index, stop the lane, refuse.
  void StopOnFailure(std::vector<Pending>& group, const Status& cause);
  void Refuse(std::vector<Pending>& group, const Status& status);
  void Finish(std::vector<Pending>& group, RecordMonitoring changes);

  Engine& engine_;
  const Clock& clock_;
  const LaneOptions options_;
  DiskReserve disk_;
  std::unique_ptr<track::TrackStore> tracks_;
  LaneCounters counters_;

  mutable SharedMutex index_mu_;
  geo::LiveIndex index_ GUARDED_BY(index_mu_);
  IndexUndo undo_;              // lane thread only
  std::vector<uint8_t> stale_;  // by unit id: 1 while the unit is stale (lane thread only)
  std::vector<int64_t> checkpointed_ms_;  // by unit id: fix time of the last checkpoint

  mutable Mutex zones_mu_;
  std::shared_ptr<const geo::Geofences> zones_ GUARDED_BY(zones_mu_);

  // Unit kind -> 7-bit code in the index attributes (bit 0: available).
  mutable Mutex kinds_mu_;
  std::unordered_map<std::string, uint8_t> kind_codes_ GUARDED_BY(kinds_mu_);
  Seq attributes_seq_;  // events up to here are reflected in the attributes
  uint64_t feed_listener_ = 0;
  std::atomic<bool> attributes_dirty_{false};

  Mutex queue_mu_;
  std::condition_variable_any queue_cv_;
  std::vector<Pending> queue_ GUARDED_BY(queue_mu_);
  size_t queued_fixes_ GUARDED_BY(queue_mu_) = 0;
  bool stopping_ GUARDED_BY(queue_mu_) = false;
  std::thread thread_;

  // Set once, by the lane thread, when the track store fails; read by Submit and health().
  std::atomic<bool> stopped_{false};
  mutable Mutex stop_mu_;
  Status stop_cause_ GUARDED_BY(stop_mu_);

  const bool track_file_lost_;  // started over a missing track file (accept_track_loss)
  std::atomic<uint64_t> groups_{0}, syncs_failed_{0}, stale_events_{0}, zone_events_{0}, alerts_{0},
      checkpoints_{0}, unstored_{0};
};

}  // namespace ncc::monitor
