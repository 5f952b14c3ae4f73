#include "auth/authorize.h"

#include <algorithm>

namespace ncc::auth {
namespace {

enum class Verdict : uint8_t {
  kAllowed,
  kNoRelation,       // record is another agency's and not shared with any of the principal's
  kShareNotEnough,   // related only through a share, and the action needs ownership
  kRoleMissing,      // related, but no role there grants the action
  kClearanceTooLow,  // everything else fine, classification above clearance
  kLaneMissing,      // gateway without the action's lane
  kGatewayForeign,   // gateway acting on another agency's record
};

bool GrantsIn(const Principal& who, const std::string& agency, Action action) {
  return std::any_of(who.roles.begin(), who.roles.end(), [&](const RoleGrant& g) {
    return g.agency == agency && Grants(g.role, action);
  });
}

Verdict DecideGateway(const Principal& who, Action action, const RecordLabel* record) {
  const Lane lane = RuleOf(action).lane;
  if (lane == Lane::kNone || std::find(who.lanes.begin(), who.lanes.end(), lane) == who.lanes.end())
    return Verdict::kLaneMissing;
  if (record == nullptr) return Verdict::kAllowed;
  if (record->agency != who.agency) return Verdict::kGatewayForeign;
  if (who.clearance < record->classification) return Verdict::kClearanceTooLow;
  return Verdict::kAllowed;
}

}  // namespace

bool HoldsAnywhere(const Principal& who, Action action) {
  if (who.kind == Principal::Kind::kGateway) {
    const Lane lane = RuleOf(action).lane;
    return lane != Lane::kNone &&
           std::find(who.lanes.begin(), who.lanes.end(), lane) != who.lanes.end();
  }
  return std::any_of(who.roles.begin(), who.roles.end(),
                     [&](const RoleGrant& g) { return Grants(g.role, action); });
}

namespace {

Verdict Decide(const Principal& who, Action action, const RecordLabel* record) {
  if (who.kind == Principal::Kind::kGateway) return DecideGateway(who, action, record);
  if (record == nullptr)
    return GrantsIn(who, who.agency, action) ? Verdict::kAllowed : Verdict::kRoleMissing;

  const bool via_share = RuleOf(action).via_share;
  bool related = who.HoldsAnyRoleIn(record->agency);
  bool granted = GrantsIn(who, record->agency, action);
  bool shared_related = false;
  for (const std::string& a : record->shared_with) {
    if (!who.HoldsAnyRoleIn(a)) continue;
    shared_related = true;
    if (via_share && GrantsIn(who, a, action)) granted = true;
  }
  if (!related && !shared_related) return Verdict::kNoRelation;
  if (!granted) {
    // Only linked through a share, and a role there would grant the action were it owned.
    if (!related && !via_share) {
      for (const std::string& a : record->shared_with)
        if (GrantsIn(who, a, action)) return Verdict::kShareNotEnough;
    }
    return Verdict::kRoleMissing;
  }
  if (who.clearance < record->classification) return Verdict::kClearanceTooLow;
  return Verdict::kAllowed;
}

}  // namespace

bool Principal::Holds(const std::string& in_agency, Role role) const {
  return std::find(roles.begin(), roles.end(), RoleGrant{in_agency, role}) != roles.end();
}

bool Principal::HoldsAnyRoleIn(const std::string& in_agency) const {
  return std::any_of(roles.begin(), roles.end(),
                     [&](const RoleGrant& g) { return g.agency == in_agency; });
}

Status Authorize(const Principal& who, Action action, const RecordLabel* record) {
  const std::string act(Name(action));
  switch (Decide(who, action, record)) {
    case Verdict::kAllowed:
      return Status::Ok();
    case Verdict::kNoRelation:
      return {StatusCode::kPermissionDenied,
              act + ": the record belongs to another agency and is not shared with yours"};
    case Verdict::kShareNotEnough:
      return {StatusCode::kPermissionDenied,
              act +
                  " is reserved to the owning agency; a shared record allows reading, notes "
                  "and assigning your own units"};
    case Verdict::kRoleMissing:
      return {StatusCode::kPermissionDenied,
              act + ": none of your roles in the agencies concerned grants it"};
    case Verdict::kClearanceTooLow:
      return {StatusCode::kPermissionDenied, act + ": your clearance (" +
                                                 std::string(Name(who.clearance)) +
                                                 ") is below the record's classification"};
    case Verdict::kLaneMissing:
      return {StatusCode::kPermissionDenied, act + ": this API key has no lane for it"};
    case Verdict::kGatewayForeign:
      return {StatusCode::kPermissionDenied,
              act + ": an API key acts only on its own agency's records"};
  }
  return Internal("authorize: unknown verdict");
}

bool CanSee(const Principal& who, const RecordLabel& record, Action read_action) {
  return Decide(who, read_action, &record) == Verdict::kAllowed;
}

std::string FormatRoles(const std::vector<RoleGrant>& roles) {
  std::string out;
  for (const RoleGrant& g : roles) {
    if (!out.empty()) out += ',';
    out += g.agency;
    out += ':';
    out += Name(g.role);
  }
  return out;
}

StatusOr<std::vector<RoleGrant>> ParseRoles(std::string_view text, const std::string& home) {
  std::vector<RoleGrant> out;
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    if (item.empty()) continue;
    std::string agency = home;
    size_t colon = item.find(':');
    if (colon != std::string_view::npos) {
      agency = std::string(item.substr(0, colon));
      item = item.substr(colon + 1);
    }
    std::optional<Role> role = ParseRole(item);
    if (!role) return InvalidArgument("unknown role '" + std::string(item) + "'", "role");
    if (agency.empty()) return InvalidArgument("role without an agency", "role");
    RoleGrant g{agency, *role};
    if (std::find(out.begin(), out.end(), g) == out.end()) out.push_back(std::move(g));
  }
  return out;
}

Status CheckOwnUnit(const Principal& who, std::string_view unit_agency,
                    std::string_view unit_callsign) {
  if (who.kind == Principal::Kind::kGateway) return Status::Ok();
  std::string agency(unit_agency);
  if (who.Holds(agency, Role::kDispatcher) || who.Holds(agency, Role::kSupervisor))
    return Status::Ok();
  if (who.user == unit_callsign) return Status::Ok();
  return {StatusCode::kPermissionDenied,
          "a field account may change only its own unit (" + who.user + ")", "id"};
}

}  // namespace ncc::auth
