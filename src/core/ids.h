// Strong identifiers and units: an IncidentId cannot be passed where a UnitId is expected,
// and a Seq cannot be mixed up with either. All are plain 64-bit values on disk.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>

namespace ncc {

template <typename Tag>
struct Id {
  uint64_t value = 0;
  constexpr Id() = default;
  constexpr explicit Id(uint64_t v) : value(v) {}
  constexpr explicit operator bool() const { return value != 0; }
  constexpr auto operator<=>(const Id&) const = default;
  template <typename V>
  void Fields(V& v) {
    v("value", value);
  }
};

using IncidentId = Id<struct IncidentTag>;
using UnitId = Id<struct UnitTag>;
using Seq = Id<struct SeqTag>;  // position of an event in the log, 1-based; 0 means "none"

// Wall-clock instant, milliseconds since the Unix epoch (UTC). Only commands read a clock;
// events carry their Time and `apply` never looks at a clock.
struct Time {
  int64_t ms = 0;
  constexpr auto operator<=>(const Time&) const = default;
};

struct Seconds {
  double value = 0;
};

}  // namespace ncc

template <typename Tag>
struct std::hash<ncc::Id<Tag>> {
  size_t operator()(ncc::Id<Tag> id) const noexcept { return std::hash<uint64_t>{}(id.value); }
};
