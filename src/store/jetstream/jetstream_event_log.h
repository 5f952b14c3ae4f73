// The EventLog on NATS JetStream (nats-server 2.9, cnats 3.4): one stream per shard, NCC_<shard>
// on subject ncc.<shard>.events, file storage, DenyDelete and DenyPurge, R1 or R3.
//
// One JetStream message per engine batch, so a batch is stored whole or not at all without a
// multi-message transaction (JetStream 2.9 has none). Its body is the batch's events in the
// bytes the SQLite backend stores (batch_codec.h), its headers say where it sits in the log:
//   Ncc-First-Seq / Ncc-Last-Seq   the event seqs this message carries
//   Ncc-Batch-First / Ncc-Batch-Last   the whole batch's (equal to the above unless in parts)
//   Ncc-Epoch / Ncc-Node           the writer's lease (lease.h): who wrote it, in which term
//   Ncc-Fence                      on the zero-event message a new writer publishes first
// Every publish carries Nats-Expected-Last-Sequence = the stream seq of the message before, so
// the stream refuses any write that does not continue what this writer last saw: a deposed
// writer's append fails (the log fences itself), and no two writers ever interleave. A lease
// that lapsed while nobody else took it (renewals lost in a NATS election) is taken again by
// the next Append, with a new epoch and a fence expecting this writer's own last message.
//
// A batch over the server's max_payload goes in parts, each its own message; the batch counts
// only once its last part (Ncc-Last-Seq == Ncc-Batch-Last) is stored. A writer that dies after
// some parts leaves an unfinished batch at the tail: readers never return it, and the next
// writer's fence and batches continue the log from the last finished batch. Event seq and
// stream seq therefore differ; ReadAfter finds the message holding an event by a binary search
// over the stream (Ncc-Batch-First never decreases along it) and remembers batch boundaries.
//
// Durability: Append returns once the stream leader acknowledged every message, i.e. a quorum
// of replicas holds it. nats-server 2.9.10 does not fsync before that ack (docs/store-jetstream.md
// says exactly what survives what). Syncs() counts acknowledged publishes.
//
// Threads: Append from one writer thread; ReadAfter/LastSeq from any thread (cnats connections
// are thread-safe; the index is behind a mutex). A background thread renews the lease.
// Errors: Open → kInvalidArgument naming "shard"/"node"/"url", kUnavailable (no server, or the
// lease held by another node past lease_wait_ms); Append → kFailedPrecondition "deposed: ..."
// (another writer holds the shard: nothing of this batch was stored), kResourceExhausted (one
// event larger than a message may be: nothing stored), kInsufficientStorage (the server refused
// it for space: nothing stored, a later Append may succeed), kUnavailable (the cluster did not
// answer within append_timeout_ms: unknown, the engine stops); ReadAfter → kDataLoss on a message
// that does not decode, kUnavailable when the server does not answer.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "core/thread_annotations.h"
#include "store/event_log.h"

struct __natsConnection;
struct __jsCtx;
struct __natsMsg;

namespace ncc::jetstream {

class ShardLease;

struct JetStreamOptions {
  int replicas = 1;                   // 3 in a cluster
  bool writer = true;                 // false: a follower that only reads (no lease, no fence)
  int64_t lease_ttl_ms = 5000;        // the ncc_leases bucket's TTL if this creates it; an existing
                                      // bucket's own TTL is the one that counts
  int64_t lease_wait_ms = 0;          // how long Open waits for a lease another node holds
  int64_t request_timeout_ms = 2000;  // one JetStream request (publish ack, get, info)
  int64_t append_timeout_ms = 20000;  // retries of one Append across a leader election
  size_t max_message_bytes = 0;       // a part's body limit; 0: the server's max_payload - 4 KiB
  // Tests: Append publishes only this many parts of a batch, then fails as a writer that died
  // there would (0: all).
  size_t stop_after_parts_for_test = 0;
};

class JetStreamEventLog final : public EventLog {
 public:
  // Connects to `url` (comma-separated servers), makes sure the shard's stream exists, and for a
  // writer takes the shard's lease, reads the tail and publishes the fence.
  static StatusOr<std::unique_ptr<JetStreamEventLog>> Open(const std::string& url,
                                                           const std::string& shard,
                                                           const std::string& node,
                                                           const JetStreamOptions& options = {});
  ~JetStreamEventLog() override;

  Status Append(const std::vector<StoredEvent>& batch) override;
  StatusOr<std::vector<StoredEvent>> ReadAfter(Seq after, size_t limit) const override;
  // The writer's own last seq; a follower asks the stream for its tail (one request).
  Seq LastSeq() const override;
  uint64_t Syncs() const override { return acks_.load(); }

  uint64_t epoch() const { return epoch_; }
  const std::string& stream() const { return stream_; }

  // The server name of the stream's leader (e.g. "n1"), for operators and failover drills.
  StatusOr<std::string> StreamLeader() const;

  // Tests: a writer that stalls (its lease runs out while it still believes in it).
  void StopRenewingLeaseForTest();
  void IgnoreLeaseForTest() { ignore_lease_ = true; }

 private:
  // Where a message sits in the log, from its headers.
  struct MsgInfo {
    uint64_t stream_seq = 0;
    uint64_t first = 0, last = 0;              // event seqs carried (fence: last = the log's)
    uint64_t batch_first = 0, batch_last = 0;  // fence: both last + 1 and last
    uint64_t epoch = 0;
    std::string node;
    bool fence = false;
    bool Finishes() const { return !fence && last == batch_last; }
    uint64_t Key() const { return fence ? last + 1 : batch_first; }  // never decreases
  };
  struct Tail {
    uint64_t stream_seq = 0;  // the stream's last message (0: empty)
    uint64_t last_seq = 0;    // the last event of the last finished batch
    uint64_t epoch = 0;       // the highest epoch written
  };

  JetStreamEventLog(std::string shard, std::string node, JetStreamOptions options);
  Status Connect(const std::string& url);
  Status EnsureStream();
  StatusOr<Tail> ReadTail() const;
  Status Fence();
  Status PublishFence();
  Status EnsureLease();
  StatusOr<MsgInfo> GetInfo(uint64_t stream_seq, std::string* body) const;
  StatusOr<uint64_t> FindStart(uint64_t after) const;
  Status PublishPart(std::span<const StoredEvent> part, uint64_t batch_first, uint64_t batch_last);
  Status Publish(__natsMsg* msg, uint64_t first_seq);
  Status Deposed(const std::string& why) const;
  void Remember(uint64_t last_event, uint64_t next_stream_seq) const;

  const std::string shard_, node_, stream_, subject_;
  const JetStreamOptions options_;
  size_t max_body_ = 0;
  __natsConnection* nc_ = nullptr;
  __jsCtx* js_ = nullptr;
  std::unique_ptr<ShardLease> lease_;
  uint64_t epoch_ = 0;
  // The writer's view: the stream seq it continues, the last event of the log.
  uint64_t stream_last_ = 0;
  mutable std::atomic<uint64_t> last_seq_{0};  // a follower refreshes it in LastSeq()
  std::atomic<uint64_t> acks_{0};
  bool broken_ = false;  // after an unknown outcome: refuse until reopened
  bool ignore_lease_ = false;

  mutable Mutex index_mu_;
  // last event seq of a finished batch -> stream seq of the message after it
  mutable std::map<uint64_t, uint64_t> boundaries_ GUARDED_BY(index_mu_);
};

}  // namespace ncc::jetstream
