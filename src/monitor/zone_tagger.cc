#include "monitor/zone_tagger.h"

#include <spdlog/spdlog.h>

namespace ncc::monitor {

ZoneTagger::ZoneTagger(Engine& engine, ZonesSource zones)
    : engine_(engine), zones_(std::move(zones)) {}

ZoneTagger::~ZoneTagger() {
  Stop();
}

std::vector<std::string> ZoneTagger::ZoneIdsAt(const geo::Geofences& zones, const LatLon& p) const {
  std::vector<std::string> ids;
  for (const geo::Zone* z : zones.ZonesAt(p)) ids.push_back(z->id);
  if (ids.size() > Limits::kZonesPerTag) ids.resize(Limits::kZonesPerTag);
  return ids;
}

size_t ZoneTagger::Reconcile() {
  std::shared_ptr<const geo::Geofences> zones = zones_();
  struct Todo {
    ZonesTagged tag;
    std::string agency;
  };
  std::vector<Todo> todo;
  engine_.Read([&](const World& w) {
    for (const Incident& i : w.incidents()) {
      if (IsTerminal(i.status)) continue;
      std::vector<std::string> now =
          zones ? ZoneIdsAt(*zones, i.location) : std::vector<std::string>{};
      if (now != i.zones) todo.push_back({{i.id, "", std::move(now)}, i.agency});
    }
  });
  size_t submitted = 0;
  for (Todo& t : todo) {
    CommandOutcome o = engine_.SubmitAndWait(TagZones{std::move(t.tag)}, kActor, t.agency);
    if (o.status.ok())
      ++submitted;
    else
      spdlog::warn("zone tag not logged: {}", o.status.ToString());
  }
  return submitted;
}

Seq ZoneTagger::TagNew(Seq after) {
  std::vector<FeedItemPtr> items;
  if (!engine_.feed().ReadAfter(after, 1000, items)) {
    // Fell behind the in-memory feed: a full pass finds whatever was missed.
    Reconcile();
    return engine_.feed().head();
  }
  std::shared_ptr<const geo::Geofences> zones = zones_();
  for (const FeedItemPtr& item : items) {
    after = item->seq();
    const EventBody& body = item->event().body;
    if (std::holds_alternative<ZonesDefined>(body)) {
      Reconcile();
      zones = zones_();
      continue;
    }
    if (!zones || zones->size() == 0) continue;
    std::optional<ZonesTagged> tag;
    if (const auto* created = std::get_if<IncidentCreated>(&body)) {
      auto ids = ZoneIdsAt(*zones, created->location);
      if (!ids.empty()) tag = ZonesTagged{created->id, "", std::move(ids)};
    } else if (const auto* alarm = std::get_if<AlarmReceived>(&body)) {
      auto ids = ZoneIdsAt(*zones, alarm->alarm.location);
      if (!ids.empty()) tag = ZonesTagged{alarm->incident, alarm->alarm.id, std::move(ids)};
    }
    if (!tag) continue;
    // Already tagged so (by a start-up pass that saw it first): nothing new to say.
    bool known = engine_.Read([&](const World& w) {
      const Incident* i = w.FindIncident(tag->incident);
      if (!i) return true;
      return tag->alarm.empty() ? i->zones == tag->zones
                                : w.ZonesOfAlarm(i->agency, tag->alarm) == tag->zones;
    });
    if (known) continue;
    engine_.Submit(TagZones{std::move(*tag)}, kActor, item->event().meta.agency,
                   [](CommandOutcome o) {
                     if (!o.status.ok())
                       spdlog::warn("zone tag not logged: {}", o.status.ToString());
                   });
  }
  return after;
}

void ZoneTagger::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  listener_ = engine_.feed().Listen([this] {
    std::lock_guard l(mu_);
    woken_ = true;
    cv_.notify_one();
  });
  thread_ = std::thread([this] { Loop(); });
}

void ZoneTagger::Stop() {
  {
    std::lock_guard lock(mu_);
    if (!thread_.joinable()) return;
    stopping_ = true;
    cv_.notify_one();
  }
  thread_.join();
  engine_.feed().Unlisten(listener_);
}

void ZoneTagger::Loop() {
  Seq seen = engine_.feed().head();
  Reconcile();  // whatever happened while the tagger was not running
  while (true) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || woken_; });
      if (stopping_) return;
      woken_ = false;
    }
    seen = TagNew(seen);
  }
}

}  // namespace ncc::monitor
