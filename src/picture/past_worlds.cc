#include "picture/past_worlds.h"

#include <algorithm>
#include <unordered_set>

namespace ncc::picture {
namespace {

constexpr size_t kReadChunk = 4096;  // events per read of the log

}  // namespace

const char* Name(BuildReport::Base base) {
  switch (base) {
    case BuildReport::Base::kEmpty:
      return "empty";
    case BuildReport::Base::kRecent:
      return "recent";
    case BuildReport::Base::kCheckpoint:
      return "checkpoint";
    case BuildReport::Base::kSnapshot:
      return "snapshot";
  }
  return "?";
}

PastWorlds::PastWorlds(const EventLog& log, const SnapshotStore* snapshots,
                       PastWorldsOptions options)
    : log_(log),
      snapshots_(snapshots),
      options_(options),
      spacing_(std::max<uint64_t>(options.checkpoint_every, 1)) {}

PastWorlds::~PastWorlds() {
  stop_ = true;
  if (warmer_.joinable()) warmer_.join();
}

void PastWorlds::StartWarmUp() {
  if (warmer_.joinable()) return;
  warmer_ = std::thread([this] {
    const uint64_t head = log_.LastSeq().value;
    for (uint64_t at = 0; !stop_;) {
      {
        MutexLock lock(mu_);
        at += spacing_ - at % spacing_;  // the next point on the grid (it may have widened)
      }
      if (at > head || !At(Seq(at)).ok()) break;
    }
    warm_ = true;
  });
}

StatusOr<Time> PastWorlds::TimeOf(Seq seq) const {
  if (!seq) return Time{0};
  auto read = log_.ReadAfter(Seq(seq.value - 1), 1);
  if (!read.ok()) return read.status();
  if (read->empty() || read->front().seq != seq)
    return DataLoss("event " + std::to_string(seq.value) + ": not in the log");
  return read->front().time;
}

StatusOr<ChainPosition> PastWorlds::SeqAt(Time at) const {
  uint64_t lo = 0, hi = log_.LastSeq().value;  // the answer is in [lo, hi]
  while (lo < hi) {
    uint64_t mid = lo + (hi - lo + 1) / 2;
    auto t = TimeOf(Seq(mid));
    if (!t.ok()) return t.status();
    if (*t <= at)
      lo = mid;
    else
      hi = mid - 1;
  }
  auto t = TimeOf(Seq(lo));
  if (!t.ok()) return t.status();
  return ChainPosition{Seq(lo), {}, *t};
}

StatusOr<PastWorld> PastWorlds::At(Seq seq, BuildReport* report) {
  Seq head = log_.LastSeq();
  if (seq > head)
    return InvalidArgument("seq " + std::to_string(seq.value) + " is beyond the last event (" +
                               std::to_string(head.value) + ")",
                           "seq");
  MutexLock lock(mu_);
  BuildReport local;
  BuildReport& r = report ? *report : local;
  r = {};
  if (auto hit = recent_.find(seq.value); hit != recent_.end()) {
    hit->second.used = ++clock_;
    r.base = BuildReport::Base::kRecent;
    r.base_seq = seq;
    return PastWorld{hit->second.world, seq, hit->second.time};
  }
  std::shared_ptr<World> world;
  Time time{0};
  NCC_RETURN_IF_ERROR(Base(seq, world, time, r));
  NCC_RETURN_IF_ERROR(Replay(*world, seq, time, r));
  ++builds_;
  replayed_ += r.replayed;
  Remember(world, time);
  return PastWorld{std::move(world), seq, time};
}

Status PastWorlds::Base(Seq seq, std::shared_ptr<World>& world, Time& time, BuildReport& r) {
  // The nearest in memory: a recent World or a checkpoint, whichever is later.
  auto recent = recent_.upper_bound(seq.value);
  auto checkpoint = checkpoints_.upper_bound(seq.value);
  uint64_t recent_seq = recent == recent_.begin() ? 0 : std::prev(recent)->first;
  uint64_t checkpoint_seq = checkpoint == checkpoints_.begin() ? 0 : std::prev(checkpoint)->first;
  Seq best(std::max(recent_seq, checkpoint_seq));
  if (FromSnapshot(seq, best, world, time)) {
    r.base = BuildReport::Base::kSnapshot;
    r.base_seq = world->last_seq();
    MaybeCheckpoint(*world, time);
    return Status::Ok();
  }
  r.base_seq = best;
  if (best.value == 0) {
    world = std::make_shared<World>();
    return Status::Ok();
  }
  if (recent_seq >= checkpoint_seq) {
    auto it = std::prev(recent);
    r.base = BuildReport::Base::kRecent;
    time = it->second.time;
    // No reader holds it: take it over (a slider moved forward needs no copy).
    if (it->second.world.use_count() == 1) {
      world = std::move(it->second.world);
      recent_.erase(it);
    } else {
      world = std::make_shared<World>(*it->second.world);
    }
    return Status::Ok();
  }
  const Checkpoint& c = std::prev(checkpoint)->second;
  time = c.time;
  r.base = BuildReport::Base::kCheckpoint;
  world = std::make_shared<World>(*c.world);  // shares the records until the replay changes them
  return Status::Ok();
}

// A snapshot file is worth reading only when it saves more replay than a checkpoint's spacing
// (reading and deserializing it costs about as much as replaying that many events).
bool PastWorlds::FromSnapshot(Seq seq, Seq best, std::shared_ptr<World>& world, Time& time) {
  if (!snapshots_) return false;
  bool worth = false;
  for (Seq s : snapshots_->Seqs())
    if (s <= seq && s.value > best.value + spacing_) worth = true;
  if (!worth) return false;
  auto snap = snapshots_->LoadAtOrBefore(seq);
  if (!snap.ok() || snap->seq.value <= best.value) return false;
  auto restored = World::Deserialize(snap->world);  // an older format: replay instead
  if (!restored.ok() || restored->last_seq() != snap->seq) return false;
  auto t = TimeOf(snap->seq);
  if (!t.ok()) return false;
  world = std::make_shared<World>(std::move(*restored));
  time = *t;
  return true;
}

Status PastWorlds::Replay(World& world, Seq seq, Time& time, BuildReport& r) {
  Seq at = world.last_seq();
  while (at < seq) {
    auto batch = log_.ReadAfter(at, std::min<uint64_t>(kReadChunk, seq.value - at.value));
    if (!batch.ok()) return batch.status();
    if (batch->empty())
      return DataLoss("event " + std::to_string(at.value + 1) + ": not in the log");
    for (const StoredEvent& e : *batch) {
      if (e.seq.value != at.value + 1)
        return DataLoss("event " + std::to_string(at.value + 1) + ": missing from the log");
      auto event = Decode(e);
      if (!event.ok()) return event.status();
      world.Apply(*event);
      at = e.seq;
      time = e.time;
      ++r.replayed;
      if (at.value % spacing_ == 0) MaybeCheckpoint(world, time);
    }
  }
  return Status::Ok();
}

void PastWorlds::MaybeCheckpoint(const World& world, Time time) {
  uint64_t seq = world.last_seq().value;
  if (seq == 0 || seq % spacing_ != 0 || checkpoints_.count(seq)) return;
  checkpoints_.emplace(seq, Checkpoint{std::make_shared<const World>(world), time});
  checkpoint_bytes_ = CheckpointBytes();
  // Over budget: every other checkpoint goes (the spacing doubles), until it fits.
  while (checkpoint_bytes_ > options_.checkpoint_bytes && !checkpoints_.empty()) {
    spacing_ *= 2;
    const uint64_t spacing = spacing_;  // the analysis reads no lambdas
    std::erase_if(checkpoints_, [spacing](const auto& c) { return c.first % spacing != 0; });
    checkpoint_bytes_ = CheckpointBytes();
  }
}

uint64_t PastWorlds::CheckpointBytes() const {
  std::unordered_set<const void*> held;
  uint64_t bytes = 0;
  for (const auto& [seq, c] : checkpoints_) bytes += c.world->BytesBeyond(held);
  return bytes;
}

void PastWorlds::Remember(std::shared_ptr<World> world, Time time) {
  if (options_.recent == 0) return;
  uint64_t seq = world->last_seq().value;
  recent_[seq] = Recent{std::move(world), time, ++clock_};
  while (recent_.size() > options_.recent) {
    auto oldest = std::min_element(
        recent_.begin(), recent_.end(),
        [](const auto& a, const auto& b) { return a.second.used < b.second.used; });
    recent_.erase(oldest);
  }
}

PastWorlds::Stats PastWorlds::stats() const {
  MutexLock lock(mu_);
  return {checkpoints_.size(), checkpoint_bytes_, spacing_, recent_.size(), builds_, replayed_};
}

}  // namespace ncc::picture
