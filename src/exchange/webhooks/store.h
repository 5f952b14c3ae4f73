// DATA/webhooks.db (SQLite, file mode 0600, synchronous=FULL): the subscriptions, their secrets,
// their delivery cursors, the history of delivery attempts and the dead letters. The secret is
// needed to sign, so it is stored as is — which is why it lives here, readable by the service user
// only, and never in the event log or a log line. Threads: any; one connection under a mutex.
#pragma once

#include <sqlite3.h>

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "exchange/webhooks/webhook.h"

namespace ncc::webhooks {

// One delivery attempt, as GET /api/v1/webhooks/{id}/deliveries shows it.
struct Attempt {
  uint64_t id = 0;  // increasing: the page key
  uint64_t webhook = 0;
  Seq seq;
  std::string event;
  int attempt = 1;      // 1 for the first try of this event, 2 for the first retry, ...
  Time time;            // when the attempt ended
  std::string outcome;  // delivered | failed | dead_letter | redelivered
  int http_status = 0;  // the subscriber's answer; 0 when there was none
  std::string error;    // why it failed (connect, timeout, certificate, HTTP status)
};

// An event given up on after the last attempt: the cursor moved past it, so later events
// flow; it waits here, until redelivered, across restarts.
struct DeadLetter {
  uint64_t webhook = 0;
  Seq seq;
  std::string event;
  int attempts = 0;
  Time failed;
  std::string error;
  bool queued = false;  // a redeliver call asked for it; the delivery thread sends it next
};

class Store {
 public:
  static StatusOr<std::unique_ptr<Store>> Open(const std::string& path);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Gives `s` its id (and keeps its secret, cursor and principal).
  StatusOr<uint64_t> Insert(const Subscription& s);
  // kNotFound when there is no such subscription.
  Status Delete(uint64_t id);
  StatusOr<std::vector<Subscription>> All();
  // Durable before it returns: a delivery is never repeated past a saved cursor... nor lost
  // before it (the cursor moves only after the subscriber answered 2xx).
  Status SaveCursor(uint64_t id, Seq cursor);

  // Delivery history, oldest first after `after` (an Attempt id); at most kHistoryKept rows are
  // kept per subscription, the oldest dropped.
  static constexpr int64_t kHistoryKept = 10000;
  Status RecordAttempt(const Attempt& a);
  StatusOr<std::vector<Attempt>> History(uint64_t webhook, uint64_t after, size_t limit);
  // The last attempt failed: in one transaction the dead letter, the cursor past `seq` and the
  // history row (outcome dead_letter), so that a crash keeps either the event due or its letter.
  Status GiveUp(const Attempt& last);
  StatusOr<std::vector<DeadLetter>> DeadLetters(uint64_t webhook);
  // Queues the subscription's dead letters (all, or the one at `seq`) for redelivery: how many.
  StatusOr<size_t> QueueRedelivery(uint64_t webhook, std::optional<Seq> seq);
  // A redelivered letter answered 2xx: gone, with a history row `a` (outcome redelivered).
  Status Redelivered(const Attempt& a);
  // A redelivery failed: the letter stays, no longer queued, with the attempt in the history.
  Status RedeliveryFailed(const Attempt& a);

 private:
  explicit Store(sqlite3* db) : db_(db) {}
  Status Exec(const char* sql);
  Status InsertAttemptLocked(const Attempt& a);
  sqlite3* db_;
  std::mutex mu_;
};

}  // namespace ncc::webhooks
