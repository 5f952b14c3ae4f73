#include "exchange/webhooks/registry.h"

#include <spdlog/spdlog.h>

#include "auth/secret.h"

namespace ncc::webhooks {

using Clock = std::chrono::steady_clock;

StatusOr<std::unique_ptr<Registry>> Registry::Start(const std::string& db_path, Fetch fetch,
                                                    DeliveryOptions options) {
  auto store = Store::Open(db_path);
  if (!store.ok()) return store.status();
  auto all = (*store)->All();
  if (!all.ok()) return all.status();
  std::unique_ptr<Registry> r(
      new Registry(std::move(*store), std::move(fetch), std::move(options)));
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

bool Registry::Serve(uint64_t id) {
  Live live;
  {
    std::lock_guard lock(mu_);
    auto it = live_.find(id);
    if (it == live_.end() || Clock::now() < it->second.retry_at) return false;
    live = it->second;
  }
  const Seq before = live.sub.cursor;
  auto page = fetch_(live.sub, live.sub.cursor, options_.page);
  if (!page.ok()) {
    spdlog::warn("webhook {}: cannot read events: {}", id, page.status().message());
    return false;
  }
  bool failed = false;
  for (const Outgoing& out : page->visible) {
    {
      std::lock_guard lock(mu_);
      if (stopping_ || !live_.count(id)) return false;  // removed meanwhile: stop sending
    }
    std::string seq = std::to_string(out.seq.value);
    auto status = HttpPost(live.target, *out.json,
                           {{"X-Ncc-Signature", Sign(live.sub.secret, *out.json)},
                            {"X-Ncc-Event", out.name},
                            {"X-Ncc-Seq", seq},
                            {"X-Ncc-Webhook", std::to_string(id)},
                            {"X-Ncc-Delivery", std::to_string(id) + "-" + seq}},
                           options_.timeout);
    if (!status.ok() || *status < 200 || *status > 299) {
      ++counters_.failed;
      live.backoff = live.backoff.count() == 0 ? options_.min_backoff
                                               : std::min(live.backoff * 2, options_.max_backoff);
      live.retry_at = Clock::now() + live.backoff;
      spdlog::warn("webhook {}: delivery of seq {} failed ({}); retry in {} ms", id, seq,
                   status.ok() ? "HTTP " + std::to_string(*status) : status.status().message(),
                   live.backoff.count());
      failed = true;
      break;
    }
    ++counters_.delivered;
    if (Status s = store_->SaveCursor(id, out.seq); !s.ok()) {
      spdlog::error("webhook {}: cannot save cursor: {}", id, s.message());
      failed = true;
      break;
    }
    live.sub.cursor = out.seq;
    live.backoff = std::chrono::milliseconds(0);
  }
  // Everything visible was delivered: the events skipped after it are done too.
  if (!failed && page->scanned > live.sub.cursor) {
    if (store_->SaveCursor(id, page->scanned).ok()) live.sub.cursor = page->scanned;
  }
  std::lock_guard lock(mu_);
  auto it = live_.find(id);
  if (it != live_.end()) {
    it->second.sub.cursor = live.sub.cursor;
    it->second.backoff = live.backoff;
    it->second.retry_at = live.retry_at;
  }
  return live.sub.cursor > before;
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
    for (uint64_t id : ids) progress = Serve(id) || progress;
    if (progress) continue;
    std::unique_lock lock(mu_);
    // Woken by new events or subscriptions; otherwise look again when a back-off may be over.
    cv_.wait_for(lock, std::chrono::milliseconds(200), [&] { return woken_ || stopping_; });
  }
}

}  // namespace ncc::webhooks
