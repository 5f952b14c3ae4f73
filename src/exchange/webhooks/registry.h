// The webhook subscriptions of a running server and their delivery thread.
//
// Delivery: one thread walks the subscriptions; for each it asks the server (Fetch) for the next
// events after its cursor that its principal may see, POSTs them one by one, in order, and moves
// the cursor (durably, in webhooks.db) only after a 2xx. A failure stops that subscription until
// its back-off expires (doubling from min_backoff up to max_backoff, jittered); the others go
// on. After max_attempts failures of one event it becomes a dead letter (webhooks.db, in the
// same transaction that moves the cursor past it) and the events after it flow; Redeliver
// queues dead letters, sent again by the same thread, re-read (and re-filtered) by seq. Every
// attempt is in the subscription's history. So delivery is at-least-once and in order across
// restarts and kill -9 for every event but the dead letters, which are kept until redelivered.
//
// Threads: Add/Remove/List from any thread; Wake() from the engine's writer thread (it only
// notifies a condition variable).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "exchange/webhooks/store.h"

namespace ncc::webhooks {

// One event ready to send: its seq, name and JSON body (the stream's bytes).
struct Outgoing {
  Seq seq;
  std::string name;
  std::shared_ptr<const std::string> json;
};
// Up to `max` events after `after` that `sub` may see; `scanned` is the last seq looked at
// (events skipped as not visible move the cursor too).
struct Page {
  std::vector<Outgoing> visible;
  Seq scanned;
};
using Fetch = std::function<StatusOr<Page>(const Subscription& sub, Seq after, size_t max)>;

struct DeliveryOptions {
  std::vector<std::string> allowed_hosts;      // --webhook-allow
  std::chrono::milliseconds min_backoff{250};  // --webhook-backoff-ms
  std::chrono::milliseconds max_backoff{30'000};
  std::chrono::milliseconds timeout{5'000};  // connect + send + answer, per attempt
  int max_attempts = 8;                      // --webhook-attempts: then a dead letter
  std::string ca_file;  // --webhook-ca: the CAs https subscribers are checked against; empty:
                        // the system's store
  size_t page = 64;
};

// The wait after the `failures`-th failure in a row (1, 2, ...): min_backoff doubled each time,
// at most max_backoff, then drawn uniformly in [half of it, all of it] ("equal jitter", so
// subscribers that failed together do not come back together). `random` is any 64-bit draw.
std::chrono::milliseconds Backoff(int failures, const DeliveryOptions& o, uint64_t random);

struct DeliveryCounters {
  std::atomic<uint64_t> delivered{0}, failed{0}, dead_letters{0}, redelivered{0};
};

// The trust store of https deliveries (OpenSSL through Boost.Asio, in http_post.cc): the CAs of
// `ca_file` (PEM), else the system's default paths. Certificates are checked, and the host name
// against them.
class TlsTrust;
StatusOr<std::shared_ptr<TlsTrust>> LoadTlsTrust(const std::string& ca_file);

class Registry {
 public:
  // Opens the store and starts delivering from each subscription's saved cursor.
  static StatusOr<std::unique_ptr<Registry>> Start(const std::string& db_path, Fetch fetch,
                                                   DeliveryOptions options);
  ~Registry();

  // Checks the URL, makes a secret, stores the subscription; the result carries the secret
  // (shown to the caller once).
  StatusOr<Subscription> Add(Subscription s);
  Status Remove(uint64_t id);
  // Without secrets.
  std::vector<Subscription> List() const;
  std::optional<Subscription> Find(uint64_t id) const;  // without its secret

  // Delivery history of one subscription, oldest first after `after` (an attempt id).
  StatusOr<std::vector<Attempt>> Deliveries(uint64_t id, uint64_t after, size_t limit) const;
  StatusOr<std::vector<DeadLetter>> DeadLetters(uint64_t id) const;
  // Queues the dead letters of `id` (all, or the one at `seq`) for redelivery; how many.
  StatusOr<size_t> Redeliver(uint64_t id, std::optional<Seq> seq);

  void Wake();
  void Stop();
  const DeliveryOptions& options() const { return options_; }
  const DeliveryCounters& counters() const { return counters_; }

 private:
  struct Live {
    Subscription sub;
    Target target;
    std::chrono::steady_clock::time_point retry_at{};
    int failures = 0;  // of the event after the cursor, in a row (not kept across restarts)
  };
  // One POST of one event: the history row of the attempt (outcome delivered or failed).
  struct Sent {
    bool ok = false;
    Attempt attempt;
  };
  Registry(std::unique_ptr<Store> store, Fetch fetch, DeliveryOptions options)
      : store_(std::move(store)), fetch_(std::move(fetch)), options_(std::move(options)) {}
  void Run();
  // Delivers what is due for one subscription (first its queued dead letters when `redeliver`);
  // true when it made progress.
  bool Serve(uint64_t id, bool redeliver);
  // The queued dead letters of one subscription, one try each; true when any went.
  bool ServeRedeliveries(const Live& live);
  Sent Send(const Live& live, const Outgoing& out, int attempt);
  // The event after the cursor failed once more: back off, or give it up as a dead letter.
  void Failed(Live& live, const Sent& sent);
  bool Stopping(uint64_t id);

  std::unique_ptr<Store> store_;
  std::shared_ptr<TlsTrust> tls_;
  std::atomic<bool> redeliver_pending_{false};  // some dead letter is queued
  Fetch fetch_;
  const DeliveryOptions options_;
  DeliveryCounters counters_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<uint64_t, Live> live_;
  bool woken_ = false, stopping_ = false;
  std::thread thread_;
};

// POSTs `body` to `t` with the headers; the HTTP status, or an error (connect, timeout).
// Boost.Beast stays in http_post.cc.
// https targets need `tls` (kFailedPrecondition without it); a certificate the trust store does
// not vouch for, or for another host, is an error naming it.
StatusOr<int> HttpPost(const Target& t, const std::string& body,
                       const std::vector<std::pair<std::string, std::string>>& headers,
                       std::chrono::milliseconds timeout, TlsTrust* tls = nullptr);

}  // namespace ncc::webhooks
