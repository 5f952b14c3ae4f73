#include "correlate/correlator.h"

#include <algorithm>
#include <set>

namespace ncc::correlate {

const char* DecisionKindName(DecisionKind k) {
  switch (k) {
    case DecisionKind::kNewGroup:
      return "new_group";
    case DecisionKind::kMerged:
      return "merged";
    case DecisionKind::kPriorityChanged:
      return "priority_changed";
    case DecisionKind::kSplit:
      return "split";
  }
  return "unknown";
}

Correlator::Correlator(Rules rules)
    : rules_(std::move(rules)),
      max_window_ms_(rules_.MaxWindowMs()),
      max_distance_m_(rules_.MaxDistanceM()),
      open_(max_distance_m_) {}

void Correlator::Refresh(AlarmGroup& g, bool report, std::vector<Decision>& out) {
  std::set<std::pair<std::string, std::string>> sources;
  int base = 5;
  g.first = g.alarms.front().time;
  g.last = g.alarms.front().time;
  g.bounds = geo::Bbox{};
  for (const Alarm& a : g.alarms) {
    g.bounds.Extend(a.location);
    // Without a sensor (a phone call, a manual report) each alarm stands on its own.
    sources.emplace(a.source, a.sensor.empty() ? "#" + a.id : a.sensor);
    base =
        std::min(base, a.priority >= 1 ? a.priority : rules_.priority[static_cast<size_t>(a.kind)]);
    g.first = std::min(g.first, a.time);
    g.last = std::max(g.last, a.time);
  }
  g.independent_sources = sources.size();
  g.base_priority = base;
  int before = g.priority;
  g.priority = std::max(1, base - rules_.RaiseFor(sources.size()));
  if (report && g.priority != before)
    out.push_back({DecisionKind::kPriorityChanged, g.id, {}, {}, g.priority, before, 0});
}

StatusOr<std::vector<Decision>> Correlator::Ingest(const Alarm& alarm) {
  NCC_RETURN_IF_ERROR(ValidateLatLon(alarm.location, "location"));
  if (alarm.id.empty()) return InvalidArgument("alarm id must not be empty", "id");
  if (group_of_alarm_.count({alarm.owner, alarm.id}))
    return InvalidArgument("alarm id already seen", "id");
  newest_ms_ = std::max(newest_ms_, alarm.time.ms);
  open_.CloseBefore(newest_ms_ - max_window_ms_);

  // A box around the alarm that holds every point within max_distance_m_: groups whose alarms
  // all lie outside it cannot match, so an alarm storm costs per nearby group, not per group.
  double margin_lat = max_distance_m_ / 111000.0;
  double c = std::cos(std::min(89.0, std::abs(alarm.location.lat) + margin_lat) * M_PI / 180);
  geo::Bbox reach;
  reach.min_lat = alarm.location.lat - margin_lat;
  reach.max_lat = alarm.location.lat + margin_lat;
  reach.min_lon = alarm.location.lon - margin_lat / c;
  reach.max_lon = alarm.location.lon + margin_lat / c;
  GroupId best;
  double best_m = 0;
  for (GroupId id : open_.Near(reach)) {
    const AlarmGroup& g = groups_.at(id);
    if (!g.bounds.Intersects(reach)) continue;
    for (const Alarm& m : g.alarms) {
      const PairRule& rule = rules_.Pair(alarm.kind, m.kind);
      double d = DistanceMeters(alarm.location, m.location);
      int64_t dt = std::abs(alarm.time.ms - m.time.ms);
      bool same_sensor = !alarm.sensor.empty() && alarm.sensor == m.sensor &&
                         alarm.source == m.source && alarm.kind == m.kind;
      // Two plate hits are one incident only when they are the same vehicle.
      bool other_vehicle = alarm.kind == AlarmKind::kLprHit && m.kind == AlarmKind::kLprHit &&
                           alarm.plate != m.plate;
      bool fits =
          alarm.agency == m.agency &&
          ((rule.compatible && !other_vehicle && d <= rule.distance_m && dt <= rule.window_ms) ||
           (same_sensor && !other_vehicle && dt <= rules_.dedupe_window_ms));
      // Strictly nearer wins; Near() is in group order, so ties go to the older group.
      if (fits && (!best || d < best_m)) {
        best = id;
        best_m = d;
      }
    }
  }

  std::vector<Decision> out;
  AlarmGroup* g;
  if (best) {
    g = &groups_.at(best);
    g->alarms.push_back(alarm);
    out.push_back({DecisionKind::kMerged, best, alarm.id, {}, 0, 0, best_m});
  } else {
    GroupId id{next_group_++};
    g = &groups_[id];
    g->id = id;
    g->alarms.push_back(alarm);
    out.push_back({DecisionKind::kNewGroup, id, alarm.id, {}, 0, 0, 0});
  }
  group_of_alarm_[{alarm.owner, alarm.id}] = g->id;
  bool is_new = !best;
  Refresh(*g, !is_new, out);
  open_.Upsert(g->id, g->bounds, g->last.ms);
  out.front().priority = g->priority;
  return out;
}

StatusOr<std::vector<Decision>> Correlator::Split(GroupId group,
                                                  std::span<const std::string> alarm_ids) {
  auto it = groups_.find(group);
  if (it == groups_.end()) return NotFound("no such alarm group", "group");
  AlarmGroup& from = it->second;
  std::set<std::string> move(alarm_ids.begin(), alarm_ids.end());
  if (move.empty()) return InvalidArgument("name at least one alarm to split out", "alarms");
  const std::string owner = from.alarms.empty() ? std::string() : from.alarms.front().owner;
  for (const std::string& id : move) {
    auto g = group_of_alarm_.find({owner, id});
    if (g == group_of_alarm_.end() || g->second != group)
      return NotFound("alarm " + id + " is not in group " + std::to_string(group.value), "alarms");
  }
  if (move.size() == from.alarms.size())
    return InvalidArgument("a split must leave at least one alarm behind", "alarms");
  GroupId id{next_group_++};
  AlarmGroup& to = groups_[id];
  to.id = id;
  to.split_from = group;
  std::vector<Alarm> keep;
  for (Alarm& a : from.alarms) (move.count(a.id) ? to.alarms : keep).push_back(std::move(a));
  from.alarms = std::move(keep);
  for (const Alarm& a : to.alarms) group_of_alarm_[{a.owner, a.id}] = id;
  std::vector<Decision> out;
  out.push_back({DecisionKind::kSplit, id, {}, group, 0, 0, 0});
  Refresh(from, true, out);
  Refresh(to, false, out);
  out.front().priority = to.priority;
  // The new group may take alarms while its newest alarm is recent enough.
  if (open_.IsOpen(group)) open_.Upsert(group, from.bounds, from.last.ms);
  if (newest_ms_ - to.last.ms <= max_window_ms_) open_.Upsert(id, to.bounds, to.last.ms);
  return out;
}

Status Correlator::Restore(GroupId id, std::vector<Alarm> alarms, GroupId split_from) {
  if (!id) return InvalidArgument("group id must not be 0", "group");
  if (alarms.empty()) return InvalidArgument("a group needs at least one alarm", "alarms");
  if (groups_.count(id)) return InvalidArgument("group already restored", "group");
  for (const Alarm& a : alarms)
    if (group_of_alarm_.count({a.owner, a.id}))
      return InvalidArgument("alarm id already seen", "id");
  AlarmGroup& g = groups_[id];
  g.id = id;
  g.split_from = split_from;
  g.alarms = std::move(alarms);
  for (const Alarm& a : g.alarms) {
    group_of_alarm_[{a.owner, a.id}] = id;
    newest_ms_ = std::max(newest_ms_, a.time.ms);
  }
  std::vector<Decision> ignored;
  Refresh(g, false, ignored);
  next_group_ = std::max(next_group_, id.value + 1);
  open_.Upsert(id, g.bounds, g.last.ms);
  open_.CloseBefore(newest_ms_ - max_window_ms_);
  return Status::Ok();
}

size_t Correlator::ForgetBefore(Time before) {
  size_t n = 0;
  for (auto it = groups_.begin(); it != groups_.end();) {
    const AlarmGroup& g = it->second;
    bool open = open_.IsOpen(g.id);
    if (!open && g.last < before) {
      for (const Alarm& a : g.alarms) group_of_alarm_.erase({a.owner, a.id});
      it = groups_.erase(it);
      ++n;
    } else {
      ++it;
    }
  }
  return n;
}

const AlarmGroup* Correlator::Find(GroupId id) const {
  auto it = groups_.find(id);
  return it == groups_.end() ? nullptr : &it->second;
}

const AlarmGroup* Correlator::GroupOf(const std::string& owner, const std::string& alarm_id) const {
  auto it = group_of_alarm_.find({owner, alarm_id});
  return it == group_of_alarm_.end() ? nullptr : Find(it->second);
}

}  // namespace ncc::correlate
