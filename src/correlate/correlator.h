// Alarm correlation: decides, alarm by alarm, whether it opens a new incident group or joins an
// existing one (every source stays attached), escalates a group's priority when enough
// independent sources confirm it, and lets an operator split alarms out of a group.
//
// Deterministic and pure: time comes only from the alarms, groups are numbered 1, 2, ... in the
// order they are opened, and ties are broken by group number; the same alarms give the same
// decisions. Linking is single-link: an alarm joins a group if it is compatible with any alarm
// already in it (Rules::Pair; two lpr_hit alarms also need the same plate). When several groups
// qualify it joins the one with the nearest compatible alarm; groups are never fused automatically
// (that is an operator's call). A group stops taking alarms once the newest alarm seen is more than
// Rules::MaxWindowMs() past the group's last alarm; alarms arriving later than that out of order
// open a new group.
//
// Thread: one thread (the core's writer); no internal locking.
#pragma once

#include <map>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "correlate/alarm.h"
#include "correlate/open_groups.h"
#include "correlate/rules.h"
#include "geo/polygon.h"

namespace ncc::correlate {

struct AlarmGroup {
  GroupId id;
  std::vector<Alarm> alarms;       // in arrival order
  size_t independent_sources = 0;  // distinct (source, sensor) pairs; a call is its own source
  int base_priority = 5;           // most urgent kind among the alarms
  int priority = 5;                // after escalation; 1 is most urgent
  Time first, last;
  geo::Bbox bounds;    // of the alarms' locations
  GroupId split_from;  // set on groups made by Split
};

enum class DecisionKind : uint8_t {
  kNewGroup,         // the alarm opened `group`
  kMerged,           // the alarm joined `group`
  kPriorityChanged,  // `group` went from previous_priority to priority
  kSplit,            // `group` was made from alarms taken out of `from_group`
};
const char* DecisionKindName(DecisionKind k);

struct Decision {
  DecisionKind kind;
  GroupId group;
  std::string alarm_id;  // kNewGroup, kMerged
  GroupId from_group;    // kSplit
  int priority = 0;
  int previous_priority = 0;  // kPriorityChanged
  double meters = 0;          // kMerged: distance to the nearest compatible alarm in the group
};

class Correlator {
 public:
  explicit Correlator(Rules rules);

  // Correlates one alarm: a kNewGroup or kMerged decision, then kPriorityChanged if the group's
  // priority moved. InvalidArgument for a bad location or a reused alarm id.
  StatusOr<std::vector<Decision>> Ingest(const Alarm& alarm);

  // Operator split: moves `alarm_ids` out of `group` into a new group (kSplit, then
  // kPriorityChanged for either group whose priority moved). NotFound for an unknown group or an
  // alarm not in it; InvalidArgument if nothing or everything would move.
  StatusOr<std::vector<Decision>> Split(GroupId group, std::span<const std::string> alarm_ids);

  // Rebuilds a group from the event log after a restart: `alarms` in arrival order. The group
  // is open if its last alarm is within the rules' window of the newest alarm restored or seen.
  // Later new groups are numbered above every restored id. InvalidArgument for an empty group,
  // a used id or a reused alarm id.
  Status Restore(GroupId id, std::vector<Alarm> alarms, GroupId split_from = GroupId());
  // The group's incident was closed: it takes no more alarms (it stays findable).
  void Close(GroupId id) { open_.Close(id); }
  bool IsOpen(GroupId id) const { return open_.IsOpen(id); }

  // Drops groups that can no longer take alarms and whose last alarm is before `before` (the
  // incident record lives on in the event log); returns how many. Keeps memory bounded.
  size_t ForgetBefore(Time before);

  const AlarmGroup* Find(GroupId id) const;
  // The group holding the alarm `alarm_id` of `owner` (Alarm::owner), or null.
  const AlarmGroup* GroupOf(const std::string& owner, const std::string& alarm_id) const;
  const std::map<GroupId, AlarmGroup>& groups() const { return groups_; }

 private:
  // Recomputes sources and priority; appends kPriorityChanged if it moved and `report`.
  void Refresh(AlarmGroup& g, bool report, std::vector<Decision>& out);

  Rules rules_;
  int64_t max_window_ms_;
  double max_distance_m_;
  std::map<GroupId, AlarmGroup> groups_;
  OpenGroups open_;  // groups that may still take alarms
  std::map<std::pair<std::string, std::string>, GroupId> group_of_alarm_;  // (owner, id)
  uint64_t next_group_ = 1;
  int64_t newest_ms_ = INT64_MIN;
};

}  // namespace ncc::correlate
