#include "correlate/watchlist.h"

#include "core/commands.h"

namespace ncc::correlate {

// The same normal form as the watchlist entries in the log (decide() normalises them).
std::string Watchlist::Normalize(std::string_view plate) {
  return NormalizePlate(plate);
}

Status Watchlist::Add(WatchEntry entry) {
  std::string key = Normalize(entry.plate);
  if (key.empty())
    return InvalidArgument("plate is empty once spaces and dashes are removed", "plate");
  if (key.size() > 32) return InvalidArgument("plate longer than 32 characters", "plate");
  entries_[key] = std::move(entry);
  return Status::Ok();
}

bool Watchlist::Remove(std::string_view plate) {
  return entries_.erase(Normalize(plate)) > 0;
}

const WatchEntry* Watchlist::Match(std::string_view plate) const {
  auto it = entries_.find(Normalize(plate));
  return it == entries_.end() ? nullptr : &it->second;
}

std::optional<Alarm> Watchlist::Check(const PlateRead& read) const {
  const WatchEntry* e = Match(read.plate);
  if (!e) return std::nullopt;
  Alarm a;
  a.id = read.read_id;
  a.source = read.source;
  a.kind = AlarmKind::kLprHit;
  a.location = read.location;
  a.time = read.time;
  a.sensor = read.camera;
  a.plate = Normalize(read.plate);
  return a;
}

}  // namespace ncc::correlate
