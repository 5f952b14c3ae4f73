#include "auth/permissions.h"

#include <array>

namespace ncc::auth {
namespace {

constexpr uint8_t Bit(Role r) {
  return static_cast<uint8_t>(1u << static_cast<unsigned>(r));
}
constexpr uint8_t CT = Bit(Role::kCallTaker);
constexpr uint8_t DI = Bit(Role::kDispatcher);
constexpr uint8_t SU = Bit(Role::kSupervisor);
constexpr uint8_t LI = Bit(Role::kAgencyLiaison);
constexpr uint8_t AN = Bit(Role::kAnalyst);
constexpr uint8_t FU = Bit(Role::kFieldUnit);
constexpr uint8_t AD = Bit(Role::kAdmin);

constexpr std::array<std::string_view, kRoleCount> kRoleNames = {
    "call_taker", "dispatcher", "supervisor", "agency_liaison", "analyst", "field_unit", "admin"};

// THE table. Least privilege: admin manages people and agencies but reads no operational data;
// supervisor is the operational superset. Sharing lets a partner agency read, annotate and send
// its own units, never change another agency's incident or unit status.
// Keep in step with the table in docs/security.md (auth_permissions_test checks).
constexpr std::array<ActionRule, kActionCount> kRules = {{
    {Action::kIncidentCreate, "incident.create", CT | DI | SU, false, Lane::kNone},
    {Action::kIncidentRead, "incident.read", CT | DI | SU | LI | AN | FU, true, Lane::kNone},
    {Action::kIncidentUpdateStatus, "incident.update_status", DI | SU, false, Lane::kNone},
    {Action::kIncidentNote, "incident.note", CT | DI | SU | LI | FU, true, Lane::kNone},
    {Action::kIncidentAssign, "incident.assign", DI | SU, true, Lane::kNone},
    {Action::kUnitRegister, "unit.register", SU | AD, false, Lane::kNone},
    {Action::kUnitRead, "unit.read", CT | DI | SU | LI | AN | FU | AD, true, Lane::kNone},
    {Action::kUnitUpdateStatus, "unit.update_status", DI | SU | FU, false, Lane::kNone},
    {Action::kPositionReport, "position.report", FU, false, Lane::kPositions},
    {Action::kAlarmReport, "alarm.report", 0, false, Lane::kAlarms},
    {Action::kCotIngest, "cot.ingest", 0, false, Lane::kCot},
    {Action::kEventRead, "event.read", CT | DI | SU | LI | AN | FU, true, Lane::kNone},
    {Action::kStreamSubscribe, "stream.subscribe", CT | DI | SU | LI | FU, false, Lane::kNone},
    {Action::kExportRead, "export.read", SU | AN, true, Lane::kNone},
    {Action::kUserManage, "user.manage", AD, false, Lane::kNone},
    {Action::kAuditRead, "audit.read", SU | AD, false, Lane::kNone},
    {Action::kAgencyManage, "agency.manage", AD, false, Lane::kNone},
    {Action::kIncidentSplit, "incident.split", DI | SU, false, Lane::kNone},
    {Action::kWatchlistRead, "watchlist.read", DI | SU | AN, false, Lane::kNone},
    {Action::kWatchlistManage, "watchlist.manage", SU, false, Lane::kNone},
    {Action::kRecordClassify, "record.classify", SU, false, Lane::kNone},
    {Action::kWebhookManage, "webhook.manage", SU | AD, false, Lane::kNone},
    // Operation plans (docs/plans.md): partners read the plans they take part in, approve
    // them for their own agency and work their own tasks; the lead agency edits and runs it.
    {Action::kPlanRead, "plan.read", CT | DI | SU | LI | AN | FU, true, Lane::kNone},
    {Action::kPlanEdit, "plan.edit", SU | LI, false, Lane::kNone},
    {Action::kPlanApprove, "plan.approve", SU, true, Lane::kNone},
    {Action::kPlanRun, "plan.run", SU, false, Lane::kNone},
    {Action::kPlanTask, "plan.task", DI | SU | LI | FU, true, Lane::kNone},
    // Situation reports (docs/plans.md): written and approved in the author's agency, read by
    // the agencies it is shared with.
    {Action::kSitRepRead, "sitrep.read", CT | DI | SU | LI | AN | FU, true, Lane::kNone},
    {Action::kSitRepWrite, "sitrep.write", SU | LI, false, Lane::kNone},
    {Action::kSitRepApprove, "sitrep.approve", SU, false, Lane::kNone},
    // Public warnings (CAP out, docs/exchange.md): a supervisor's call; public once issued,
    // so every operational role reads them (the CAP documents and their feed need no sign-in).
    {Action::kWarningIssue, "warning.issue", SU, false, Lane::kNone},
    {Action::kWarningRead, "warning.read", CT | DI | SU | LI | AN | FU, false, Lane::kNone},
    // Channels (docs/plans.md "Channels"): read and posted in as the incident's messages are,
    // by the agencies of the channel's subject (partners through the share).
    {Action::kChannelRead, "channel.read", CT | DI | SU | LI | AN | FU, true, Lane::kNone},
    {Action::kChannelPost, "channel.post", CT | DI | SU | LI | FU, true, Lane::kNone},
}};

// The array is indexed by Action; fail the build if a row is out of place.
constexpr bool RowsInOrder() {
  for (size_t i = 0; i < kRules.size(); ++i)
    if (static_cast<size_t>(kRules[i].action) != i) return false;
  return true;
}
static_assert(RowsInOrder(), "kRules rows must follow the Action enum order");

}  // namespace

std::span<const ActionRule> Rules() {
  return kRules;
}
const ActionRule& RuleOf(Action a) {
  return kRules[static_cast<size_t>(a)];
}
bool Grants(Role role, Action action) {
  return (RuleOf(action).roles & Bit(role)) != 0;
}

std::string_view Name(Role r) {
  return kRoleNames[static_cast<size_t>(r)];
}
std::string_view Name(Action a) {
  return RuleOf(a).name;
}
std::string_view Name(Lane l) {
  switch (l) {
    case Lane::kPositions:
      return "positions";
    case Lane::kAlarms:
      return "alarms";
    case Lane::kCot:
      return "cot";
    case Lane::kNone:
      break;
  }
  return "";
}

std::optional<Role> ParseRole(std::string_view name) {
  for (size_t i = 0; i < kRoleNames.size(); ++i)
    if (kRoleNames[i] == name) return static_cast<Role>(i);
  return std::nullopt;
}
std::optional<Action> ParseAction(std::string_view name) {
  for (const ActionRule& r : kRules)
    if (r.name == name) return r.action;
  return std::nullopt;
}
std::optional<Lane> ParseLane(std::string_view name) {
  for (Lane l : {Lane::kPositions, Lane::kAlarms, Lane::kCot})
    if (Name(l) == name) return l;
  return std::nullopt;
}

}  // namespace ncc::auth
