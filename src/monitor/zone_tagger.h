// Tags incidents and alarms with the geofence zones they lie in (issue: "alarms and incidents
// tagged with their zones"). Follows the engine's live feed: a new incident or alarm inside any
// zone gets a zones_tagged event; when the zone set changes (zones_defined), every open
// incident whose zones differ is tagged again. At start it does the same for every open
// incident, so an incident created while the tagger was down is not missed.
//
// Threads: one thread of its own; Start/Stop from the owner's thread.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "engine/engine.h"
#include "geo/geofence.h"

namespace ncc::monitor {

class AvlLane;

class ZoneTagger {
 public:
  // `zones` returns the current zone set (the AVL lane's); it may return null.
  using ZonesSource = std::function<std::shared_ptr<const geo::Geofences>()>;
  ZoneTagger(Engine& engine, ZonesSource zones);
  ~ZoneTagger();

  void Start();
  void Stop();

  // Tags every open incident whose zones differ from those at its location; returns how many
  // commands were submitted (waits for each). Called at start and after zones_defined.
  size_t Reconcile();
  // Tags the incidents and alarms created after `after`; returns the last seq looked at.
  Seq TagNew(Seq after);

  static constexpr const char* kActor = "ncc-zones";

 private:
  void Loop();
  std::vector<std::string> ZoneIdsAt(const geo::Geofences& zones, const LatLon& p) const;

  Engine& engine_;
  ZonesSource zones_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool woken_ = false, stopping_ = false;
  uint64_t listener_ = 0;
  std::thread thread_;
};

}  // namespace ncc::monitor
