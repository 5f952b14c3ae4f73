#include "store/jetstream/lease.h"

#include <nats/nats.h>

#include <charconv>

namespace ncc::jetstream {
namespace {

std::string NatsError(natsStatus s) {
  const char* last = nats_GetLastError(nullptr);
  return std::string(natsStatus_GetText(s)) + (last && *last ? std::string(" (") + last + ")" : "");
}

StatusOr<kvStore*> OpenBucket(jsCtx* js, int64_t ttl_ms, int replicas) {
  kvStore* kv = nullptr;
  natsStatus s = js_KeyValue(&kv, js, kLeaseBucket);
  if (s == NATS_OK) return kv;
  if (s != NATS_NOT_FOUND)
    return Unavailable(std::string("lease bucket ") + kLeaseBucket + ": " + NatsError(s));
  kvConfig cfg;
  kvConfig_Init(&cfg);
  cfg.Bucket = kLeaseBucket;
  cfg.History = 1;
  cfg.TTL = ttl_ms * 1'000'000;  // nanoseconds, as the stream's MaxAge
  cfg.StorageType = js_FileStorage;
  cfg.Replicas = replicas;
  s = js_CreateKeyValue(&kv, js, &cfg);
  if (s != NATS_OK)
    return Unavailable(std::string("create lease bucket ") + kLeaseBucket + ": " + NatsError(s));
  return kv;
}

}  // namespace

std::string FormatLease(const LeaseValue& v) {
  return std::string(v.released ? "released;" : "") + "node=" + v.node +
         ";epoch=" + std::to_string(v.epoch);
}

StatusOr<LeaseValue> ParseLease(std::string_view bytes) {
  constexpr std::string_view kReleased = "released;", kNode = "node=", kEpoch = ";epoch=";
  const bool released = bytes.substr(0, kReleased.size()) == kReleased;
  if (released) bytes.remove_prefix(kReleased.size());
  if (bytes.substr(0, kNode.size()) != kNode) return DataLoss("lease: does not start with node=");
  size_t at = bytes.rfind(kEpoch);
  if (at == std::string_view::npos || at < kNode.size()) return DataLoss("lease: no ;epoch=");
  LeaseValue v;
  v.released = released;
  v.node = std::string(bytes.substr(kNode.size(), at - kNode.size()));
  if (v.node.empty()) return DataLoss("lease: empty node");
  std::string_view digits = bytes.substr(at + kEpoch.size());
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v.epoch);
  if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty())
    return DataLoss("lease: epoch is not a number");
  return v;
}

ShardLease::ShardLease(kvStore* kv, std::string shard, std::string node, int64_t ttl_ms)
    : kv_(kv), shard_(std::move(shard)), node_(std::move(node)), ttl_(ttl_ms) {}

// The TTL the server expires keys with: the bucket's, whoever created it.
StatusOr<int64_t> BucketTtlMs(kvStore* kv) {
  kvStatus* sts = nullptr;
  natsStatus s = kvStore_Status(&sts, kv);
  if (s != NATS_OK) return Unavailable(std::string("lease bucket status: ") + NatsError(s));
  const int64_t ttl_ms = kvStatus_TTL(sts) / 1'000'000;
  kvStatus_Destroy(sts);
  if (ttl_ms <= 0)
    return FailedPrecondition(std::string("lease bucket ") + kLeaseBucket +
                              " has no TTL: a dead writer's lease would never run out");
  return ttl_ms;
}

