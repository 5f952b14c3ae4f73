// Engine: the single writer. Commands from any thread queue up; one writer thread takes every
// pending command at once, decides and applies each in order, appends all their events in one
// durable batch (one fsync: group commit), and only then acknowledges each command and
// publishes the events to live readers.
//
// Readers see the World through Read(), under a shared lock. A reader may see a command's
// effect up to one fsync before the command is acknowledged; if the machine dies in that
// window the command was never acknowledged and recovery will not have it.
//
// A hot standby (EngineOptions::standby, docs/operations.md "Failover"): the same thread
// follows the log instead, applying what another node's engine appended (each link and hash
// checked), publishing it to the feed and snapshotting as a writer does; Submit is refused with
// NotWriting() (503 naming the writer). Promote() turns it into the writer once this node holds
// the log's lease; StepDown(), or an append the log refused because another node took the lease
// (kFailedPrecondition from a fenced log), turns a writer back into a standby.
//
// Threads: Submit, Read, metrics, Promote, StepDown, SetWriter from any thread. Callbacks run on
// the writer thread and must not block (post the reply to your own executor).
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/commands.h"
#include "engine/event_feed.h"
#include "engine/metrics.h"
#include "store/event_log.h"
#include "store/recovery.h"
#include "store/snapshot_store.h"

namespace ncc {

struct EngineOptions {
  size_t max_batch = 8192;            // commands per group commit; 1 gives one sync per command
  uint64_t snapshot_every = 100'000;  // events between snapshots; 0 disables snapshots
  size_t feed_capacity = 65'536;      // recent events kept in memory for live readers
  // Told the chain head after every durable append (writer thread, after the acks), and once
  // with `final` at start (if the log is not empty) and at stop: e.g. the audit anchor.
  std::function<void(Seq seq, const Hash& head, bool final)> on_durable;
  // Start as a standby: follow the log, write nothing until Promote().
  bool standby = false;
  // Called on the writer thread when the log refused an append because this node lost the
  // lease (nothing stored): the engine has already stepped down and follows the log.
  std::function<void(const Status&)> on_deposed;
};

// What became of one command, given to its callback once its events are durable (or it failed).
struct CommandOutcome {
  Status status;
  uint64_t created_id = 0;
  Seq last_seq;  // seq of the command's last event; 0 when it caused none
  size_t events = 0;
  std::vector<Rejection> rejected;
  bool replayed = false;  // its command id was seen: this is the first outcome, nothing new
};

// A command id and the digest of the request it stands for (see CommandContext).
struct CommandId {
  std::string id;
  std::string request;
};

class Engine {
 public:
  // Recovers the World from `snapshots` (may be null) and `log`, then starts the writer.
  static StatusOr<std::unique_ptr<Engine>> Open(std::unique_ptr<EventLog> log,
                                                std::unique_ptr<SnapshotStore> snapshots,
                                                Clock& clock, EngineOptions options,
                                                Recovered* recovery_report = nullptr);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  using Done = std::function<void(CommandOutcome)>;
  // `done` gets kInsufficientStorage, with nothing stored, while the log's disk is full; the
  // engine carries on and takes commands again once space returns.
  void Submit(Command command, std::string actor, std::string agency, Done done, CommandId id = {});
  // Blocks the calling thread until the command is durable (CLI, demo seeding, tests).
  CommandOutcome SubmitAndWait(Command command, std::string actor, std::string agency,
                               CommandId id = {});

  template <typename F>
  auto Read(F&& f) const {
    std::shared_lock lock(world_mu_);
    return f(world_);
  }

  const EventLog& log() const { return *log_; }
  const EventFeed& feed() const { return feed_; }
  EventFeed& feed() { return feed_; }
  void RenderMetrics(std::string& out) const;

  // Processes what is queued, then stops the writer. Later submits fail with kUnavailable.
  void Stop();

  // --- hot standby -------------------------------------------------------------------------
  // True while this engine takes commands (a writer), false while it follows (a standby).
  bool writing() const { return writing_.load(); }
  // This node now holds the log's lease (no other node can append): the thread catches up to
  // the end of the log, then takes commands, continuing the chain. Returns at once.
  void Promote();
  // This node may no longer write (its lease was lost or taken): commands are refused from now
  // on (a batch already appending finishes or is refused by the log's fence), and the thread
  // follows the log. Returns at once.
  void StepDown(const std::string& why);
  // Who writes the log now, named in every refusal of a standby; empty node: nobody (a
  // failover is under way).
  void SetWriter(std::string node, std::string url);
  std::pair<std::string, std::string> writer() const;
  // kUnavailable saying this node does not write and who does.
  Status NotWriting() const;

 private:
  struct Pending {
    Command command;
    CommandContext ctx;
    Done done;
    std::chrono::steady_clock::time_point queued;
  };

  Engine(std::unique_ptr<EventLog> log, std::unique_ptr<SnapshotStore> snapshots, Clock& clock,
         EngineOptions options, Recovered recovered);
  void WriterLoop();
  void ProcessBatch(std::vector<Pending>& batch);
  // The disk is full: answers the whole batch `why` without deciding anything.
  void RefuseBatch(std::vector<Pending>& batch, const Status& why);
  // An append refused for space stored nothing, but the World has applied the batch: rebuild
  // it from what is durable. Aborts if that cannot be done.
  void RollBackToLog();
  void MaybeSnapshot();
  // One step of a standby: refuses what was queued, applies the next page of the log, or
  // (caught up) turns to writing if promoted, or waits for the next append. False: stopping.
  bool FollowStep();
  void ApplyFollowed(const std::vector<StoredEvent>& stored);
  // After a fenced append: the World back to what the log holds (the new writer's events
  // included), the feed given what it had not seen, and the engine a standby.
  void StepDownAfterDeposed(std::vector<Pending>& batch, const Status& why);

  std::unique_ptr<EventLog> log_;
  std::unique_ptr<SnapshotStore> snapshots_;
  Clock& clock_;
  const EngineOptions options_;

  mutable std::shared_mutex world_mu_;
  World world_;
  Hash head_{};
  Time last_time_;
  uint64_t events_since_snapshot_ = 0;
  std::thread snapshot_thread_;

  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::vector<Pending> queue_;
  bool stopping_ = false;
  std::thread writer_;
  std::atomic<bool> writing_{true};   // changed under queue_mu_
  std::atomic<bool> promote_{false};  // Promote() asked; the thread has not caught up yet
  mutable std::mutex writer_mu_;
  std::string writer_node_, writer_url_;  // guarded by writer_mu_

  EventFeed feed_;

  // Metrics.
  std::atomic<uint64_t> commands_ok_{0}, commands_refused_{0}, events_total_{0}, batches_{0},
      snapshots_written_{0}, commands_replayed_{0}, refused_for_space_{0}, rollbacks_{0},
      followed_events_{0}, refused_standby_{0}, promotions_{0}, step_downs_{0};
  bool disk_full_ = false;  // writer thread: the last batch was refused for space
  Histogram batch_size_{Histogram::SizeBounds()};
  Histogram command_latency_{Histogram::LatencyBounds()};
  Histogram append_latency_{Histogram::LatencyBounds()};
};

}  // namespace ncc
