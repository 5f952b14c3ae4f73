#include "core/world.h"

#include <openssl/sha.h>

#include <algorithm>

#include "core/codec.h"

namespace ncc {

const Agency* World::FindAgency(std::string_view code) const {
  auto it = agencies_.find(code);
  return it == agencies_.end() ? nullptr : &it->second;
}

const Incident* World::FindIncident(IncidentId id) const {
  return id.value >= 1 && id.value <= incidents_.size() ? &incidents_[id.value - 1] : nullptr;
}

const Unit* World::FindUnit(UnitId id) const {
  return id.value >= 1 && id.value <= units_.size() ? &units_[id.value - 1] : nullptr;
}

std::string World::ScopedKey(std::string_view agency, std::string_view id) {
  std::string key(agency);
  key += '/';
  key += id;
  return key;
}

const Unit* World::FindUnitByCallsign(std::string_view agency, std::string_view callsign) const {
  auto it = unit_by_callsign_.find(ScopedKey(agency, callsign));
  return it == unit_by_callsign_.end() ? nullptr : FindUnit(it->second);
}

IncidentId World::IncidentOfAlarm(std::string_view agency, const std::string& alarm_id) const {
  auto it = incident_of_alarm_.find(ScopedKey(agency, alarm_id));
  return it == incident_of_alarm_.end() ? IncidentId() : it->second;
}

const ResourceRequest* World::FindRequest(uint64_t id) const {
  return id >= 1 && id <= requests_.size() ? &requests_[id - 1] : nullptr;
}

const Message* World::FindMessage(uint64_t id) const {
  return id >= 1 && id <= messages_.size() ? &messages_[id - 1] : nullptr;
}

const std::vector<uint64_t>& World::MessagesOf(IncidentId incident) const {
  static const std::vector<uint64_t> kNone;
  auto it = messages_of_incident_.find(incident.value);
  return it == messages_of_incident_.end() ? kNone : it->second;
}

const std::vector<std::string>& World::ZonesOfAlarm(std::string_view agency,
                                                    const std::string& alarm_id) const {
  static const std::vector<std::string> kNone;
  auto it = alarm_zones_.find(ScopedKey(agency, alarm_id));
  return it == alarm_zones_.end() ? kNone : it->second;
}

Incident* World::MutableIncident(IncidentId id) {
  return FindIncident(id) ? &incidents_.Mutable(id.value - 1) : nullptr;
}

Unit* World::MutableUnit(UnitId id) {
  return FindUnit(id) ? &units_.Mutable(id.value - 1) : nullptr;
}

const OperationPlan* World::FindPlan(uint64_t id) const {
  return id >= 1 && id <= plans_.size() ? &plans_[id - 1] : nullptr;
}

const SitRep* World::FindSitRep(uint64_t id) const {
  return id >= 1 && id <= sitreps_.size() ? &sitreps_[id - 1] : nullptr;
}

const PublicWarning* World::FindWarning(uint64_t id) const {
  return id >= 1 && id <= warnings_.size() ? &warnings_[id - 1] : nullptr;
}

const Channel* World::FindChannel(uint64_t id) const {
  return id >= 1 && id <= channels_.size() ? &channels_[id - 1] : nullptr;
}

const Channel* World::FindChannelByName(std::string_view name) const {
  auto it = channel_by_name_.find(name);
  return it == channel_by_name_.end() ? nullptr : FindChannel(it->second);
}

const std::vector<uint64_t>& World::MessagesIn(const Channel& channel) const {
  return channel.kind == kChannelIncident ? MessagesOf(channel.incident) : channel.messages;
}

World::SubjectLabel World::LabelOfSubject(const Channel& c) const {
  if (c.kind == kChannelIncident) {
    const Incident* i = FindIncident(c.incident);
    return i ? SubjectLabel{i->agency, i->classification, i->shared_with} : SubjectLabel{};
  }
  if (c.kind == kChannelAgencies)
    return c.agencies.size() == 2
               ? SubjectLabel{c.agencies[0], Classification::kRestricted, {c.agencies[1]}}
               : SubjectLabel{};
  const OperationPlan* p = FindPlan(c.plan);
  return p ? SubjectLabel{p->agency, p->classification, p->agencies} : SubjectLabel{};
}

OperationPlan* World::MutablePlan(uint64_t id, const EventMeta& m) {
  if (!FindPlan(id)) return ++anomalies_, nullptr;
  OperationPlan* p = &plans_.Mutable(id - 1);
  p->seq = m.seq;
  return p;
}

void World::Apply(const Event& event) {
  std::visit([&](const auto& body) { On(event.meta, body); }, event.body);
  last_seq_ = event.meta.seq;
  ++applied_;
}

void World::On(const EventMeta&, const AgencyRegistered& e) {
  agencies_[e.agency.code] = e.agency;
}

void World::On(const EventMeta& m, const IncidentCreated& e) {
  if (e.id != NextIncidentId()) {
    ++anomalies_;
    return;
  }
  Incident& i = incidents_.emplace_back();
  i.id = e.id;
  i.type = e.type;
  i.priority = e.priority;
  i.location = e.location;
  i.address = e.address;
  i.landmark = e.landmark;
  i.summary = e.summary;
  i.agency = m.agency;
  i.classification = m.classification;
  i.created = i.updated = m.time;
  i.last_seq = m.seq;
  i.timeline.push_back({m.time, m.actor, "created", e.summary});
}

void World::On(const EventMeta& m, const IncidentStatusChanged& e) {
  Incident* i = MutableIncident(e.id);
  if (!i) return void(++anomalies_);
  i->status = e.to;
  i->updated = m.time;
  i->last_seq = m.seq;
  std::string text = std::string(Name(e.from)) + " -> " + std::string(Name(e.to));
  if (!e.note.empty()) text += ": " + e.note;
  i->timeline.push_back({m.time, m.actor, "status", std::move(text)});
}

void World::On(const EventMeta& m, const IncidentNoteAdded& e) {
  Incident* i = MutableIncident(e.id);
  if (!i) return void(++anomalies_);
  i->updated = m.time;
  i->last_seq = m.seq;
  i->timeline.push_back({m.time, m.actor, "note", e.text});
}

void World::On(const EventMeta& m, const UnitRegistered& e) {
  if (e.id != NextUnitId()) return void(++anomalies_);
  Unit& u = units_.emplace_back();
  u.id = e.id;
  u.callsign = e.callsign;
  u.agency = m.agency;
  u.kind = e.kind;
  u.capabilities = e.capabilities;
  u.station = e.station;
  u.position = e.position;
  if (e.position) u.position_time = m.time;
  u.updated = m.time;
  u.last_seq = m.seq;
  unit_by_callsign_[ScopedKey(u.agency, u.callsign)] = u.id;
}

void World::On(const EventMeta& m, const UnitStatusChanged& e) {
  Unit* u = MutableUnit(e.id);
  if (!u) return void(++anomalies_);
  u->status = e.to;
  u->updated = m.time;
  u->last_seq = m.seq;
  Incident* i = MutableIncident(e.incident);
  if (!i) return;  // a status change outside any assignment (e.g. out of service)
  for (Assignment& a : i->assignments) {
    if (a.unit != e.id || !a.active()) continue;
    switch (e.to) {
      case UnitStatus::kEnRoute:
        a.en_route = m.time;
        break;
      case UnitStatus::kOnScene:
        a.on_scene = m.time;
        break;
      case UnitStatus::kTransporting:
        a.transporting = m.time;
        break;
      case UnitStatus::kAtHospital:
        a.at_hospital = m.time;
        break;
      case UnitStatus::kAvailable:
      case UnitStatus::kOutOfService:
        a.cleared = m.time;
        break;
      case UnitStatus::kDispatched:
        break;
    }
  }
  if (!IsCommitted(e.to)) u->incident = IncidentId();
  i->updated = m.time;
  i->last_seq = m.seq;
  i->timeline.push_back({m.time, m.actor, "unit", u->callsign + " " + std::string(Name(e.to))});
}

void World::On(const EventMeta& m, const UnitAssigned& e) {
  Incident* i = MutableIncident(e.incident);
  Unit* u = MutableUnit(e.unit);
  if (!i || !u) return void(++anomalies_);
  Assignment& a = i->assignments.emplace_back();
  a.unit = e.unit;
  a.assigned = m.time;
  u->incident = e.incident;
  u->updated = m.time;
  u->last_seq = m.seq;
  i->updated = m.time;
  i->last_seq = m.seq;
  i->timeline.push_back({m.time, m.actor, "assignment", u->callsign + " assigned"});
}

void World::On(const EventMeta& m, const PositionsReported& e) {
  for (const PositionFix& f : e.fixes) {
    Unit* u = MutableUnit(f.unit);
    if (!u) {
      ++anomalies_;
      continue;
    }
    if (u->position && f.time < u->position_time) continue;  // an older fix never wins
    u->position = f.position;
    u->position_time = f.time;
    u->speed = f.speed;
    u->heading = f.heading;
    u->last_seq = m.seq;
  }
}

void World::On(const EventMeta& m, const UnitShared& e) {
  Unit* u = MutableUnit(e.id);
  if (!u) return void(++anomalies_);
  u->shared_with.push_back(e.agency);
  u->updated = m.time;
  u->last_seq = m.seq;
}

void World::On(const EventMeta& m, const IncidentShared& e) {
  Incident* i = MutableIncident(e.id);
  if (!i) return void(++anomalies_);
  i->shared_with.push_back(e.agency);
  i->updated = m.time;
  i->last_seq = m.seq;
  i->timeline.push_back({m.time, m.actor, "shared", "shared with " + e.agency});
}

void World::On(const EventMeta& m, const AlarmReceived& e) {
  Incident* i = MutableIncident(e.incident);
  if (!i || incident_of_alarm_.count(ScopedKey(i->agency, e.alarm.id))) return void(++anomalies_);
  i->sources.push_back(e.alarm);
  incident_of_alarm_[ScopedKey(i->agency, e.alarm.id)] = i->id;
  i->updated = m.time;
  i->last_seq = m.seq;
  std::string text = e.alarm.kind + " " + e.alarm.id + " from " + e.alarm.source;
  if (!e.alarm.sensor.empty()) text += " (" + e.alarm.sensor + ")";
  if (!e.opened) text += ", merged";
  i->timeline.push_back({m.time, m.actor, "alarm", std::move(text)});
}

void World::On(const EventMeta& m, const IncidentSplit& e) {
  Incident* from = MutableIncident(e.from);
  Incident* to = MutableIncident(e.to);
  if (!from || !to) return void(++anomalies_);
  std::vector<IncidentSource> keep;
  for (IncidentSource& s : from->sources) {
    if (std::find(e.sources.begin(), e.sources.end(), s.id) == e.sources.end()) {
      keep.push_back(std::move(s));
      continue;
    }
    incident_of_alarm_[ScopedKey(to->agency, s.id)] = to->id;
    to->sources.push_back(std::move(s));
  }
  from->sources = std::move(keep);
  to->split_from = from->id;
  for (Incident* i : {from, to}) {
    i->updated = m.time;
    i->last_seq = m.seq;
  }
  std::string moved;
  for (const std::string& id : e.sources) moved += (moved.empty() ? "" : ", ") + id;
  from->timeline.push_back(
      {m.time, m.actor, "split", moved + " split out to incident " + std::to_string(to->id.value)});
  to->timeline.push_back({m.time, m.actor, "split",
                          moved + " split out of incident " + std::to_string(from->id.value)});
}

void World::On(const EventMeta& m, const IncidentPriorityChanged& e) {
  Incident* i = MutableIncident(e.id);
  if (!i) return void(++anomalies_);
  i->priority = e.to;
  i->updated = m.time;
  i->last_seq = m.seq;
  i->timeline.push_back({m.time, m.actor, "priority",
                         std::to_string(e.from) + " -> " + std::to_string(e.to) +
                             (e.reason.empty() ? "" : ": " + e.reason)});
}

void World::On(const EventMeta& m, const WatchlistEntrySet& e) {
  watchlist_[{e.plate, m.agency}] = {e.plate,  e.entered,        e.list, e.reason,
                                     m.agency, m.classification, m.time, m.actor};
}

void World::On(const EventMeta& m, const WatchlistEntryRemoved& e) {
  if (!watchlist_.erase({e.plate, m.agency})) ++anomalies_;
}

void World::On(const EventMeta& m, const RecommendationMade& e) {
  Incident* i = MutableIncident(e.incident);
  if (!i) return void(++anomalies_);
  i->plan = e.plan;
  i->recommended.clear();
  for (const RecommendedUnit& r : e.units) i->recommended.push_back(r.unit);
  i->last_seq = m.seq;
}

void World::On(const EventMeta& m, const SlaEscalated& e) {
  Incident* i = MutableIncident(e.incident);
  if (!i) return void(++anomalies_);
  i->escalations.push_back(e.step);
  i->last_seq = m.seq;
  i->timeline.push_back(
      {m.time, m.actor, "escalation",
       e.step + " target of " + std::to_string(e.target_s) + " s missed; " + e.notify});
}

void World::On(const EventMeta& m, const ResourceRequested& e) {
  Incident* i = MutableIncident(e.incident);
  if (!i || e.id != NextRequestId()) return void(++anomalies_);
  ResourceRequest& r = requests_.emplace_back();
  r.id = e.id;
  r.incident = e.incident;
  r.from_agency = i->agency;
  r.to_agency = e.to_agency;
  r.kind = e.kind;
  r.count = e.count;
  r.reason = e.reason;
  r.deadline = e.deadline;
  r.created = m.time;
  i->last_seq = m.seq;
  i->timeline.push_back(
      {m.time, m.actor, "mutual_aid",
       "asked " + e.to_agency + " for " + std::to_string(e.count) + " " + e.kind});
}

void World::On(const EventMeta& m, const ResourceRequestAnswered& e) {
  if (e.id < 1 || e.id > requests_.size()) return void(++anomalies_);
  ResourceRequest& r = requests_.Mutable(e.id - 1);
  r.status = e.accepted ? "accepted" : "declined";
  r.answered = m.time;
  r.answered_by = m.actor;
  r.units = e.units;
  r.note = e.note;
  if (Incident* i = MutableIncident(r.incident)) {
    i->last_seq = m.seq;
    i->timeline.push_back({m.time, m.actor, "mutual_aid",
                           r.to_agency + " " + r.status + (e.note.empty() ? "" : ": " + e.note)});
  }
}

void World::On(const EventMeta&, const UnitStale& e) {
  Unit* u = MutableUnit(e.unit);
  if (!u) return void(++anomalies_);
  u->stale = e.stale;
}

void World::On(const EventMeta& m, const UnitReclassified& e) {
  Unit* u = MutableUnit(e.id);
  if (!u) return void(++anomalies_);
  u->classification = e.classification;
  u->updated = m.time;
  u->last_seq = m.seq;
}

void World::On(const EventMeta& m, const IncidentReclassified& e) {
  Incident* i = MutableIncident(e.id);
  if (!i) return void(++anomalies_);
  i->classification = e.classification;
  i->updated = m.time;
  i->last_seq = m.seq;
  i->timeline.push_back(
      {m.time, m.actor, "classification", "labelled " + std::string(Name(e.classification))});
}

void World::On(const EventMeta& m, const MessagePosted& e) {
  if (e.id != NextMessageId() || !FindIncident(e.incident)) return void(++anomalies_);
  messages_.push_back({e.id, e.incident, m.agency, e.classification, e.shared_with, m.actor, m.time,
                       e.text, m.seq});
  messages_of_incident_[e.incident.value].push_back(e.id);
}

void World::On(const EventMeta& m, const ChannelOpened& e) {
  if (e.id != NextChannelId() || channel_by_name_.count(e.name)) return void(++anomalies_);
  Channel& c = channels_.emplace_back();
  c.id = e.id;
  c.kind = e.kind;
  c.incident = e.incident;
  c.plan = e.plan;
  c.sector = e.sector;
  c.agencies = e.agencies;
  c.name = e.name;
  c.opened_by = m.actor;
  c.opened = m.time;
  c.seq = m.seq;
  channel_by_name_[c.name] = c.id;
}

void World::On(const EventMeta& m, const ChannelMessagePosted& e) {
  if (e.id != NextMessageId() || !FindChannel(e.channel)) return void(++anomalies_);
  Channel& c = channels_.Mutable(e.channel - 1);
  c.seq = m.seq;
  const bool incident = c.kind == kChannelIncident;
  messages_.push_back({e.id, incident ? c.incident : IncidentId(), m.agency, e.classification,
                       e.shared_with, m.actor, m.time, e.text, m.seq, e.channel, e.mentions});
  if (incident)
    messages_of_incident_[c.incident.value].push_back(e.id);
  else
    c.messages.push_back(e.id);
}

void World::AddReceipt(const EventMeta& m, uint64_t channel, std::string_view what,
                       uint64_t up_to) {
  if (!FindChannel(channel)) return void(++anomalies_);
  Channel& c = channels_.Mutable(channel - 1);
  c.receipts.push_back({m.actor, std::string(what), up_to, m.time});
  c.seq = m.seq;
}

void World::On(const EventMeta& m, const MessagesDelivered& e) {
  AddReceipt(m, e.channel, "delivered", e.up_to);
}

void World::On(const EventMeta& m, const MessagesRead& e) {
  AddReceipt(m, e.channel, "read", e.up_to);
}

void World::On(const EventMeta& m, const PlanDefined& e) {
  const OperationPlan* before = FindPlan(e.plan.id);
  if (!before && e.plan.id != NextPlanId()) return void(++anomalies_);
  OperationPlan p = e.plan;
  ResetPlanProgress(p);
  p.revision = before ? before->revision + 1 : 1;
  p.author = before ? before->author : m.actor;
  p.created = before ? before->created : m.time;
  p.updated = m.time;
  p.seq = m.seq;
  if (before)
    plans_.Mutable(p.id - 1) = std::move(p);
  else
    plans_.push_back(std::move(p));
}

void World::On(const EventMeta& m, const PlanApproved& e) {
  OperationPlan* p = MutablePlan(e.id, m);
  if (!p) return;
  p->approvals.push_back({m.agency, m.actor, m.time});
  for (const std::string& a : Participants(*p)) {
    auto approved = [&](const PlanApproval& x) { return x.agency == a; };
    if (std::none_of(p->approvals.begin(), p->approvals.end(), approved)) return;
  }
  p->status = "approved";
}

void World::On(const EventMeta& m, const PlanStatusChanged& e) {
  OperationPlan* p = MutablePlan(e.id, m);
  if (!p) return;
  p->status = e.to;
  (e.to == "active" ? p->activated : p->closed) = m.time;
}

void World::On(const EventMeta& m, const PlanPhaseChanged& e) {
  OperationPlan* p = MutablePlan(e.id, m);
  if (!p) return;
  for (PlanPhase& ph : p->phases)
    if (ph.id == e.phase) (e.to == "started" ? ph.started : ph.ended) = m.time;
}

void World::On(const EventMeta& m, const PlanTaskChanged& e) {
  OperationPlan* p = MutablePlan(e.id, m);
  PlanTask* t = p ? p->FindTask(e.task) : nullptr;
  if (!t) return void(p && ++anomalies_);
  t->status = e.to;
  if (e.to == "in_progress") {
    t->started = m.time;
    t->override_reason = e.reason;
  } else {
    t->finished = m.time;
  }
}

void World::On(const EventMeta& m, const PlanTaskChecked& e) {
  OperationPlan* p = MutablePlan(e.id, m);
  PlanTask* t = p ? p->FindTask(e.task) : nullptr;
  if (!t || e.item >= t->checklist.size()) return void(p && ++anomalies_);
  ChecklistItem& c = t->checklist[e.item];
  c.done = e.done;
  c.by = m.actor;
  c.at = m.time;
}

void World::On(const EventMeta& m, const DecisionPointFired& e) {
  OperationPlan* p = MutablePlan(e.id, m);
  if (!p) return;
  for (DecisionPoint& d : p->decision_points)
    if (d.id == e.point) {
      d.fired = m.time;
      d.fired_by = e.trigger_seq;
    }
  for (PlanTask& t : p->tasks)
    if (t.opened_by == e.point && t.status == "held") t.status = "planned";
}

void World::On(const EventMeta& m, const PlanTaskOverdue& e) {
  OperationPlan* p = MutablePlan(e.id, m);
  PlanTask* t = p ? p->FindTask(e.task) : nullptr;
  if (!t) return void(p && ++anomalies_);
  t->escalated = m.time;
}

void World::On(const EventMeta& m, const SitRepDrafted& e) {
  const SitRep* before = FindSitRep(e.report.id);
  if (!before && e.report.id != NextSitRepId()) return void(++anomalies_);
  SitRep r = e.report;
  r.status = "draft";
  r.revision = before ? before->revision + 1 : 1;
  r.agency = before ? before->agency : m.agency;
  r.author = before ? before->author : m.actor;
  r.created = before ? before->created : m.time;
  r.updated = m.time;
  r.approved_by.clear();
  r.approved = Time{};
  r.seq = m.seq;
  if (before)
    sitreps_.Mutable(r.id - 1) = std::move(r);
  else
    sitreps_.push_back(std::move(r));
}

void World::On(const EventMeta& m, const SitRepApproved& e) {
  if (!FindSitRep(e.id)) return void(++anomalies_);
  SitRep& r = sitreps_.Mutable(e.id - 1);
  r.status = "approved";
  r.approved_by = m.actor;
  r.approved = m.time;
  r.seq = m.seq;
}

void World::On(const EventMeta& m, const WarningIssued& e) {
  if (e.warning.id != NextWarningId()) return void(++anomalies_);
  PublicWarning w = e.warning;
  w.agency = m.agency;
  w.issued_by = m.actor;
  w.sent = m.time;
  w.state = "actual";
  w.replaced_by = 0;
  w.seq = m.seq;
  if (uint64_t ref = w.content.references) {
    if (!FindWarning(ref)) return void(++anomalies_);
    PublicWarning& before = warnings_.Mutable(ref - 1);
    before.state = w.content.msg_type == "Cancel" ? "cancelled" : "superseded";
    before.replaced_by = w.id;
  }
  warnings_.push_back(std::move(w));
}

void World::On(const EventMeta& m, const ZonesTagged& e) {
  Incident* i = MutableIncident(e.incident);
  if (!i) return void(++anomalies_);
  if (!e.alarm.empty()) {
    alarm_zones_[ScopedKey(i->agency, e.alarm)] = e.zones;
    return;
  }
  i->zones = e.zones;
  i->updated = m.time;
  i->last_seq = m.seq;
}

const CommandRecord* World::FindCommand(std::string_view actor, std::string_view command_id) const {
  auto it = commands_.find(CommandKey(actor, command_id));
  return it == commands_.end() ? nullptr : &it->second;
}

void World::On(const EventMeta& m, const CommandRecorded& e) {
  // Forget ids older than the retention, by event time: the same on every replay.
  while (!command_order_.empty()) {
    auto oldest = commands_.find(command_order_.front());
    if (oldest != commands_.end() && oldest->second.time.ms >= m.time.ms - kCommandIdRetentionMs)
      break;
    if (oldest != commands_.end()) commands_.erase(oldest);
    command_order_.pop_front();
  }
  CommandKey key(m.actor, e.command_id);
  auto [it, added] = commands_.try_emplace(key);
  if (!added) return void(++anomalies_);  // decide never records an id twice
  it->second = {e.request, e.created_id, e.events, e.rejected, m.seq, m.time};
  command_order_.push_back(std::move(key));
}

// Snapshot layout (all through BinaryWriter): version, last_seq, applied, anomalies,
// agencies, incidents, units, watchlist, resource requests. The callsign index is derived and
// rebuilt on load.
namespace {
// 2: incidents carry shared_with; 3: incidents carry sources and split_from, watchlist;
// 4: dispatch fields on incidents (plan, recommended, escalations), resource requests;
// 5: units carry shared_with; 6: units carry a classification and a stale flag, incidents their
// zones, messages
// and alarm zones follow the resource requests; 7: alarm zones keyed per agency ("agency/id");
// 8: command records (actor, id, record; oldest first) follow the alarm zones; 9: operation
// plans, then situation reports, follow the command records; 10: public warnings follow the
// situation reports; 11: messages carry their channel and mentions, channels follow the
// public warnings.
constexpr uint64_t kWorldFormatVersion = 11;
}  // namespace

std::string World::Serialize() const {
  std::string out;
  BinaryWriter w(out);
  w.Varint(kWorldFormatVersion);
  w.Varint(last_seq_.value);
  w.Varint(applied_);
  w.Varint(anomalies_);
  w.Varint(agencies_.size());
  for (const auto& [code, agency] : agencies_) w.Write(agency);
  w.Write(incidents_);
  w.Write(units_);
  w.Varint(watchlist_.size());
  for (const auto& [key, entry] : watchlist_) w.Write(entry);
  w.Write(requests_);
  w.Write(messages_);
  w.Varint(alarm_zones_.size());
  for (const auto& [alarm, zones] : alarm_zones_) {
    w.Bytes(alarm);
    w.Write(zones);
  }
  w.Varint(command_order_.size());
  for (const CommandKey& key : command_order_) {
    w.Bytes(key.first);
    w.Bytes(key.second);
    w.Write(commands_.at(key));
  }
  w.Write(plans_);
  w.Write(sitreps_);
  w.Write(warnings_);
  w.Write(channels_);
  return out;
}

StatusOr<World> World::Deserialize(std::string_view bytes) {
  BinaryReader r(bytes);
  World world;
  uint64_t version = r.Varint();
  if (r.ok() && version != kWorldFormatVersion)
    return DataLoss("snapshot format version " + std::to_string(version) +
                    " is not supported (expected " + std::to_string(kWorldFormatVersion) + ")");
  world.last_seq_ = Seq(r.Varint());
  world.applied_ = r.Varint();
  world.anomalies_ = r.Varint();
  uint64_t agencies = r.Varint();
  for (uint64_t i = 0; i < agencies && r.ok(); ++i) {
    Agency a;
    r.Read(a);
    world.agencies_[a.code] = std::move(a);
  }
  r.Read(world.incidents_);
  r.Read(world.units_);
  uint64_t watched = r.Varint();
  for (uint64_t i = 0; i < watched && r.ok(); ++i) {
    WatchlistEntry e;
    r.Read(e);
    world.watchlist_[{e.plate, e.agency}] = std::move(e);
  }
  r.Read(world.requests_);
  r.Read(world.messages_);
  uint64_t tagged = r.Varint();
  for (uint64_t i = 0; i < tagged && r.ok(); ++i) {
    std::string alarm;
    r.Read(alarm);
    r.Read(world.alarm_zones_[alarm]);
  }
  uint64_t commands = r.Varint();
  for (uint64_t i = 0; i < commands && r.ok(); ++i) {
    CommandKey key;
    r.Read(key.first);
    r.Read(key.second);
    CommandRecord record;
    r.Read(record);
    if (!world.commands_.emplace(key, std::move(record)).second)
      return DataLoss("snapshot names command " + key.second + " of " + key.first + " twice");
    world.command_order_.push_back(std::move(key));
  }
  r.Read(world.plans_);
  r.Read(world.sitreps_);
  r.Read(world.warnings_);
  r.Read(world.channels_);
  if (!r.ok()) return DataLoss("snapshot does not decode: " + r.error());
  if (!r.AtEnd()) return DataLoss("snapshot has trailing bytes");
  for (size_t i = 0; i < world.incidents_.size(); ++i) {
    if (world.incidents_[i].id.value != i + 1)
      return DataLoss("snapshot incident ids are not dense");
    for (const IncidentSource& s : world.incidents_[i].sources)
      world.incident_of_alarm_[ScopedKey(world.incidents_[i].agency, s.id)] =
          world.incidents_[i].id;
  }
  for (size_t i = 0; i < world.units_.size(); ++i) {
    if (world.units_[i].id.value != i + 1) return DataLoss("snapshot unit ids are not dense");
    world.unit_by_callsign_[ScopedKey(world.units_[i].agency, world.units_[i].callsign)] =
        world.units_[i].id;
  }
  for (size_t i = 0; i < world.messages_.size(); ++i) {
    const Message& m = world.messages_[i];
    if (m.id != i + 1) return DataLoss("snapshot message ids are not dense");
    if (m.incident.value) world.messages_of_incident_[m.incident.value].push_back(m.id);
  }
  for (size_t i = 0; i < world.plans_.size(); ++i)
    if (world.plans_[i].id != i + 1) return DataLoss("snapshot plan ids are not dense");
  for (size_t i = 0; i < world.sitreps_.size(); ++i)
    if (world.sitreps_[i].id != i + 1) return DataLoss("snapshot sitrep ids are not dense");
  for (size_t i = 0; i < world.warnings_.size(); ++i)
    if (world.warnings_[i].id != i + 1) return DataLoss("snapshot warning ids are not dense");
  for (size_t i = 0; i < world.channels_.size(); ++i) {
    if (world.channels_[i].id != i + 1) return DataLoss("snapshot channel ids are not dense");
    world.channel_by_name_[world.channels_[i].name] = world.channels_[i].id;
  }
  return world;
}

Hash World::Digest() const {
  std::string bytes = Serialize();
  Hash h;
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), h.data());
  return h;
}

uint64_t World::BytesBeyond(std::unordered_set<const void*>& held) const {
  // What a record's strings, timeline and lists hold besides the record itself: a guess.
  constexpr uint64_t kHeapPerRecord = 256, kPerIndexEntry = 96;
  uint64_t bytes = 0;
  auto chunks = [&](const auto& records) {
    using Record = typename std::decay_t<decltype(records)>::value_type;
    records.ForEachChunk([&](const void* id, size_t n) {
      if (held.insert(id).second) bytes += n * (sizeof(Record) + kHeapPerRecord);
    });
  };
  chunks(incidents_);
  chunks(units_);
  chunks(requests_);
  chunks(messages_);
  chunks(plans_);
  chunks(sitreps_);
  chunks(warnings_);
  chunks(channels_);
  // The indexes are copied whole with every copy of the World.
  bytes +=
      kPerIndexEntry * (unit_by_callsign_.size() + incident_of_alarm_.size() + watchlist_.size() +
                        messages_of_incident_.size() + alarm_zones_.size() + agencies_.size() +
                        2 * commands_.size() + channel_by_name_.size());
  return bytes;
}

}  // namespace ncc
