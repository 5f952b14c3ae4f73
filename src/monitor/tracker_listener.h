// TrackerListener: the compact tracker protocol (avl_wire.h) on a TCP port and a UDP port,
// authenticated with API keys (auth::TokenService) scoped to an agency and the positions lane.
//
// TCP: one thread per connection (gateways multiplex many trackers over few connections; at
// most `max_connections`). Batches are pipelined: up to `max_in_flight` unacknowledged batches
// per connection, each acknowledged once durable (after the lane's fdatasync). A client that
// does not read its acks is cut. UDP: one thread; each datagram carries its key (cached for
// `key_cache_ms`), and is acknowledged by a datagram back to the sender once durable; a lost
// datagram or ack is the sender's to resend (the lane drops the duplicate).
//
// Threads: Start/Stop from the owner; metrics from any thread.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "auth/authorize.h"
#include "monitor/avl_lane.h"

namespace ncc::monitor {

struct TrackerOptions {
  std::string tcp_host, udp_host;  // empty: that transport is off
  uint16_t tcp_port = 0, udp_port = 0;
  size_t max_connections = 256;
  size_t max_in_flight = 64;
  int64_t key_cache_ms = 30'000;  // a revoked key stops working on UDP within this
};

// Resolves an API key to its gateway principal (auth::TokenService::AuthenticateApiKey).
using KeyAuthenticator = std::function<StatusOr<auth::Principal>(std::string_view key)>;

class TrackerListener {
 public:
  static StatusOr<std::unique_ptr<TrackerListener>> Start(AvlLane& lane,
                                                          KeyAuthenticator authenticate,
                                                          TrackerOptions options);
  ~TrackerListener();
  void Stop();
  uint16_t tcp_port() const { return tcp_port_; }
  uint16_t udp_port() const { return udp_port_; }
  void RenderMetrics(std::string& out) const;

 private:
  struct Connection;
  TrackerListener(AvlLane& lane, KeyAuthenticator authenticate, TrackerOptions options)
      : lane_(lane), authenticate_(std::move(authenticate)), options_(std::move(options)) {}
  void AcceptLoop();
  void Serve(std::shared_ptr<Connection> c);
  void UdpLoop();
  StatusOr<auth::Principal> CachedKey(const std::string& key);

  AvlLane& lane_;
  KeyAuthenticator authenticate_;
  const TrackerOptions options_;
  int tcp_fd_ = -1, udp_fd_ = -1;
  uint16_t tcp_port_ = 0, udp_port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread accept_thread_, udp_thread_;
  std::mutex conns_mu_;
  std::vector<std::weak_ptr<Connection>> conns_;
  std::vector<std::thread> conn_threads_;
  std::atomic<size_t> open_connections_{0};
  struct CachedPrincipal {
    StatusOr<auth::Principal> principal;
    int64_t expires_ms;
  };
  std::mutex keys_mu_;
  std::unordered_map<std::string, CachedPrincipal> keys_;
  std::atomic<uint64_t> connections_total_{0}, refused_hellos_{0}, bad_frames_{0}, datagrams_{0},
      bad_datagrams_{0}, cut_slow_{0};
};

}  // namespace ncc::monitor
