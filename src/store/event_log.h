// EventLog: the append-only, hash-chained record of every event. Backends: SQLite (embedded
// default), in-memory (tests); PostgreSQL and NATS JetStream follow the same contract.
//
// Contract every backend keeps (checked by event_log_conformance_test.cc):
//  - Append(batch) stores the whole batch or nothing, and returns only once it is durable
//    (synced to stable storage). Seqs in a batch continue LastSeq() without gaps.
//  - Append returning kInsufficientStorage (the disk is full, or below the reserve kept for a
//    clean stop) stored nothing: the log is as it was, and a later Append may succeed. Any
//    other error leaves the log in an unknown state (the engine stops).
//  - ReadAfter(s, n) returns up to n events with seq > s in seq order, exactly as appended.
// Threads: Append from one writer thread; ReadAfter/LastSeq from any thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/stored_event.h"
#include "core/thread_annotations.h"

namespace ncc {

class EventLog {
 public:
  virtual ~EventLog() = default;
  virtual Status Append(const std::vector<StoredEvent>& batch) = 0;
  virtual StatusOr<std::vector<StoredEvent>> ReadAfter(Seq after, size_t limit) const = 0;
  virtual Seq LastSeq() const = 0;
  // Number of syncs to stable storage so far (for metrics and the group-commit benchmark).
  virtual uint64_t Syncs() const = 0;
  // Cheap check before work that will append: kInsufficientStorage when an Append would be
  // refused for space now. Any thread.
  virtual Status CheckSpace() const { return Status::Ok(); }
  // Followers (a hot standby's engine): blocks until the log may hold an event after `after`,
  // or `timeout` passes, and returns the newest seq it knows of (greater than `after` unless
  // it timed out). The default sleeps `timeout` and answers LastSeq(); backends that can be
  // told of appends (PostgreSQL's LISTEN/NOTIFY) wake at once. Any thread but the writer's.
  virtual StatusOr<Seq> WaitForAppend(Seq after, std::chrono::milliseconds timeout) const;
  // True for a log fenced by a lease (PostgreSQL): its Append answers kFailedPrecondition
  // exactly when this node may not write (no lease, or another node took it), and then stored
  // nothing, so the engine may step down to a standby instead of stopping.
  virtual bool Fenced() const { return false; }
};

// Checks that `batch` continues the log at `last` without gaps.
Status CheckContinues(Seq last, const std::vector<StoredEvent>& batch);

// In-memory twin for tests: same contract, no durability.
class MemoryEventLog final : public EventLog {
 public:
  Status Append(const std::vector<StoredEvent>& batch) override;
  StatusOr<std::vector<StoredEvent>> ReadAfter(Seq after, size_t limit) const override;
  Seq LastSeq() const override;
  uint64_t Syncs() const override;
  // Tests reach in to tamper with stored events, while no other thread uses the log.
  std::vector<StoredEvent>& events_for_test() NO_THREAD_SAFETY_ANALYSIS { return events_; }

 private:
  mutable Mutex mu_;
  std::vector<StoredEvent> events_ GUARDED_BY(mu_);
  uint64_t appends_ GUARDED_BY(mu_) = 0;
};

// Where a walk of the hash chain stands: the last event checked (seq 0 and zero hash: none).
struct ChainPosition {
  Seq seq;
  Hash head{};
  Time time{0};
};

// Checks one event against the position before it, without decoding its payload: its seq
// follows `at`, its prev_hash is `at.head`, its content matches its hash. kDataLoss naming the
// seq ("event 12: ..."). Cheap: one SHA-256 of the stored bytes.
Status CheckLink(const ChainPosition& at, const StoredEvent& e);

// The one loop over the hash chain that start-up (Recover), `ncc log verify` and `ncc audit
// verify` share: reads the events after `at` up to and including `until` (Seq(): to the end of
// the log) in chunks, CheckLink()s each and advances `at` past it. `visit` (may be empty) sees
// every checked event and may refuse it: its error stops the walk. `progress` (may be null) is
// called every 100k events. Returns the first error (kDataLoss naming the seq, or the log's read
// error); a log that ends before `until` is not an error here (the caller compares at.seq).
// Runs on the caller's thread; reads only.
using ChainVisitor = std::function<Status(const StoredEvent&)>;
Status WalkChain(const EventLog& log, ChainPosition& at, Seq until = Seq(),
                 const ChainVisitor& visit = {}, void (*progress)(Seq reached, Seq last) = nullptr);

// Walks the whole log (WalkChain), also decoding every payload and checking that event time
// never runs backwards, and that the log ends at LastSeq(). Returns OK, or kDataLoss whose
// message names the first bad seq and what is wrong with it.
Status VerifyChain(const EventLog& log, void (*progress)(Seq reached, Seq last) = nullptr);

}  // namespace ncc
