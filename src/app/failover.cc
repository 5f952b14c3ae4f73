#include "app/failover.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace ncc {

Failover::Failover(PostgresEventLog& log, Engine& engine, std::chrono::milliseconds ttl,
                   std::string url, bool holds_lease)
    : log_(log),
      engine_(engine),
      ttl_(ttl),
      url_(std::move(url)),
      held_(holds_lease),
      renewed_(std::chrono::steady_clock::now()) {
  if (held_) engine_.SetWriter(log_.node(), url_);
}

Failover::~Failover() {
  Stop();
}

void Failover::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void Failover::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (!thread_.joinable()) return;
  thread_.join();
  // `ncc cluster status` then says the node left, rather than showing its last role going stale.
  NodeReport me;
  me.url = url_;
  me.role = "stopped";
  me.last_seq = engine_.Read([](const World& w) { return w.last_seq().value; });
  if (Status s = log_.Heartbeat(me); !s.ok()) Warn("reporting this node's stop", s);
}

void Failover::Loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    std::chrono::milliseconds wait = Round();
    lock.lock();
    cv_.wait_for(lock, wait, [this] { return stopping_; });
  }
}

std::chrono::milliseconds Failover::Round() {
  auto now = std::chrono::steady_clock::now();
  if (held_)
    AsWriter(now);
  else
    AsStandby(now);
  // Standbys report less often than they poll: the row says who is there, not each try.
  if (held_ || now - reported_ >= ttl_ / 3) {
    Report();
    reported_ = now;
  }
  // Just took the lease, still catching up: look again soon, so that the row says "writer" as
  // soon as the engine writes, not a renewal later.
  if (held_ && !engine_.writing()) return std::chrono::milliseconds(50);
  if (held_) return ttl_ / 3;
  return std::clamp<std::chrono::milliseconds>(ttl_ / 10, std::chrono::milliseconds(50),
                                               std::chrono::milliseconds(1000));
}

void Failover::AsWriter(std::chrono::steady_clock::time_point now) {
  Status s = log_.Renew(ttl_);
  if (s.ok()) {
    renewed_ = now;
    if (warned_) spdlog::info("lease of shard {} renewed again", log_.shard());
    warned_ = false;
    return;
  }
  Warn("renewing the lease", s);
  // Deposed, or the lease has run out while the database could not be reached: another node
  // may hold it now. The fence refuses this node's appends in any case; stop taking commands.
  if (s.code() == StatusCode::kFailedPrecondition || now - renewed_ >= ttl_) {
    held_ = false;
    engine_.SetWriter("", "");
    engine_.StepDown(s.message());
  }
}

void Failover::AsStandby(std::chrono::steady_clock::time_point now) {
  // Look before trying: Acquire locks the lease row even when it may not take it, and the
  // writer's appends read that row FOR SHARE, so a standby asks only once the lease is over.
  auto lease = log_.Lease();
  if (!lease.ok() && lease.status().code() != StatusCode::kNotFound)
    return Warn("reading the lease", lease.status());
  if (lease.ok() && lease->remaining_ms > 0 && lease->holder != log_.node()) {
    engine_.SetWriter(lease->holder, lease->holder_url);
    return;
  }
  engine_.SetWriter("", "");  // over and not yet taken: a failover is under way
  Status s = log_.Acquire(ttl_);
  if (!s.ok()) {
    // Another standby was quicker (held by another node), or the database is away.
    if (s.code() != StatusCode::kFailedPrecondition) Warn("taking the lease", s);
    return;
  }
  held_ = true;
  renewed_ = now;
  warned_ = false;
  engine_.SetWriter(log_.node(), url_);
  spdlog::info("took the lease of shard {} at epoch {}: catching up, then writing", log_.shard(),
               log_.epoch());
  engine_.Promote();
}

void Failover::Report() {
  NodeReport me;
  me.url = url_;
  me.role = engine_.writing() ? "writer" : "standby";
  me.epoch = held_ ? log_.epoch() : 0;
  me.last_seq = engine_.Read([](const World& w) { return w.last_seq().value; });
  if (Status s = log_.Heartbeat(me); !s.ok()) Warn("reporting this node", s);
}

void Failover::Warn(const char* what, const Status& s) {
  if (warned_) return;
  warned_ = true;
  spdlog::warn("shard {}: {} failed: {}", log_.shard(), what, s.ToString());
}

}  // namespace ncc
