// Reading AVL fixes from JSON payloads (the MQTT lane, docs/formats/avl-lane.md). Untrusted
// input: every error names the field. Value ranges (lat/lon, time window, speed) are checked
// later by the lane, the same for every source.
//
// Thread: pure functions; any thread.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/events.h"
#include "core/status.h"

namespace ncc::monitor {

inline constexpr size_t kMaxFixesPerMessage = 10'000;
inline constexpr size_t kMaxMessageBytes = 4u << 20;

// One fix object {"lat","lon","time"[,"speed","heading"][,"unit"]}. `unit` comes from the topic
// when nonzero (then a "unit" member, if present, must agree). InvalidArgument naming the field
// (prefixed with `prefix`, e.g. "[3]").
StatusOr<PositionFix> ReadFixObject(const nlohmann::json& item, UnitId unit,
                                    const std::string& prefix = "");

// A payload: one fix object or an array of them. Fixes that fail are returned as rejections
// (index, field, message) and the rest still parse; a payload that is not JSON at all, or too
// large, is one error.
struct ParsedFixes {
  std::vector<PositionFix> fixes;
  std::vector<size_t> index;  // position of fixes[k] in the payload
  struct Bad {
    size_t index;
    std::string field;
    std::string message;
  };
  std::vector<Bad> bad;
};
StatusOr<ParsedFixes> ParseFixPayload(std::string_view payload, UnitId unit);

}  // namespace ncc::monitor
