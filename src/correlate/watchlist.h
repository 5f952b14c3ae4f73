// Licence-plate watchlists: plates of interest (stolen, wanted, amber alert) matched against
// plate reads from LPR/ANPR cameras. Plates are compared normalised: ASCII letters upper-cased,
// spaces, dashes, dots and underscores dropped, other bytes (e.g. Arabic script) kept as they are.
// Thread: build on one thread; const methods may then be called from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/status.h"
#include "correlate/alarm.h"

namespace ncc::correlate {

struct WatchEntry {
  std::string plate;   // as entered
  std::string list;    // e.g. "stolen", "amber"
  std::string reason;  // shown to the operator; may be sensitive, never logged at info level
};

// A camera's read of a plate.
struct PlateRead {
  std::string camera;
  std::string source;  // the LPR system
  std::string plate;
  LatLon location;
  Time time;
  std::string read_id;
};

class Watchlist {
 public:
  static std::string Normalize(std::string_view plate);

  // InvalidArgument if the plate normalises to nothing or exceeds 32 bytes; a plate already
  // listed is replaced.
  Status Add(WatchEntry entry);
  bool Remove(std::string_view plate);
  size_t size() const { return entries_.size(); }

  const WatchEntry* Match(std::string_view plate) const;
  // An lpr_hit alarm for a read of a listed plate, ready for the Correlator; nullopt otherwise.
  std::optional<Alarm> Check(const PlateRead& read) const;

 private:
  std::unordered_map<std::string, WatchEntry> entries_;  // by normalised plate
};

}  // namespace ncc::correlate
