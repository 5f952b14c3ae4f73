// Roles and actions as data: one table (permissions.cc) says which role grants which action,
// whether the action may be used on a record another agency shared with yours, and which
// gateway lane (API key) may perform it. docs/security.md renders the same table; a test keeps
// the two identical. Pure functions over constant data: any thread may call them.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace ncc::auth {

// Stored on disk by name (never by number), so the order here may change.
enum class Role : uint8_t {
  kCallTaker,
  kDispatcher,
  kSupervisor,
  kAgencyLiaison,
  kAnalyst,
  kFieldUnit,
  kAdmin,
};
inline constexpr int kRoleCount = 7;

enum class Action : uint8_t {
  kIncidentCreate,
  kIncidentRead,
  kIncidentUpdateStatus,
  kIncidentNote,
  kIncidentAssign,
  kUnitRegister,
  kUnitRead,
  kUnitUpdateStatus,
  kPositionReport,
  kAlarmReport,
  kCotIngest,
  kEventRead,
  kStreamSubscribe,
  kExportRead,
  kUserManage,
  kAuditRead,
  kAgencyManage,
  kIncidentSplit,
  kWatchlistRead,
  kWatchlistManage,
  kRecordClassify,
  kWebhookManage,
  kPlanRead,
  kPlanEdit,
  kPlanApprove,
  kPlanRun,
  kPlanTask,
  kSitRepRead,
  kSitRepWrite,
  kSitRepApprove,
  kWarningIssue,
  kWarningRead,
  kChannelRead,
  kChannelPost,
};
inline constexpr int kActionCount = 34;

// Gateways and sensors authenticate with API keys that carry lanes instead of roles.
enum class Lane : uint8_t { kNone, kPositions, kAlarms, kCot };

// One row of the table.
struct ActionRule {
  Action action;
  std::string_view name;  // "incident.assign"
  uint8_t roles;          // bit i set = Role(i) grants the action
  bool via_share;         // usable on a record shared with (not owned by) the agency
  Lane lane;              // the gateway lane that may perform it, kNone for none
};

std::span<const ActionRule> Rules();
const ActionRule& RuleOf(Action a);
bool Grants(Role role, Action action);

std::string_view Name(Role r);
std::string_view Name(Action a);
std::string_view Name(Lane l);
std::optional<Role> ParseRole(std::string_view name);
std::optional<Action> ParseAction(std::string_view name);
std::optional<Lane> ParseLane(std::string_view name);

}  // namespace ncc::auth
