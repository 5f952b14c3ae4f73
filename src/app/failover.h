// Failover: who writes a PostgreSQL shard, decided by its lease (docs/operations.md "Failover
// drill"). One thread per serving node keeps the node's part:
//  - as the writer, renews the lease every ttl/3; when a renewal finds the epoch moved on
//    (another node took it), or none succeeded for a whole ttl, the engine steps down to a
//    standby (Engine::StepDown) instead of the process stopping;
//  - as a standby, reads the lease every ttl/10 (50 ms to 1 s) and, once it is over (the
//    writer released it, or its lease ran out), takes it with the next epoch and promotes the
//    engine, which catches up to the end of the log and continues the chain (it reads first:
//    a try locks the lease row, which the writer's appends read FOR SHARE);
//  - either way, tells the engine who the writer is (holder and advertised URL, for the 503 a
//    standby answers writes with) and writes this node's row of ncc_nodes (role, epoch, last
//    seq: `ncc cluster status`).
// The log's own fence (the epoch checked in every append transaction) is what keeps a deposed
// writer from appending; this loop only decides when to try and when to stop trying.
//
// Owns its thread; borrows the log and the engine, which must outlive it (Stop() first).
// Errors of the database (unreachable, restarting) are logged once per streak and retried.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "engine/engine.h"
#include "store/postgres/postgres_event_log.h"

namespace ncc {

class Failover {
 public:
  // `holds_lease`: the log's lease was taken at start (a writer); false for a standby.
  // `url`: where this node's clients reach it (--advertise), named to other nodes' clients.
  Failover(PostgresEventLog& log, Engine& engine, std::chrono::milliseconds ttl, std::string url,
           bool holds_lease);
  ~Failover();
  Failover(const Failover&) = delete;
  Failover& operator=(const Failover&) = delete;

  void Start();
  // Stops the thread and reports the node "stopped"; the lease stays as it is (the caller
  // releases it once the engine stopped).
  void Stop();

 private:
  void Loop();
  // One round; returns how long to wait before the next.
  std::chrono::milliseconds Round();
  void AsWriter(std::chrono::steady_clock::time_point now);
  void AsStandby(std::chrono::steady_clock::time_point now);
  void Report();
  void Warn(const char* what, const Status& s);

  PostgresEventLog& log_;
  Engine& engine_;
  const std::chrono::milliseconds ttl_;
  const std::string url_;
  bool held_;  // this node holds the lease (thread of Loop only after Start)
  std::chrono::steady_clock::time_point renewed_;
  std::chrono::steady_clock::time_point reported_{};
  bool warned_ = false;  // a failure streak was logged

  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
};

}  // namespace ncc
