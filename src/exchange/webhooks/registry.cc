#include "exchange/webhooks/registry.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <random>

#include "auth/secret.h"

namespace ncc::webhooks {

StatusOr<std::unique_ptr<Registry>> Registry::Start(const std::string& db_path, Fetch fetch,
                                                    DeliveryOptions options) {
  auto store = Store::Open(db_path);
  if (!store.ok()) return store.status();
  auto all = (*store)->All();
  if (!all.ok()) return all.status();
  auto tls = LoadTlsTrust(options.ca_file);
  if (!tls.ok()) return tls.status();
  std::unique_ptr<Registry> r(
      new Registry(std::move(*store), std::move(fetch), std::move(options)));
  r->tls_ = std::move(*tls);
  r->redeliver_pending_ = true;  // letters queued before a restart are sent
  for (Subscription& s : *all) {
    auto target = CheckUrl(s.url, r->options_.allowed_hosts);
    if (!target.ok()) {
      // The allow-list changed since it was registered: keep it stored, deliver nothing.
      spdlog::error("webhook {}: not delivering: {}", s.id, target.status().message());
      continue;
    }
    uint64_t id = s.id;
    r->live_[id] = Live{std::move(s), std::move(*target)};
  }
  if (!r->live_.empty()) spdlog::info("webhooks: {} subscriptions", r->live_.size());
  r->thread_ = std::thread([p = r.get()] { p->Run(); });
  return r;
}

Registry::~Registry() {
  Stop();
}

void Registry::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Registry::Wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

StatusOr<Subscription> Registry::Add(Subscription s) {
  auto target = CheckUrl(s.url, options_.allowed_hosts);
  if (!target.ok()) return target.status();
  auto secret = auth::NewToken("whsec_");
  if (!secret.ok()) return secret.status();
  s.secret = std::move(*secret);
  auto id = store_->Insert(s);
  if (!id.ok()) return id.status();
  s.id = *id;
  {
    std::lock_guard lock(mu_);
    live_[s.id] = Live{s, std::move(*target)};
  }
  Wake();
  return s;
}

Status Registry::Remove(uint64_t id) {
  NCC_RETURN_IF_ERROR(store_->Delete(id));
  std::lock_guard lock(mu_);
  live_.erase(id);
  return Status::Ok();
}

std::vector<Subscription> Registry::List() const {
  auto all = store_->All();
  std::vector<Subscription> out = all.ok() ? std::move(*all) : std::vector<Subscription>{};
  for (Subscription& s : out) s.secret.clear();
  return out;
}

std::optional<Subscription> Registry::Find(uint64_t id) const {
  for (Subscription& s : List())
    if (s.id == id) return s;
  return std::nullopt;
}

namespace {

Time WallNow() {
  return Time{std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count()};
}

uint64_t Draw() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng();
}

}  // namespace

std::chrono::milliseconds Backoff(int failures, const DeliveryOptions& o, uint64_t random) {
  int64_t ceiling = std::max<int64_t>(o.max_backoff.count(), 1);
  int64_t d = std::max<int64_t>(o.min_backoff.count(), 1);
  for (int k = 1; k < failures && d < ceiling; ++k) d *= 2;
  d = std::min(d, ceiling);
  int64_t half = d / 2;
  return std::chrono::milliseconds(
      half + static_cast<int64_t>(random % static_cast<uint64_t>(d - half + 1)));
}

bool Registry::Stopping(uint64_t id) {
  std::lock_guard lock(mu_);
  return stopping_ || !live_.count(id);  // removed meanwhile: stop sending
}

Registry::Sent Registry::Send(const Live& live, const Outgoing& out, int attempt) {
  const uint64_t id = live.sub.id;
  std::string seq = std::to_string(out.seq.value);
  auto status = HttpPost(live.target, *out.json,
                         {{"X-Ncc-Signature", Sign(live.sub.secret, *out.json)},
                          {"X-Ncc-Event", out.name},
                          {"X-Ncc-Seq", seq},
                          {"X-Ncc-Webhook", std::to_string(id)},
                          {"X-Ncc-Delivery", std::to_string(id) + "-" + seq}},
                         options_.timeout, tls_.get());
  Sent sent;
  sent.ok = status.ok() && *status >= 200 && *status <= 299;
  sent.attempt = {0,
                  id,
                  out.seq,
                  out.name,
                  attempt,
                  WallNow(),
                  sent.ok ? "delivered" : "failed",
                  status.ok() ? *status : 0,
                  ""};
  if (!sent.ok)
    sent.attempt.error =
        status.ok() ? "HTTP " + std::to_string(*status) : status.status().message().substr(0, 500);
  return sent;
}

