// DATA/webhooks.db (SQLite, file mode 0600, synchronous=FULL): the subscriptions, their secrets
// and their delivery cursors. The secret is needed to sign, so it is stored as is — which is why
// it lives here, readable by the service user only, and never in the event log or a log line.
// Threads: any; one connection under a mutex.
#pragma once

#include <sqlite3.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "exchange/webhooks/webhook.h"

namespace ncc::webhooks {

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

 private:
  explicit Store(sqlite3* db) : db_(db) {}
  Status Exec(const char* sql);
  sqlite3* db_;
  std::mutex mu_;
};

}  // namespace ncc::webhooks
