// The one authorization decision for every read and write, and the labels it decides on.
// Pure functions over their arguments: any thread may call them.
//
// A user may perform `action` on a record only if
//   (1) one of their roles, held in the record's owning agency, grants the action, OR the record
//       is shared with an agency where they hold a role granting it and the action is usable on
//       shared records (the via_share column of the table); AND
//   (2) their clearance is at least the record's classification.
// A gateway (API key) holds lanes instead of roles: it may perform an action only if the
// action's lane is one of its lanes, on records of its own agency, within its clearance.
// With no record (record == nullptr) the roles held in the principal's home agency decide, so
// a caller that acts on another agency's data must pass that data's label.
#pragma once

#include <string>
#include <vector>

#include "auth/permissions.h"
#include "core/lifecycle.h"
#include "core/status.h"

namespace ncc::auth {

struct RoleGrant {
  std::string agency;  // a liaison may hold a role in an agency other than their own
  Role role = Role::kCallTaker;
  bool operator==(const RoleGrant&) const = default;
};

// Who is asking: a person logged in with a password, or a gateway with an API key.
struct Principal {
  enum class Kind : uint8_t { kUser, kGateway };
  Kind kind = Kind::kUser;
  std::string user;    // username, or the API key's name for a gateway
  std::string agency;  // home agency
  std::vector<RoleGrant> roles;
  Classification clearance = Classification::kPublic;
  std::vector<Lane> lanes;  // gateways only

  bool Holds(const std::string& in_agency, Role role) const;
  bool HoldsAnyRoleIn(const std::string& in_agency) const;
};

// What a record carries so that access to it can be decided without reading its content.
struct RecordLabel {
  std::string agency;  // owning agency
  Classification classification = Classification::kRestricted;
  std::vector<std::string> shared_with;  // agencies the owner shared the record with
};

// OK, or kPermissionDenied naming what is missing (the role, the share, the clearance) without
// revealing anything of the record beyond the fact that access was refused.
Status Authorize(const Principal& who, Action action, const RecordLabel* record);

// The same decision without building a message, for filtering lists and live streams.
// `read_action` says which read right applies (event.read for the stream, incident.read for
// incident lists, unit.read for unit lists).
bool CanSee(const Principal& who, const RecordLabel& record,
            Action read_action = Action::kEventRead);

// Whether `who` holds `action` anywhere: a role granting it in some agency (a user), or the
// action's lane (a gateway). Necessary for acting on any record, whoever owns it; the router
// refuses a route's caller without it before any record is looked at (so the answer says
// nothing about records), and the record's label then decides with Authorize / CanSee.
bool HoldsAnywhere(const Principal& who, Action action);

// "police:dispatcher,ambulance:agency_liaison" <-> roles; a bare role means the home agency.
std::string FormatRoles(const std::vector<RoleGrant>& roles);
StatusOr<std::vector<RoleGrant>> ParseRoles(std::string_view text, const std::string& home);

// A person acting on a unit (its status, its position) needs to dispatch or supervise for the
// unit's agency, or to be the unit itself: a field account's username is its unit's callsign.
// Gateways (API keys) are not people and are not limited by this. kPermissionDenied naming "id".
Status CheckOwnUnit(const Principal& who, std::string_view unit_agency,
                    std::string_view unit_callsign);

}  // namespace ncc::auth