void Registry::Failed(Live& live, const Sent& sent) {
  const uint64_t id = live.sub.id;
  ++counters_.failed;
  ++live.failures;
  if (live.failures >= options_.max_attempts) {
    Attempt last = sent.attempt;
    last.outcome = "dead_letter";
    if (Status s = store_->GiveUp(last); !s.ok()) {
      spdlog::error("webhook {}: cannot record the dead letter of seq {}: {}", id, last.seq.value,
                    s.message());
      live.retry_at = std::chrono::steady_clock::now() + options_.max_backoff;
      return;
    }
    ++counters_.dead_letters;
    spdlog::warn("webhook {}: seq {} is a dead letter after {} attempts ({})", id, last.seq.value,
                 live.failures, last.error);
    live.sub.cursor = last.seq;
    live.failures = 0;
    return;
  }
  if (Status s = store_->RecordAttempt(sent.attempt); !s.ok())
    spdlog::warn("webhook {}: cannot record the attempt: {}", id, s.message());
  auto wait = Backoff(live.failures, options_, Draw());
  live.retry_at = std::chrono::steady_clock::now() + wait;
  spdlog::warn("webhook {}: delivery of seq {} failed ({}); attempt {} of {} in {} ms", id,
               sent.attempt.seq.value, sent.attempt.error, live.failures + 1, options_.max_attempts,
               wait.count());
}

bool Registry::ServeRedeliveries(const Live& live) {
  const uint64_t id = live.sub.id;
  auto letters = store_->DeadLetters(id);
  if (!letters.ok()) return false;
  bool went = false;
  for (const DeadLetter& d : *letters) {
    if (!d.queued || Stopping(id)) continue;
    // Read again as the subscription may see it now: a letter no longer visible is not sent.
    auto page = fetch_(live.sub, Seq(d.seq.value - 1), 1);
    Attempt a{0, id, d.seq, d.event, d.attempts + 1, WallNow(), "failed", 0, ""};
    if (!page.ok() || page->visible.empty() || page->visible.front().seq != d.seq) {
      a.error = page.ok() ? "no longer visible to the subscription" : page.status().message();
      (void)store_->RedeliveryFailed(a);
      continue;
    }
    Sent sent = Send(live, page->visible.front(), d.attempts + 1);
    if (sent.ok) {
      sent.attempt.outcome = "redelivered";
      (void)store_->Redelivered(sent.attempt);
      ++counters_.redelivered;
      went = true;
    } else {
      (void)store_->RedeliveryFailed(sent.attempt);
    }
  }
  return went;
}

bool Registry::Serve(uint64_t id, bool redeliver) {
  Live live;
  {
    std::lock_guard lock(mu_);
    auto it = live_.find(id);
    if (it == live_.end()) return false;
    live = it->second;
  }
  // Asked for by an operator: not held back by the back-off of the events after the cursor.
  bool redelivered = redeliver && ServeRedeliveries(live);
  if (std::chrono::steady_clock::now() < live.retry_at) return redelivered;
  const Seq before = live.sub.cursor;
  auto page = fetch_(live.sub, live.sub.cursor, options_.page);
  if (!page.ok()) {
    spdlog::warn("webhook {}: cannot read events: {}", id, page.status().message());
    return redelivered;
  }
  bool stopped = false;
  for (const Outgoing& out : page->visible) {
    if (Stopping(id)) return false;
    Sent sent = Send(live, out, live.failures + 1);
    if (!sent.ok) {
      Failed(live, sent);
      if (live.failures == 0) continue;  // a dead letter now: on to the next event
      stopped = true;
      break;
    }
    ++counters_.delivered;
    if (Status s = store_->SaveCursor(id, out.seq); !s.ok()) {
      spdlog::error("webhook {}: cannot save cursor: {}", id, s.message());
      stopped = true;
      break;
    }
    (void)store_->RecordAttempt(sent.attempt);
    live.sub.cursor = out.seq;
    live.failures = 0;
  }
  // Everything visible was delivered: the events skipped after it are done too.
  if (!stopped && page->scanned > live.sub.cursor) {
    if (store_->SaveCursor(id, page->scanned).ok()) live.sub.cursor = page->scanned;
  }
  std::lock_guard lock(mu_);
  auto it = live_.find(id);
  if (it != live_.end()) {
    it->second.sub.cursor = live.sub.cursor;
    it->second.failures = live.failures;
    it->second.retry_at = live.retry_at;
  }
  return live.sub.cursor > before || redelivered;
}

StatusOr<std::vector<Attempt>> Registry::Deliveries(uint64_t id, uint64_t after,
                                                    size_t limit) const {
  return store_->History(id, after, limit);
}

StatusOr<std::vector<DeadLetter>> Registry::DeadLetters(uint64_t id) const {
  return store_->DeadLetters(id);
}

StatusOr<size_t> Registry::Redeliver(uint64_t id, std::optional<Seq> seq) {
  auto n = store_->QueueRedelivery(id, seq);
  if (n.ok() && *n > 0) {
    redeliver_pending_ = true;
    Wake();
  }
  return n;
}

void Registry::Run() {
  for (;;) {
    std::vector<uint64_t> ids;
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
      woken_ = false;
      for (const auto& [id, l] : live_) ids.push_back(id);
    }
    bool progress = false;
    bool redeliver = redeliver_pending_.exchange(false);
    for (uint64_t id : ids) progress = Serve(id, redeliver) || progress;
    if (progress) continue;
    std::unique_lock lock(mu_);
    // Woken by new events or subscriptions; otherwise look again when a back-off may be over.
    cv_.wait_for(lock, std::chrono::milliseconds(200), [&] { return woken_ || stopping_; });
  }
}

}  // namespace ncc::webhooks
