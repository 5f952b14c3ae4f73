#include "server/event_pages.h"

#include <algorithm>

#include "core/stored_event.h"
#include "visibility/redact.h"

namespace ncc {
namespace {

// Keeps an event decoded from the log alive together with its JSON.
struct LoggedEvent {
  Event event;
  std::string json;
};

}  // namespace

StatusOr<std::vector<EventText>> EventPage(const Engine& engine, Seq after, size_t limit) {
  std::vector<EventText> out;
  std::vector<FeedItemPtr> items;
  if (engine.feed().ReadAfter(after, limit, items)) {
    out.reserve(items.size());
    for (auto& item : items) {
      // Aliasing pointers: they share ownership of the feed item.
      out.push_back({std::shared_ptr<const std::string>(item, &item->Json()), &item->event()});
    }
    return out;
  }
  // From the log, every event is checked as it is read: its content against its hash and its
  // link to the event before (read too), so an event altered on disk after start-up (older
  // than the snapshot start-up began from) is refused, never served.
  const bool linked = after.value > 0;
  auto stored = engine.log().ReadAfter(Seq(after.value - (linked ? 1 : 0)), limit + linked);
  if (!stored.ok()) return stored.status();
  out.reserve(stored->size());
  Hash prev{};
  for (size_t k = 0; k < stored->size(); ++k) {
    const StoredEvent& s = (*stored)[k];
    std::string at = "event " + std::to_string(s.seq.value) + ": ";
    if (ChainHash(s) != s.hash)
      return DataLoss(at +
                      "content does not match its hash (altered after it was written; run "
                      "ncc audit verify)");
    if ((k > 0 && s.prev_hash != prev) || (s.seq.value == 1 && s.prev_hash != Hash{}))
      return DataLoss(at + "previous-hash link broken (run ncc audit verify)");
    prev = s.hash;
    if (linked && k == 0 && s.seq == after) continue;  // read only for the next one's link
    auto event = Decode(s);
    if (!event.ok()) return event.status();
    auto logged = std::make_shared<LoggedEvent>();
    logged->event = std::move(*event);
    logged->json = EventToJson(logged->event).dump();
    out.push_back({std::shared_ptr<const std::string>(logged, &logged->json), &logged->event});
  }
  return out;
}

std::string ViewOf(const auth::Principal& who) {
  std::string view = who.kind == auth::Principal::Kind::kGateway ? "gateway|" : "user|";
  view += who.agency + "|" + auth::FormatRoles(who.roles) + "|" +
          std::to_string(static_cast<int>(who.clearance)) + "|";
  for (auth::Lane lane : who.lanes) view += std::to_string(static_cast<int>(lane)) + ",";
  return view;
}

uint32_t SharedEventViews::Intern(const std::string& view) {
  MutexLock lock(mu_);
  return views_.emplace(view, static_cast<uint32_t>(views_.size())).first->second;
}

std::shared_ptr<const std::string> SharedEventViews::Visible(const auth::Principal& who,
                                                             uint32_t view, const EventText& text,
                                                             const World& world) {
  const uint64_t seq = text.event->meta.seq.value;
  {
    MutexLock lock(mu_);
    if (auto it = by_seq_.find(seq); it != by_seq_.end())
      for (const Decision& d : it->second)
        if (d.view == view && d.world == world.last_seq()) {
          ++shared_;
          return d.text;
        }
  }
  auto decided = VisibleEventJson(who, *text.event, world, text.json);
  ++decided_;
  MutexLock lock(mu_);
  std::vector<Decision>& at = by_seq_[seq];
  auto same = std::find_if(at.begin(), at.end(), [&](const Decision& d) { return d.view == view; });
  if (same == at.end())
    at.push_back({view, world.last_seq(), decided});
  else if (same->world < world.last_seq())
    *same = {view, world.last_seq(), decided};
  while (by_seq_.size() > capacity_) by_seq_.erase(by_seq_.begin());
  return decided;
}

}  // namespace ncc
