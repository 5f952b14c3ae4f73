// One writer per shard: a lease in the JetStream KV bucket `ncc_leases` (key = shard, value =
// "node=<node>;epoch=<n>"), taken and renewed by revision-checked writes (compare-and-set), and
// lost when not renewed within the bucket's TTL (the server expires the key), or released on a
// clean close (a revision-checked write of "released;..." that another node may take at once).
//
// The epoch grows with every takeover and is never reused: it is the KV revision of the
// takeover's write (stream sequences of the bucket never go back), and above every epoch the
// log already holds. Every message the writer appends carries it (Ncc-Epoch).
//
// A holder stops counting on its lease (Check fails, "deposed: ...") once a renewal was refused
// (another node's write came first) or once no renewal has succeeded for 4/5 of the TTL, so it
// stops before the server can expire the key and another node can take it. The log's
// expected-last-sequence fence (jetstream_event_log.h) covers what a clock cannot.
//
// Owner: store/jetstream. Threads: Acquire and the destructor on the owner's thread, Check from
// any thread; one background thread renews. Errors: Acquire → kAlreadyExists while another
// node holds the lease past `wait_ms`, kUnavailable when the server does not answer.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/status.h"
#include "core/thread_annotations.h"

struct __jsCtx;
struct __kvStore;

namespace ncc::jetstream {

inline constexpr const char* kLeaseBucket = "ncc_leases";

struct LeaseValue {
  std::string node;
  uint64_t epoch = 0;
  bool released = false;  // "released;" in front: given up on a clean close, free to take
};
std::string FormatLease(const LeaseValue& v);
// kDataLoss naming what is wrong when the bytes are not "[released;]node=<name>;epoch=<n>".
StatusOr<LeaseValue> ParseLease(std::string_view bytes);

class ShardLease {
 public:
  // Takes the lease on `shard` for `node` with an epoch above `min_epoch`, creating the bucket
  // (TTL `ttl_ms`, `replicas`) if it is missing; waits up to `wait_ms` while another holds it.
  // The lease lasts the bucket's TTL, which its creator set (one for every shard). `own_epoch`
  // (not 0): a lease this node holds at that epoch is taken again too (renewals that timed out
  // but were applied; only this writer writes its epoch).
  static StatusOr<std::unique_ptr<ShardLease>> Acquire(__jsCtx* js, const std::string& shard,
                                                       const std::string& node, int64_t ttl_ms,
                                                       int replicas, int64_t wait_ms,
                                                       uint64_t min_epoch, uint64_t own_epoch = 0);
  ~ShardLease();

  uint64_t epoch() const { return epoch_; }
  // OK while the lease is ours; kFailedPrecondition "deposed: ..." once it may not be.
  Status Check() const;
  // Stops the renewals (a stalled holder, for tests; the destructor).
  void StopRenewing();
  // Who holds the shard now, as the bucket says (for the message of a refused append).
  std::string Holder() const;

 private:
  using Clock = std::chrono::steady_clock;
  ShardLease(__kvStore* kv, std::string shard, std::string node, int64_t ttl_ms);
  Status TakeOver(uint64_t min_epoch, uint64_t own_epoch, std::string& held_by);
  void RenewLoop();

  __kvStore* kv_;
  const std::string shard_, node_;
  const std::chrono::milliseconds ttl_;
  uint64_t epoch_ = 0;
  uint64_t revision_ = 0;                   // the renewer thread's alone once it runs
  std::atomic<int64_t> valid_until_ns_{0};  // Clock time
  std::atomic<bool> refused_{false};
  std::thread renewer_;
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
};

}  // namespace ncc::jetstream
