#include "monitor/avl_lane.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>
#include <filesystem>

#include "engine/metrics.h"
#include "visibility/access.h"

namespace ncc::monitor {
namespace {

constexpr uint8_t kAvailableBit = 1;
constexpr uint8_t kMaxKindCode = 127;  // 7 bits above the available bit

// The unit's real label (visibility/access.h): a key cleared for restricted must not move a
// secret unit.
auth::RecordLabel UnitLabel(const Unit& u) {
  return LabelOf(u);
}

Reason ReasonOfField(const std::string& field) {
  if (field.rfind("position", 0) == 0) return Reason::kPosition;
  if (field == "time") return Reason::kTime;
  return Reason::kSpeedHeading;
}

template <typename T>
void GrowFor(std::vector<T>& v, uint64_t id) {
  if (id >= v.size()) v.resize(std::max<size_t>(id + 1, v.size() * 2), T{});
}

}  // namespace

const char* SourceName(Source s) {
  switch (s) {
    case Source::kHttp:
      return "http";
    case Source::kMqtt:
      return "mqtt";
    case Source::kTcp:
      return "tcp";
    case Source::kUdp:
      return "udp";
    case Source::kCot:
      return "cot";
  }
  return "unknown";
}

const char* ReasonName(Reason r) {
  switch (r) {
    case Reason::kMalformed:
      return "malformed";
    case Reason::kUnknownUnit:
      return "unknown_unit";
    case Reason::kForbidden:
      return "forbidden";
    case Reason::kPosition:
      return "position";
    case Reason::kTime:
      return "time";
    case Reason::kSpeedHeading:
      return "speed_heading";
    case Reason::kOlder:
      return "older";
    case Reason::kDuplicate:
      return "duplicate";
    case Reason::kImpossibleJump:
      return "impossible_jump";
    case Reason::kOverload:
      return "overload";
  }
  return "unknown";
}

void LaneCounters::Render(std::string& out) const {
  out +=
      "# HELP ncc_avl_fixes_accepted_total AVL fixes accepted into the live index and track "
      "store\n";
  out += "# TYPE ncc_avl_fixes_accepted_total counter\n";
  for (size_t s = 0; s < kSources; ++s)
    out += "ncc_avl_fixes_accepted_total{source=\"" + std::string(SourceName(Source(s))) + "\"} " +
           std::to_string(accepted_[s].load()) + "\n";
  out += "# HELP ncc_avl_fixes_rejected_total AVL fixes refused, by source and reason\n";
  out += "# TYPE ncc_avl_fixes_rejected_total counter\n";
  for (size_t s = 0; s < kSources; ++s)
    for (size_t r = 0; r < kReasons; ++r)
      out += "ncc_avl_fixes_rejected_total{source=\"" + std::string(SourceName(Source(s))) +
             "\",reason=\"" + ReasonName(Reason(r)) + "\"} " +
             std::to_string(rejected_[s][r].load()) + "\n";
}

namespace {

// A track file that is gone although the log's position checkpoints prove fixes were stored:
// refused, or (accept_track_loss) said loudly. Returns whether the file was lost.
StatusOr<bool> CheckTrackFileThere(const LaneOptions& options) {
  std::error_code ec;
  if (options.position_reports == 0 || std::filesystem::exists(options.track_path, ec))
    return false;
  std::string why = options.track_path + " is missing, but the event log holds " +
                    std::to_string(options.position_reports) +
                    " position checkpoints: fixes were stored there, and every one would be gone";
  if (!options.accept_track_loss)
    return DataLoss(why +
                    ". Restore it from a copy of the data folder, or start with "
                    "--accept-track-loss to go on without the stored tracks");
  spdlog::critical(
      "{} (--accept-track-loss: starting with an empty track store; "
      "ncc_avl_track_file_lost says so)",
      why);
  return true;
}

}  // namespace

StatusOr<std::unique_ptr<AvlLane>> AvlLane::Open(Engine& engine, const Clock& clock,
                                                 LaneOptions options) {
  auto lost = CheckTrackFileThere(options);
  if (!lost.ok()) return lost.status();
  auto tracks =
      track::TrackStore::Open(options.track_path, {.repair = true, .file = options.track_file});
  if (!tracks.ok()) return tracks.status();
  const track::OpenReport& report = (*tracks)->open_report();
  if (!report.migrated_from.empty())
    spdlog::warn("track store {}: migrated to format version {}; the original is kept as {}",
                 options.track_path, track::kFormatVersion, report.migrated_from);
  if (report.lost_blocks > 0 || report.synced_lost_fixes > 0)
    spdlog::error(
        "track store {}: {} damaged blocks skipped ({} bytes), {} acknowledged fixes lost ({} of "
        "them cut off the end after their sync)",
        options.track_path, report.lost_blocks, report.lost_bytes, report.lost_fixes,
        report.synced_lost_fixes);
  if (!report.problem.empty())
    spdlog::warn("track store {}: {} ({} tail bytes cut{}{})", options.track_path, report.problem,
                 report.dropped_bytes, report.saved_tail.empty() ? "" : ", saved to ",
                 report.saved_tail);
  spdlog::info("track store {}: {} fixes in {} blocks", options.track_path, report.fixes,
               report.blocks);
  std::unique_ptr<AvlLane> lane(
      new AvlLane(engine, clock, std::move(options), std::move(*tracks), *lost));
  return lane;
}

AvlLane::AvlLane(Engine& engine, const Clock& clock, LaneOptions options,
                 std::unique_ptr<track::TrackStore> tracks, bool track_file_lost)
    : engine_(engine),
      clock_(clock),
      options_(std::move(options)),
      disk_(options_.track_path, options_.disk_reserve_bytes),
      tracks_(std::move(tracks)),
      index_(options_.index),
      zones_(std::make_shared<geo::Geofences>()),
      track_file_lost_(track_file_lost) {
  // Where every unit was: its newest durable fix.
  for (UnitId u : tracks_->Units())
    if (auto last = tracks_->Last(u); last.ok())
      (void)index_.Update(u, last->position, last->time, last->speed_mps, last->heading_deg);
  // The log says which units were reported stale: those are not reported again. A unit that
  // fell silent while the server was down is reported at the first check.
  std::vector<std::pair<UnitId, uint8_t>> attrs;
  engine_.Read([&](const World& w) {
    for (const Unit& u : w.units()) {
      attrs.push_back({u.id, AttributesOf(u)});
      if (!u.stale) continue;
      GrowFor(stale_, u.id.value);
      stale_[u.id.value] = 1;
    }
    attributes_seq_ = w.last_seq();
  });
  {
    WriterLock write(index_mu_);  // not needed yet (no thread runs), but never skipped
    for (auto [id, a] : attrs) index_.SetAttributes(id, a);
  }
  feed_listener_ = engine_.feed().Listen([this] { attributes_dirty_ = true; });
  thread_ = std::thread([this] { Run(); });
}

AvlLane::~AvlLane() {
  Stop();
}

void AvlLane::Stop() {
  {
    MutexLock lock(queue_mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  queue_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (feed_listener_) engine_.feed().Unlisten(feed_listener_), feed_listener_ = 0;
}

uint8_t AvlLane::AttributesOf(const Unit& u) {
  uint8_t code = 0;
  {
    MutexLock lock(kinds_mu_);
    auto it = kind_codes_.find(u.kind);
    if (it != kind_codes_.end()) {
      code = it->second;
    } else if (kind_codes_.size() < kMaxKindCode) {
      code = static_cast<uint8_t>(kind_codes_.size() + 1);
      kind_codes_.emplace(u.kind, code);
    }
  }
  return static_cast<uint8_t>(code << 1) | (u.status == UnitStatus::kAvailable ? kAvailableBit : 0);
}

bool AvlLane::FilterFor(const std::string& kind, bool available_only, geo::UnitFilter& out) const {
  out = {};
  if (available_only) out.require_all |= kAvailableBit;
  if (kind.empty()) return true;
  MutexLock lock(kinds_mu_);
  auto it = kind_codes_.find(kind);
  if (it == kind_codes_.end()) return false;
  // Exact match of the 7-bit code: every bit it has, none it lacks.
  out.require_all |= static_cast<uint8_t>(it->second << 1);
  out.exclude_any |= static_cast<uint8_t>((~it->second & kMaxKindCode) << 1);
  return true;
}

void AvlLane::Submit(Source source, const auth::Principal& who, std::vector<PositionFix> fixes,
                     Done done) {
  if (stopped_) {  // fail-stop: nothing is screened, queued or acknowledged any more
    unstored_ += fixes.size();
    BatchResult refused;
    refused.status = health();
    return done(std::move(refused));
  }
  Pending p{source, {}, {}, {}, std::move(done)};
  p.fixes.reserve(fixes.size());
  p.index.reserve(fixes.size());
  auto reject = [&](size_t i, Reason r, std::string field, std::string message) {
    counters_.Rejected(source, r);
    p.result.rejected.push_back({i, r, std::move(field), std::move(message)});
  };
  const Time now = clock_.Now();
  // A TAK client's right to move units is cot.ingest (its key's lane), not position.report.
  const auth::Action action =
      source == Source::kCot ? auth::Action::kCotIngest : auth::Action::kPositionReport;
  engine_.Read([&](const World& w) {
    // Fixes of one batch mostly share an agency: decide authorization once per agency.
    std::string verdict_agency;
    Classification verdict_class = Classification::kPublic;
    std::vector<std::string> verdict_shares;
    int verdict = -1;  // 0 ok, 1 forbidden (visible), 2 invisible
    std::string forbidden_message;
    for (size_t i = 0; i < fixes.size(); ++i) {
      const PositionFix& f = fixes[i];
      const Unit* u = w.FindUnit(f.unit);
      std::string no_unit = "no unit " + std::to_string(f.unit.value);
      if (!u) {
        reject(i, Reason::kUnknownUnit, "unit", no_unit);
        continue;
      }
      // Units of one batch mostly share a label: decide once per label, not per fix.
      if (verdict < 0 || u->agency != verdict_agency || u->classification != verdict_class ||
          u->shared_with != verdict_shares) {
        auto label = UnitLabel(*u);
        Status s = auth::Authorize(who, action, &label);
        verdict = s.ok() ? 0 : auth::CanSee(who, label, auth::Action::kUnitRead) ? 1 : 2;
        forbidden_message = s.message();
        verdict_agency = u->agency;
        verdict_class = u->classification;
        verdict_shares = u->shared_with;
      }
      if (verdict == 0) {  // a field account moves only its own unit
        if (Status own = auth::CheckOwnUnit(who, u->agency, u->callsign); !own.ok()) {
          reject(i, Reason::kForbidden, "unit", own.message());
          continue;
        }
      }
      if (verdict == 1) {
        reject(i, Reason::kForbidden, "unit", forbidden_message);
        continue;
      }
      if (verdict == 2) {  // a unit the sender may not even see is unknown to it
        reject(i, Reason::kUnknownUnit, "unit", no_unit);
        continue;
      }
      if (auto r = CheckFixValues(f, i, now)) {
        reject(i, ReasonOfField(r->field), r->field, r->reason);
        continue;
      }
      p.fixes.push_back(f);
      p.index.push_back(i);
    }
  });
  if (p.fixes.empty()) return p.done(std::move(p.result));
  bool stopping;
  {
    MutexLock lock(queue_mu_);
    stopping = stopping_;
    if (!stopping && queued_fixes_ + p.fixes.size() <= options_.max_queued_fixes) {
      queued_fixes_ += p.fixes.size();
      queue_.push_back(std::move(p));
      queue_cv_.notify_one();
      return;
    }
  }
  counters_.Rejected(source, Reason::kOverload, p.fixes.size());
  p.result.status = Status(StatusCode::kUnavailable,
                           stopping ? "the AVL lane is stopping" : "the AVL lane is full; retry");
  p.done(std::move(p.result));
}

void AvlLane::Run() {
  using Steady = std::chrono::steady_clock;
  auto next_tick = Steady::now() + std::chrono::milliseconds(options_.tick_ms);
  for (;;) {
    std::vector<Pending> group;
    {
      MutexLock lock(queue_mu_);
      while (!stopping_ && queue_.empty() && Steady::now() < next_tick)
        queue_cv_.wait_until(queue_mu_, next_tick);
      if (queue_.empty() && stopping_) break;
      group.swap(queue_);
      queued_fixes_ = 0;
    }
    if (attributes_dirty_.exchange(false)) SyncAttributes();
    RecordMonitoring changes;
    if (Steady::now() >= next_tick && !stopped_) {  // a stopped lane reports nothing
      CheckStale(changes);
      next_tick = Steady::now() + std::chrono::milliseconds(options_.tick_ms);
    }
    ProcessGroup(group);
    if (!changes.stale.empty()) {
      std::vector<Pending> none;
      Finish(none, std::move(changes));
    }
  }
}

void AvlLane::ProcessGroup(std::vector<Pending>& group) {
  if (group.empty()) return;
  if (stopped_) return Refuse(group, health());  // queued before the lane stopped
  // A full disk refuses the group before anything changes: no fail-stop for what is only
  // waiting for space.
  if (Status space = disk_.Check(); !space.ok()) return Refuse(group, space);
  ++groups_;
  RecordMonitoring changes;
  std::vector<PositionFix> accepted;
  std::shared_ptr<const geo::Geofences> zones = this->zones();
  undo_.saved.clear();
  {
    WriterLock write(index_mu_);
    ApplyToIndex(group, zones && zones->size() > 0 ? zones.get() : nullptr, accepted, changes);
  }
  Status status = Status::Ok();
  if (!accepted.empty()) {
    auto appended = tracks_->Append(accepted);
    status = appended.ok() ? tracks_->Sync() : appended.status();
  }
  if (!status.ok()) return StopOnFailure(group, status);
  if (options_.on_durable && !accepted.empty()) options_.on_durable(accepted);
  Finish(group, std::move(changes));
}

void AvlLane::ApplyToIndex(std::vector<Pending>& group, const geo::Geofences* zones,
                           std::vector<PositionFix>& accepted, RecordMonitoring& changes) {
  const uint64_t group_no = groups_.load();
  for (Pending& p : group) {
    for (size_t k = 0; k < p.fixes.size(); ++k) {
      const PositionFix& f = p.fixes[k];
      // Every unit the group touches, before its first fix of the group: even a held-back jump
      // changes the index, and all of it is undone if the track write fails.
      GrowFor(undo_.group_of, f.unit.value);
      if (undo_.group_of[f.unit.value] != group_no) {
        undo_.group_of[f.unit.value] = group_no;
        undo_.saved.push_back(index_.Save(f.unit));
      }
      std::optional<LatLon> before;
      if (zones)
        if (auto b = index_.Get(f.unit); b && b->time.ms != 0) before = b->position;
      geo::FixOutcome o = index_.Update(f.unit, f.position, f.time, static_cast<float>(f.speed),
                                        static_cast<float>(f.heading));
      if (o != geo::FixOutcome::kAccepted) {
        RejectFix(p, k, o);
        continue;
      }
      accepted.push_back(f);
      ++p.result.accepted;
      NoteChanges(f, before, zones, changes);
    }
  }
}

void AvlLane::RejectFix(Pending& p, size_t k, geo::FixOutcome o) {
  Reason r = o == geo::FixOutcome::kStaleOlder       ? Reason::kOlder
             : o == geo::FixOutcome::kDuplicate      ? Reason::kDuplicate
             : o == geo::FixOutcome::kImpossibleJump ? Reason::kImpossibleJump
                                                     : Reason::kPosition;
  counters_.Rejected(p.source, r);
  p.result.rejected.push_back(
      {p.index[k], r, r == Reason::kImpossibleJump ? "position" : "time",
       r == Reason::kOlder       ? "older than the unit's current fix"
       : r == Reason::kDuplicate ? "same time as the unit's current fix"
       : r == Reason::kImpossibleJump
           ? "implies an impossible speed from the last trusted fix; held back"
           : "invalid position"});
}

void AvlLane::NoteChanges(const PositionFix& f, std::optional<LatLon> before,
                          const geo::Geofences* zones, RecordMonitoring& changes) {
  const uint64_t id = f.unit.value;
  GrowFor(stale_, id);
  GrowFor(checkpointed_ms_, id);
  if (stale_[id]) {
    stale_[id] = 0;
    changes.stale.push_back({f.unit, false, f.time, options_.stale_after_ms});
  }
  int64_t& last = checkpointed_ms_[id];
  if (options_.checkpoint_every_ms <= 0 || last == 0 ||
      f.time.ms - last >= options_.checkpoint_every_ms) {
    last = f.time.ms;
    changes.checkpoint.push_back(f);
  }
  if (!zones) return;
  for (const geo::ZoneTransition& t : zones->Transitions(before, f.position)) {
    ZoneCrossing c{f.unit,     t.zone->id, t.zone->name, geo::ZoneKindName(t.zone->kind),
                   f.position, f.time};
    if (t.transition == geo::Transition::kExited) {
      changes.exited.push_back({c});
    } else {
      changes.entered.push_back({c});
      if (t.zone->restricted) changes.alerts.push_back({c});
    }
  }
}

void AvlLane::StopOnFailure(std::vector<Pending>& group, const Status& cause) {
  {
    // Readers must never see a fix the client is refused; the store has already cut it off.
    WriterLock write(index_mu_);
    for (auto s = undo_.saved.rbegin(); s != undo_.saved.rend(); ++s) index_.Restore(*s);
  }
  // stale_ and checkpointed_ms_ may now be ahead of the log: harmless, a stopped lane reports
  // nothing more and a restart rebuilds them from the World.
  ++syncs_failed_;
  {
    MutexLock lock(stop_mu_);
    stop_cause_ = Unavailable("the AVL lane has stopped: " + cause.message() +
                              "; no fix is accepted until the server is restarted");
  }
  stopped_ = true;
  size_t fixes = 0;
  for (const Pending& p : group) fixes += p.result.accepted;
  spdlog::critical(
      "AVL lane stopped to protect the track record: {} ({} batches, {} fixes refused)",
      cause.ToString(), group.size(), fixes);
  Refuse(group, health());
}

void AvlLane::Refuse(std::vector<Pending>& group, const Status& status) {
  for (Pending& p : group) {
    unstored_ += p.fixes.size();
    p.result.status = status;
    p.result.accepted = 0;
    p.result.rejected.clear();
    p.done(std::move(p.result));
  }
}

Status AvlLane::health() const {
  if (!stopped_) return Status::Ok();
  MutexLock lock(stop_mu_);
  return stop_cause_;
}

void AvlLane::CheckStale(RecordMonitoring& changes) {
  if (options_.stale_after_ms <= 0) return;
  const Time now = clock_.Now();
  ReaderLock read(index_mu_);
  for (UnitId u : index_.Stale(now, options_.stale_after_ms)) {
    GrowFor(stale_, u.value);
    if (stale_[u.value]) continue;
    auto pos = index_.Get(u);
    if (!pos || pos->last_seen.ms == 0) continue;  // never reported: not stale, just silent
    stale_[u.value] = 1;
    changes.stale.push_back({u, true, pos->last_seen, options_.stale_after_ms});
  }
}

void AvlLane::Finish(std::vector<Pending>& group, RecordMonitoring changes) {
  // Counted here, once durable: "accepted" on /metrics never includes a fix that was refused.
  for (const Pending& p : group) counters_.Accepted(p.source, p.result.accepted);
  stale_events_ += changes.stale.size();
  zone_events_ += changes.entered.size() + changes.exited.size();
  alerts_ += changes.alerts.size();
  checkpoints_ += changes.checkpoint.size();
  if (changes.checkpoint.empty() && changes.stale.empty() && changes.entered.empty() &&
      changes.exited.empty()) {
    for (Pending& p : group) p.done(std::move(p.result));
    return;
  }
  // The fixes are durable; acknowledge once their state changes are durable in the log too.
  auto waiting = std::make_shared<std::vector<Pending>>(std::move(group));
  engine_.Submit(std::move(changes), "avl-lane", "", [waiting](CommandOutcome o) {
    if (!o.status.ok())
      spdlog::error("AVL lane: state changes not logged: {}", o.status.ToString());
    for (Pending& p : *waiting) {
      p.result.seq = o.last_seq;
      p.done(std::move(p.result));
    }
  });
}

void AvlLane::SyncAttributes() {
  std::vector<FeedItemPtr> items;
  std::vector<UnitId> touched;
  bool complete = true;
  for (;;) {
    items.clear();
    if (!engine_.feed().ReadAfter(attributes_seq_, 4096, items)) {
      complete = false;  // fell out of the ring: rescan every unit
      break;
    }
    if (items.empty()) break;
    for (const FeedItemPtr& item : items) {
      const EventBody& b = item->event().body;
      if (auto* r = std::get_if<UnitRegistered>(&b)) touched.push_back(r->id);
      if (auto* s = std::get_if<UnitStatusChanged>(&b)) touched.push_back(s->id);
    }
    attributes_seq_ = items.back()->seq();
  }
  std::vector<std::pair<UnitId, uint8_t>> attrs;
  engine_.Read([&](const World& w) {
    if (!complete) {
      for (const Unit& u : w.units()) attrs.push_back({u.id, AttributesOf(u)});
      attributes_seq_ = w.last_seq();
    } else {
      for (UnitId id : touched)
        if (const Unit* u = w.FindUnit(id)) attrs.push_back({id, AttributesOf(*u)});
    }
  });
  if (attrs.empty()) return;
  WriterLock write(index_mu_);
  for (auto [id, a] : attrs) index_.SetAttributes(id, a);
}

void AvlLane::SetZones(std::shared_ptr<const geo::Geofences> zones) {
  MutexLock lock(zones_mu_);
  zones_ = std::move(zones);
}

std::shared_ptr<const geo::Geofences> AvlLane::zones() const {
  MutexLock lock(zones_mu_);
  return zones_;
}

std::optional<LiveUnit> AvlLane::Get(UnitId unit) const {
  ReaderLock read(index_mu_);
  auto p = index_.Get(unit);
  if (!p || p->time.ms == 0) return std::nullopt;
  LiveUnit u{*p, false};
  if (options_.stale_after_ms > 0)
    u.stale = clock_.Now().ms - p->last_seen.ms > options_.stale_after_ms;
  return u;
}

std::vector<geo::Neighbor> AvlLane::Nearest(LatLon center, size_t k, geo::UnitFilter filter) const {
  ReaderLock read(index_mu_);
  return index_.Nearest(center, k, filter);
}

void AvlLane::RenderMetrics(std::string& out) const {
  counters_.Render(out);
  RenderCounter(out, "ncc_avl_groups_total", "Group commits of the AVL lane (one fdatasync each)",
                groups_.load());
  RenderCounter(out, "ncc_avl_sync_failures_total",
                "Track store writes or syncs that failed (the first one stops the lane)",
                syncs_failed_.load());
  RenderCounter(out, "ncc_avl_lane_up",
                "1 while the AVL lane accepts fixes, 0 once a track store failure stopped it",
                stopped_ ? 0 : 1, "gauge");
  RenderCounter(out, "ncc_avl_fixes_unstored_total",
                "Fixes refused because the track write of their group failed or the lane had "
                "stopped",
                unstored_.load());
  RenderCounter(out, "ncc_avl_checkpoints_total", "Fixes checkpointed into the event log",
                checkpoints_.load());
  RenderCounter(out, "ncc_avl_stale_events_total", "unit_stale events (stale and back)",
                stale_events_.load());
  RenderCounter(out, "ncc_avl_zone_events_total", "zone_entered and zone_exited events",
                zone_events_.load());
  RenderCounter(out, "ncc_avl_restricted_alerts_total", "restricted_zone_alert events",
                alerts_.load());
  size_t units;
  {
    ReaderLock read(index_mu_);
    units = index_.size();
  }
  RenderCounter(out, "ncc_avl_units", "Units the live index holds", units, "gauge");
  RenderCounter(out, "ncc_avl_track_bytes", "Size of the track store file", tracks_->size_bytes(),
                "gauge");
  // What the scan at start found damaged (docs/formats/tracks.md): constant while running.
  const track::OpenReport& r = tracks_->open_report();
  RenderCounter(out, "ncc_avl_track_lost_blocks",
                "Damaged track store blocks skipped at start (each costs its own fixes only)",
                r.lost_blocks, "gauge");
  RenderCounter(out, "ncc_avl_track_lost_bytes", "Bytes of the damaged blocks skipped at start",
                r.lost_bytes, "gauge");
  RenderCounter(out, "ncc_avl_track_lost_fixes",
                "Acknowledged fixes lost from the track store (damaged blocks, or cut after their "
                "sync; found "
                "at start)",
                r.lost_fixes, "gauge");
  RenderCounter(out, "ncc_avl_track_file_lost",
                "1: started over a missing track file the event log proved held fixes "
                "(--accept-track-loss)",
                track_file_lost_ ? 1 : 0, "gauge");
  RenderCounter(out, "ncc_avl_track_dropped_tail_bytes",
                "Bytes of a torn or corrupt tail cut off the track store at start", r.dropped_bytes,
                "gauge");
}

}  // namespace ncc::monitor
