// The two state machines of the field: incidents and units. Enum values are stored on disk
// and are never renumbered or reused.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/status.h"

namespace ncc {

enum class IncidentStatus : uint8_t {
  kNew = 0,
  kTriaged = 1,
  kDispatched = 2,
  kEnRoute = 3,
  kOnScene = 4,
  kResolved = 5,
  kClosed = 6,
  kCancelled = 7,
  kMerged = 8,
};
inline constexpr int kIncidentStatusCount = 9;

enum class UnitStatus : uint8_t {
  kAvailable = 0,
  kDispatched = 1,
  kEnRoute = 2,
  kOnScene = 3,
  kTransporting = 4,
  kAtHospital = 5,
  kOutOfService = 6,
};
inline constexpr int kUnitStatusCount = 7;

// Who may see a record. Ordered: a clearance sees its own level and every level below.
enum class Classification : uint8_t {
  kPublic = 0,
  kRestricted = 1,
  kConfidential = 2,
  kSecret = 3,
};
inline constexpr int kClassificationCount = 4;

std::string_view Name(IncidentStatus s);
std::string_view Name(UnitStatus s);
std::string_view Name(Classification c);
std::optional<IncidentStatus> ParseIncidentStatus(std::string_view name);
std::optional<UnitStatus> ParseUnitStatus(std::string_view name);
std::optional<Classification> ParseClassification(std::string_view name);

bool IsLegal(IncidentStatus from, IncidentStatus to);
bool IsLegal(UnitStatus from, UnitStatus to);
// An incident in a terminal state takes no more status changes, notes or assignments.
bool IsTerminal(IncidentStatus s);
// A unit on an incident (dispatched .. at_hospital) is committed and cannot be assigned again.
bool IsCommitted(UnitStatus s);

// OK, or kFailedPrecondition naming both states, e.g. "illegal incident transition new -> closed".
Status CheckTransition(IncidentStatus from, IncidentStatus to);
Status CheckTransition(UnitStatus from, UnitStatus to);

}  // namespace ncc
