#include "engine/engine.h"

#include <spdlog/spdlog.h>

#include <future>

namespace ncc {

StatusOr<std::unique_ptr<Engine>> Engine::Open(std::unique_ptr<EventLog> log,
                                               std::unique_ptr<SnapshotStore> snapshots,
                                               Clock& clock, EngineOptions options,
                                               Recovered* recovery_report) {
  auto recovered = Recover(*log, snapshots.get());
  if (!recovered.ok()) return recovered.status();
  if (recovery_report) {
    recovery_report->snapshot_seq = recovered->snapshot_seq;
    recovery_report->replayed = recovered->replayed;
    recovery_report->notes = recovered->notes;
    recovery_report->head = recovered->head;
    recovery_report->last_time = recovered->last_time;
    recovery_report->position_reports = recovered->position_reports;
  }
  return std::unique_ptr<Engine>(
      new Engine(std::move(log), std::move(snapshots), clock, options, std::move(*recovered)));
}

Engine::Engine(std::unique_ptr<EventLog> log, std::unique_ptr<SnapshotStore> snapshots,
               Clock& clock, EngineOptions options, Recovered recovered)
    : log_(std::move(log)),
      snapshots_(std::move(snapshots)),
      clock_(clock),
      options_(options),
      world_(std::move(recovered.world)),
      head_(recovered.head),
      feed_(options.feed_capacity) {
  events_since_snapshot_ = recovered.replayed;
  // A wall clock set back across a restart (a bad NTP step, a restored VM) must not stamp new
  // events before the ones already logged.
  last_time_ = recovered.last_time;
  feed_.StartAt(world_.last_seq());
  writing_ = !options_.standby;
  if (options_.on_durable && world_.last_seq().value)
    options_.on_durable(world_.last_seq(), head_, true);
  writer_ = std::thread([this] { WriterLoop(); });
}

Engine::~Engine() {
  Stop();
  if (snapshot_thread_.joinable()) snapshot_thread_.join();
}

void Engine::Stop() {
  {
    std::lock_guard lock(queue_mu_);
    if (stopping_ && !writer_.joinable()) return;
    stopping_ = true;
  }
  queue_cv_.notify_all();
  if (writer_.joinable()) {
    writer_.join();
    if (options_.on_durable && world_.last_seq().value)
      options_.on_durable(world_.last_seq(), head_, true);
  }
}

void Engine::Submit(Command command, std::string actor, std::string agency, Done done,
                    CommandId id) {
  bool standby = false;
  {
    std::lock_guard lock(queue_mu_);
    standby = !writing_.load();
    if (!stopping_ && !standby) {
      queue_.push_back(
          {std::move(command),
           CommandContext{
               std::move(actor), std::move(agency), {}, std::move(id.id), std::move(id.request)},
           std::move(done), std::chrono::steady_clock::now()});
      if (queue_.size() == 1) queue_cv_.notify_one();
      return;
    }
  }
  CommandOutcome refused;
  if (standby) ++refused_standby_;
  refused.status = standby ? NotWriting() : Unavailable("the engine is stopping");
  done(std::move(refused));
}

CommandOutcome Engine::SubmitAndWait(Command command, std::string actor, std::string agency,
                                     CommandId id) {
  std::promise<CommandOutcome> promise;
  auto future = promise.get_future();
  Submit(
      std::move(command), std::move(actor), std::move(agency),
      [&promise](CommandOutcome o) { promise.set_value(std::move(o)); }, std::move(id));
  return future.get();
}

void Engine::WriterLoop() {
  std::vector<Pending> batch;
  while (true) {
    if (!writing_.load()) {
      if (!FollowStep()) return;
      continue;
    }
    {
      std::unique_lock lock(queue_mu_);
      queue_cv_.wait(lock, [&] { return stopping_ || !queue_.empty() || !writing_.load(); });
      if (!writing_.load()) continue;  // stepped down: what is queued is refused by FollowStep
      if (queue_.empty()) return;      // stopping and drained
      if (queue_.size() <= options_.max_batch) {
        batch.swap(queue_);
      } else {
        batch.assign(
            std::make_move_iterator(queue_.begin()),
            std::make_move_iterator(queue_.begin() + static_cast<ptrdiff_t>(options_.max_batch)));
        queue_.erase(queue_.begin(), queue_.begin() + static_cast<ptrdiff_t>(options_.max_batch));
      }
    }
    ProcessBatch(batch);
    batch.clear();
  }
}

void Engine::RefuseBatch(std::vector<Pending>& batch, const Status& why) {
  if (!disk_full_) spdlog::error("refusing commands: {}", why.message());
  disk_full_ = true;
  refused_for_space_ += batch.size();
  for (Pending& p : batch) {
    CommandOutcome o;
    o.status = why;
    p.done(std::move(o));
  }
}

void Engine::RollBackToLog() {
  // The log was checked whole at start and only this writer has appended since: the tail after
  // the snapshot is enough (a whole walk would hold the writer thread for the whole log).
  auto recovered = Recover(*log_, snapshots_.get(), ChainCheck::kTail);
  if (!recovered.ok()) {
    spdlog::critical("cannot rebuild the state from the log after a refused append: {}",
                     recovered.status().ToString());
    std::abort();
  }
  std::unique_lock lock(world_mu_);
  world_ = std::move(recovered->world);
  head_ = recovered->head;
  ++rollbacks_;
}

void Engine::ProcessBatch(std::vector<Pending>& batch) {
  // A full disk is an answer, not a crash: refuse before deciding, so the World stays as the
  // log is. The check is one statvfs per batch.
  if (Status space = log_->CheckSpace(); !space.ok()) return RefuseBatch(batch, space);
  if (disk_full_) spdlog::info("disk space returned: taking commands again");
  disk_full_ = false;

  // Time never runs backwards in the log, even if the wall clock does.
  Time now = clock_.Now();
  if (now < last_time_) now = last_time_;
  last_time_ = now;

  std::vector<Event> events;
  std::vector<CommandOutcome> outcomes(batch.size());
  {
    std::unique_lock lock(world_mu_);
    for (size_t i = 0; i < batch.size(); ++i) {
      batch[i].ctx.now = now;
      size_t before = events.size();
      auto decision = Execute(batch[i].command, world_, batch[i].ctx, events);
      CommandOutcome& o = outcomes[i];
      if (!decision.ok()) {
        o.status = decision.status();
        continue;
      }
      o.created_id = decision->created_id;
      o.rejected = std::move(decision->rejected);
      if (decision->replayed) {
        o.replayed = true;
        o.events = decision->replayed_events;
        o.last_seq = decision->replayed_last_seq;
        continue;
      }
      o.events = events.size() - before;
      if (o.events) o.last_seq = events.back().meta.seq;
    }
  }

  if (!events.empty()) {
    std::vector<StoredEvent> stored;
    stored.reserve(events.size());
    for (const Event& e : events) {
      stored.push_back(Encode(e, head_));
      head_ = stored.back().hash;
    }
    auto started = std::chrono::steady_clock::now();
    Status s = log_->Append(stored);
    append_latency_.Record(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    if (s.code() == StatusCode::kInsufficientStorage) {
      // Nothing was stored (the log's contract): the World goes back to what the log holds and
      // every command of the batch is refused.
      RollBackToLog();
      return RefuseBatch(batch, s);
    }
    if (s.code() == StatusCode::kFailedPrecondition && log_->Fenced()) {
      // Another node took the lease and the log's fence refused the batch: nothing was stored.
      return StepDownAfterDeposed(batch, s);
    }
    if (!s.ok()) {
      // The World is ahead of the log and nothing here can make the log catch up: stop now,
      // unacknowledged, and let recovery rebuild the World from what is durable.
      spdlog::critical("event log append failed, stopping to protect the record: {}", s.ToString());
      std::abort();
    }
    events_total_ += events.size();
    events_since_snapshot_ += events.size();
    ++batches_;
    batch_size_.Record(static_cast<double>(batch.size()));
  }

  // Durable now: publish first, so a client that reads right after its ack sees its events.
  const bool appended = !events.empty();
  if (appended) feed_.Publish(std::move(events));
  auto acked = std::chrono::steady_clock::now();
  for (size_t i = 0; i < batch.size(); ++i) {
    (outcomes[i].status.ok() ? commands_ok_ : commands_refused_)++;
    if (outcomes[i].replayed) ++commands_replayed_;
    command_latency_.Record(std::chrono::duration<double>(acked - batch[i].queued).count());
    batch[i].done(std::move(outcomes[i]));
  }
  if (options_.on_durable && appended) options_.on_durable(world_.last_seq(), head_, false);
  MaybeSnapshot();
}

void Engine::MaybeSnapshot() {
  if (!snapshots_ || options_.snapshot_every == 0 ||
      events_since_snapshot_ < options_.snapshot_every)
    return;
  if (snapshot_thread_.joinable()) {
    snapshot_thread_.join();  // the previous snapshot is long done by now in practice
  }
  events_since_snapshot_ = 0;
  // Serialising on the writer thread keeps the World consistent without a lock; the slow
  // part, writing and syncing the file, happens in the background.
  Snapshot snap{world_.last_seq(), head_, world_.Serialize()};
  snapshot_thread_ = std::thread([this, snap = std::move(snap)] {
    Status s = snapshots_->Write(snap);
    if (s.ok()) {
      ++snapshots_written_;
      spdlog::info("snapshot written at seq {}", snap.seq.value);
    } else {
      spdlog::error("snapshot at seq {} failed: {}", snap.seq.value, s.ToString());
    }
  });
}

// --- hot standby -----------------------------------------------------------------------------

void Engine::Promote() {
  promote_ = true;
  queue_cv_.notify_all();
}

void Engine::StepDown(const std::string& why) {
  {
    std::lock_guard lock(queue_mu_);
    promote_ = false;
    if (!writing_.exchange(false)) return;
  }
  ++step_downs_;
  spdlog::error("stepping down to standby: {}", why);
  queue_cv_.notify_all();
}

void Engine::SetWriter(std::string node, std::string url) {
  std::lock_guard lock(writer_mu_);
  writer_node_ = std::move(node);
  writer_url_ = std::move(url);
}

std::pair<std::string, std::string> Engine::writer() const {
  std::lock_guard lock(writer_mu_);
  return {writer_node_, writer_url_};
}

Status Engine::NotWriting() const {
  auto [node, url] = writer();
  if (node.empty())
    return Unavailable(
        "this node is a standby of the event log and no node holds the writer's lease now (a "
        "failover is under way): retry in a few seconds");
  return Unavailable("this node is a standby of the event log: the writer is node " + node +
                     (url.empty() ? "" : " (" + url + ")") + "; send writes there");
}

bool Engine::FollowStep() {
  std::vector<Pending> refused;
  bool stopping = false;
  {
    std::lock_guard lock(queue_mu_);
    refused.swap(queue_);
    stopping = stopping_;
  }
  for (Pending& p : refused) {
    ++refused_standby_;
    CommandOutcome o;
    o.status = NotWriting();
    p.done(std::move(o));
  }
  if (stopping) return false;
  // Read before looking: Promote() comes after this node took the lease, so a read that starts
  // after the request was seen has every event any older writer could append.
  const bool promoted = promote_.load();
  const Seq at = world_.last_seq();  // only this thread changes the World
  auto page = log_->ReadAfter(at, 4096);
  if (!page.ok()) {
    spdlog::warn("standby: reading the log after seq {} failed: {}", at.value,
                 page.status().ToString());
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    return true;
  }
  if (!page->empty()) {
    ApplyFollowed(*page);
    return true;
  }
  if (promoted) {
    {
      std::lock_guard lock(queue_mu_);
      if (!promote_.exchange(false)) return true;  // stepped down meanwhile
      writing_ = true;
    }
    ++promotions_;
    spdlog::info("writing the log from seq {}: this node is the writer now", at.value);
    return true;
  }
  if (auto waited = log_->WaitForAppend(at, std::chrono::milliseconds(200)); !waited.ok())
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  return true;
}

void Engine::ApplyFollowed(const std::vector<StoredEvent>& stored) {
  std::vector<Event> events;
  events.reserve(stored.size());
  ChainPosition at{world_.last_seq(), head_, last_time_};
  for (const StoredEvent& e : stored) {
    Status linked = CheckLink(at, e);
    auto event = linked.ok() ? Decode(e) : StatusOr<Event>(linked);
    if (!event.ok()) {
      // The same refusal as start-up's: a standby never serves a log it cannot verify.
      spdlog::critical("the followed event log is damaged, stopping: {}",
                       event.status().ToString());
      std::abort();
    }
    at = {e.seq, e.hash, e.time};
    events.push_back(std::move(*event));
  }
  {
    std::unique_lock lock(world_mu_);
    for (const Event& e : events) world_.Apply(e);
    head_ = at.head;
  }
  if (last_time_ < at.time) last_time_ = at.time;
  followed_events_ += events.size();
  events_since_snapshot_ += events.size();
  feed_.Publish(std::move(events));
  if (options_.on_durable) options_.on_durable(world_.last_seq(), head_, false);
  MaybeSnapshot();
}

void Engine::StepDownAfterDeposed(std::vector<Pending>& batch, const Status& why) {
  {
    std::lock_guard lock(queue_mu_);
    writing_ = false;
    promote_ = false;
  }
  ++step_downs_;
  spdlog::error("the log refused this node's append ({}): stepping down to standby", why.message());
  const Seq published = feed_.head();
  RollBackToLog();
  // The World now holds the new writer's events too; streams must see them, in order.
  for (Seq after = published; after < world_.last_seq();) {
    auto page = log_->ReadAfter(after, 4096);
    if (!page.ok() || page->empty()) {
      spdlog::critical("cannot read the log after stepping down: {}",
                       page.ok() ? "no events" : page.status().ToString());
      std::abort();
    }
    std::vector<Event> events;
    for (const StoredEvent& e : *page) {
      if (e.seq > world_.last_seq()) break;
      auto event = Decode(e);
      if (!event.ok()) std::abort();  // Recover decoded the same bytes a moment ago
      events.push_back(std::move(*event));
    }
    after = events.back().meta.seq;
    feed_.Publish(std::move(events));
  }
  for (Pending& p : batch) {
    ++refused_standby_;
    CommandOutcome o;
    o.status = NotWriting();
    p.done(std::move(o));
  }
  if (options_.on_deposed) options_.on_deposed(why);
}

void Engine::RenderMetrics(std::string& out) const {
  RenderCounter(out, "ncc_engine_writing",
                "1 while this node writes the log, 0 while it is a standby following it",
                writing_.load() ? 1 : 0, "gauge");
  RenderCounter(out, "ncc_events_followed_total",
                "Events a standby applied from another node's appends", followed_events_.load());
  RenderCounter(out, "ncc_commands_refused_standby_total",
                "Commands refused because this node is a standby (503 naming the writer)",
                refused_standby_.load());
  RenderCounter(out, "ncc_engine_promotions_total", "Times this standby became the writer",
                promotions_.load());
  RenderCounter(out, "ncc_engine_step_downs_total",
                "Times this writer lost the lease and became a standby", step_downs_.load());
  RenderCounter(out, "ncc_commands_accepted_total",
                "Commands acknowledged after their events were durable", commands_ok_.load());
  RenderCounter(out, "ncc_commands_refused_total",
                "Commands refused by decide (bad input, illegal state)", commands_refused_.load());
  RenderCounter(out, "ncc_commands_replayed_total",
                "Commands whose command id (Idempotency-Key) was seen: answered with the first "
                "outcome",
                commands_replayed_.load());
  RenderCounter(out, "ncc_commands_refused_disk_full_total",
                "Commands refused because the event log's disk is full (507)",
                refused_for_space_.load());
  RenderCounter(out, "ncc_log_rollbacks_total",
                "State rebuilt from the log after an append was refused for space",
                rollbacks_.load());
  RenderCounter(out, "ncc_events_total", "Events appended to the log by this process",
                events_total_.load());
  RenderCounter(out, "ncc_log_syncs_total", "Durable appends (one fsync each)", log_->Syncs());
  RenderCounter(out, "ncc_snapshots_total", "Snapshots written by this process",
                snapshots_written_.load());
  RenderCounter(out, "ncc_log_last_seq", "Sequence number of the newest durable event",
                log_->LastSeq().value, "gauge");
  batch_size_.Render(out, "ncc_group_commit_batch_commands",
                     "Commands per durable append (group commit)");
  command_latency_.Render(out, "ncc_command_latency_seconds", "From submit to acknowledgement");
  append_latency_.Render(out, "ncc_log_append_seconds", "Durable append time per batch");
}

}  // namespace ncc
