// The webhook subscriptions of a running server and their delivery thread.
//
// Delivery: one thread walks the subscriptions; for each it asks the server (Fetch) for the next
// events after its cursor that its principal may see, POSTs them one by one, in order, and moves
// the cursor (durably, in webhooks.db) only after a 2xx. A failure stops that subscription until
// its back-off expires (doubling from min_backoff up to max_backoff); the others go on. So
// delivery is at-least-once and in order, across restarts and kill -9.
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
  std::vector<std::string> allowed_hosts;  // --webhook-allow
  std::chrono::milliseconds min_backoff{250};
  std::chrono::milliseconds max_backoff{30'000};
  std::chrono::milliseconds timeout{5'000};  // connect + send + answer, per attempt
  size_t page = 64;
};

struct DeliveryCounters {
  std::atomic<uint64_t> delivered{0}, failed{0};
};

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

  void Wake();
  void Stop();
  const DeliveryOptions& options() const { return options_; }
  const DeliveryCounters& counters() const { return counters_; }

 private:
  struct Live {
    Subscription sub;
    Target target;
    std::chrono::steady_clock::time_point retry_at{};
    std::chrono::milliseconds backoff{0};
  };
  Registry(std::unique_ptr<Store> store, Fetch fetch, DeliveryOptions options)
      : store_(std::move(store)), fetch_(std::move(fetch)), options_(std::move(options)) {}
  void Run();
  // Delivers what is due for one subscription; true when it made progress.
  bool Serve(uint64_t id);

  std::unique_ptr<Store> store_;
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
StatusOr<int> HttpPost(const Target& t, const std::string& body,
                       const std::vector<std::pair<std::string, std::string>>& headers,
                       std::chrono::milliseconds timeout);

}  // namespace ncc::webhooks
