#include "server/event_pages.h"

#include "core/stored_event.h"

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
  auto stored = engine.log().ReadAfter(after, limit);
  if (!stored.ok()) return stored.status();
  out.reserve(stored->size());
  for (const StoredEvent& s : *stored) {
    auto event = Decode(s);
    if (!event.ok()) return event.status();
    auto logged = std::make_shared<LoggedEvent>();
    logged->event = std::move(*event);
    logged->json = EventToJson(logged->event).dump();
    out.push_back({std::shared_ptr<const std::string>(logged, &logged->json), &logged->event});
  }
  return out;
}

}  // namespace ncc
