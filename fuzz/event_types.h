// Every event type the log can hold (core/events.h), for event_decode_fuzz (its first input byte
// is an index into this list) and for the seed maker that writes its seeds. Add new types here.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ncc::fuzz {

inline constexpr uint16_t kEventTypes[] = {
    1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 20, 21, 22, 23, 24, 25, 26, 30, 31,
    32, 33, 34, 35, 36, 37, 38, 39, 40, 50, 51, 52, 60, 61, 62, 63, 64, 65, 66, 67, 68, 69};
inline constexpr size_t kEventTypeCount = sizeof(kEventTypes) / sizeof(kEventTypes[0]);

}  // namespace ncc::fuzz
