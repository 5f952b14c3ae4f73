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
  {
    std::lock_guard lock(queue_mu_);
    if (!stopping_) {
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
  refused.status = Unavailable("the engine is stopping");
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
    {
      std::unique_lock lock(queue_mu_);
      queue_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
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

void Engine::RenderMetrics(std::string& out) const {
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