StatusOr<std::unique_ptr<ShardLease>> ShardLease::Acquire(jsCtx* js, const std::string& shard,
                                                          const std::string& node, int64_t ttl_ms,
                                                          int replicas, int64_t wait_ms,
                                                          uint64_t min_epoch, uint64_t own_epoch) {
  auto kv = OpenBucket(js, ttl_ms, replicas);
  if (!kv.ok()) return kv.status();
  auto bucket_ttl = BucketTtlMs(*kv);
  if (!bucket_ttl.ok()) {
    kvStore_Destroy(*kv);
    return bucket_ttl.status();
  }
  ttl_ms = *bucket_ttl;
  std::unique_ptr<ShardLease> lease(new ShardLease(*kv, shard, node, ttl_ms));
  const auto deadline = Clock::now() + std::chrono::milliseconds(wait_ms);
  std::string held_by;
  while (true) {
    Status s = lease->TakeOver(min_epoch, own_epoch, held_by);
    if (s.ok()) break;
    // kFailedPrecondition: a claim lost a race (or read a replica behind): look again.
    if (s.code() != StatusCode::kAlreadyExists && s.code() != StatusCode::kFailedPrecondition)
      return s;
    if (Clock::now() >= deadline)
      return AlreadyExists("shard " + shard + " is held by " + held_by + " (lease TTL " +
                           std::to_string(ttl_ms) + " ms)");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  lease->renewer_ = std::thread([l = lease.get()] { l->RenewLoop(); });
  return lease;
}

// One attempt: kAlreadyExists (and `held_by`) while another holds the key.
Status ShardLease::TakeOver(uint64_t min_epoch, uint64_t own_epoch, std::string& held_by) {
  kvEntry* entry = nullptr;
  natsStatus s = kvStore_Get(&entry, kv_, shard_.c_str());
  uint64_t released_rev = 0;
  if (s == NATS_OK) {
    auto held = ParseLease(std::string_view(static_cast<const char*>(kvEntry_Value(entry)),
                                            static_cast<size_t>(kvEntry_ValueLen(entry))));
    released_rev = kvEntry_Revision(entry);
    kvEntry_Destroy(entry);
    const bool ours = held.ok() && own_epoch && held->node == node_ && held->epoch == own_epoch;
    if (!held.ok() || !(held->released || ours)) {
      held_by = held.ok() ? "node " + held->node + " (epoch " + std::to_string(held->epoch) + ")"
                          : "an unreadable lease";
      return AlreadyExists(held_by);
    }
  } else if (s != NATS_NOT_FOUND) {
    return Unavailable("lease of shard " + shard_ + ": " + NatsError(s));
  }
  const auto sent = Clock::now();
  // The claim (a create, or an update of a released lease) takes the key; its revision, unique
  // in the bucket, becomes the epoch, which the next update (checked against it) writes in.
  uint64_t rev = 0;
  std::string claim = FormatLease({node_, 0, false});
  const int n = static_cast<int>(claim.size());
  natsStatus claimed =
      released_rev ? kvStore_Update(&rev, kv_, shard_.c_str(), claim.data(), n, released_rev)
                   : kvStore_Create(&rev, kv_, shard_.c_str(), claim.data(), n);
  if (claimed != NATS_OK) {
    held_by = "a node that took it just now";
    return FailedPrecondition(held_by);
  }
  epoch_ = std::max(rev, min_epoch + 1);
  std::string value = FormatLease({node_, epoch_, false});
  if (kvStore_Update(&revision_, kv_, shard_.c_str(), value.data(), static_cast<int>(value.size()),
                     rev) != NATS_OK) {
    held_by = "a node that took it just now";
    return FailedPrecondition(held_by);
  }
  valid_until_ns_ = (sent + ttl_ * 4 / 5).time_since_epoch().count();
  return Status::Ok();
}

void ShardLease::RenewLoop() {
  const std::string value = FormatLease({node_, epoch_, false});
  std::unique_lock lock(stop_mu_);
  while (!stopping_ && !refused_) {
    stop_cv_.wait_for(lock, ttl_ / 5);
    if (stopping_) break;
    lock.unlock();
    const auto sent = Clock::now();
    uint64_t rev = 0;
    natsStatus s = kvStore_Update(&rev, kv_, shard_.c_str(), value.data(),
                                  static_cast<int>(value.size()), revision_);
    if (s == NATS_OK) {
      revision_ = rev;
      valid_until_ns_ = (sent + ttl_ * 4 / 5).time_since_epoch().count();
    } else if (s == NATS_ERR) {
      // The server answered and refused: the revision moved, another node has the key.
      refused_ = true;
    }  // no answer (timeout, reconnecting): try again; Check fails once the lease runs out
    lock.lock();
  }
}

Status ShardLease::Check() const {
  if (refused_)
    return FailedPrecondition("deposed: the lease of shard " + shard_ + " at epoch " +
                              std::to_string(epoch_) + " was taken by another node");
  if (Clock::now().time_since_epoch().count() > valid_until_ns_.load())
    return FailedPrecondition("deposed: the lease of shard " + shard_ + " at epoch " +
                              std::to_string(epoch_) + " was not renewed within its TTL");
  return Status::Ok();
}

std::string ShardLease::Holder() const {
  kvEntry* entry = nullptr;
  if (kvStore_Get(&entry, kv_, shard_.c_str()) != NATS_OK) return "nobody";
  std::string v(static_cast<const char*>(kvEntry_Value(entry)),
                static_cast<size_t>(kvEntry_ValueLen(entry)));
  kvEntry_Destroy(entry);
  return v;
}

void ShardLease::StopRenewing() {
  {
    std::lock_guard lock(stop_mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (renewer_.joinable()) renewer_.join();
}

ShardLease::~ShardLease() {
  StopRenewing();
  if (!refused_ && revision_) {  // give it up, unless another node has it already
    std::string value = FormatLease({node_, epoch_, true});
    (void)kvStore_Update(nullptr, kv_, shard_.c_str(), value.data(), static_cast<int>(value.size()),
                         revision_);
  }
  kvStore_Destroy(kv_);
}

}  // namespace ncc::jetstream
