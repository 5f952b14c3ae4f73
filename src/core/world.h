// World: the whole live state, changed only by Apply(event). Apply is deterministic: the same
// events in the same order give the same World, byte for byte (see Digest()).
//
// Threads: not synchronised. The engine's writer thread is the only one that calls Apply;
// readers hold the engine's shared lock (see engine/engine.h).
#pragma once

#include <deque>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/cow_vector.h"
#include "core/events.h"
#include "core/status.h"

namespace ncc {

// What the World remembers of a command sent with a command id (see CommandRecorded).
struct CommandRecord {
  std::string request;
  uint64_t created_id = 0;
  uint64_t events = 0;
  std::vector<RejectedItem> rejected;
  Seq seq;  // of the command_recorded event
  Time time;
  template <typename V>
  void Fields(V& v) {
    v("request", request);
    v("created_id", created_id);
    v("events", events);
    v("rejected", rejected);
    v("seq", seq);
    v("time", time);
  }
};

class World {
 public:
  void Apply(const Event& event);

  const Agency* FindAgency(std::string_view code) const;
  const Incident* FindIncident(IncidentId id) const;
  const Unit* FindUnit(UnitId id) const;
  // Callsigns are unique within an agency (two agencies may both have an "E-1").
  const Unit* FindUnitByCallsign(std::string_view agency, std::string_view callsign) const;
  const ResourceRequest* FindRequest(uint64_t id) const;
  const Message* FindMessage(uint64_t id) const;
  // Messages of one incident, oldest first (ids; look each up with FindMessage).
  const std::vector<uint64_t>& MessagesOf(IncidentId incident) const;
  uint64_t NextMessageId() const { return messages_.size() + 1; }
  // Channels (core/channel.h), by id (dense, from 1) and by name.
  const Channel* FindChannel(uint64_t id) const;
  const Channel* FindChannelByName(std::string_view name) const;
  const CowVector<Channel>& channels() const { return channels_; }
  uint64_t NextChannelId() const { return channels_.size() + 1; }
  // A channel's messages, oldest first: an incident channel's are its incident's (those posted
  // before channels existed too).
  const std::vector<uint64_t>& MessagesIn(const Channel& channel) const;
  // Who a channel's subject belongs to and what it is labelled now: the incident's owner, label
  // and share list; the plan's lead agency, label and participants (operation and sector); the
  // first of an agency pair, restricted, shared with the second. Empty agency when the subject
  // is gone (never, for a log written by decide).
  struct SubjectLabel {
    std::string agency;
    Classification classification = Classification::kRestricted;
    std::vector<std::string> shared_with;
  };
  SubjectLabel LabelOfSubject(const Channel& channel) const;
  // Zones an alarm of `agency` was tagged with (empty when none).
  const std::vector<std::string>& ZonesOfAlarm(std::string_view agency,
                                               const std::string& alarm_id) const;
  const CowVector<ResourceRequest>& requests() const { return requests_; }
  // Operation plans (core/operation_plan.h), by id (dense, from 1).
  const OperationPlan* FindPlan(uint64_t id) const;
  const CowVector<OperationPlan>& plans() const { return plans_; }
  uint64_t NextPlanId() const { return plans_.size() + 1; }
  // Situation reports (core/sitrep.h), by id (dense, from 1).
  const SitRep* FindSitRep(uint64_t id) const;
  const CowVector<SitRep>& sitreps() const { return sitreps_; }
  uint64_t NextSitRepId() const { return sitreps_.size() + 1; }
  // Public warnings (core/warning.h), by id (dense, from 1).
  const PublicWarning* FindWarning(uint64_t id) const;
  const CowVector<PublicWarning>& warnings() const { return warnings_; }
  uint64_t NextWarningId() const { return warnings_.size() + 1; }
  uint64_t NextRequestId() const { return requests_.size() + 1; }

  // The incident an alarm (IncidentSource id) of `agency` is attached to, or 0. Alarm ids are
  // scoped per owning agency: one agency's id says nothing about another agency's alarms.
  IncidentId IncidentOfAlarm(std::string_view agency, const std::string& alarm_id) const;
  // The key of the per-agency alarm and callsign indexes (agency codes hold no '/').
  static std::string ScopedKey(std::string_view agency, std::string_view id);
  // Watchlist entries by (normalised plate, agency).
  using WatchKey = std::pair<std::string, std::string>;
  const std::map<WatchKey, WatchlistEntry>& watchlist() const { return watchlist_; }

  const std::map<std::string, Agency, std::less<>>& agencies() const { return agencies_; }
  const CowVector<Incident>& incidents() const { return incidents_; }
  const CowVector<Unit>& units() const { return units_; }

  // Ids are dense and assigned in log order, so the next id is known before the event exists.
  IncidentId NextIncidentId() const { return IncidentId(incidents_.size() + 1); }
  UnitId NextUnitId() const { return UnitId(units_.size() + 1); }

  // The record of `actor`'s command `command_id`, if still kept: records older than the
  // retention (kCommandIdRetentionMs) before the newest record are dropped; Execute also
  // ignores one older than that before the command's own time.
  const CommandRecord* FindCommand(std::string_view actor, std::string_view command_id) const;
  size_t commands_remembered() const { return commands_.size(); }

  Seq last_seq() const { return last_seq_; }
  uint64_t applied() const { return applied_; }
  // Events whose references did not resolve; always 0 for a log written by decide().
  uint64_t anomalies() const { return anomalies_; }

  // Canonical bytes of the whole state (snapshots) and their SHA-256 (determinism checks).
  std::string Serialize() const;
  static StatusOr<World> Deserialize(std::string_view bytes);
  Hash Digest() const;

  // Bytes this World holds beyond the record chunks already in `held`, to which it adds its
  // own: copies of a World share the chunks neither changed (CowVector). An estimate for cache
  // budgets (the records' sizes plus a guess at what their strings and lists hold), not a
  // measure.
  uint64_t BytesBeyond(std::unordered_set<const void*>& held) const;

 private:
  Incident* MutableIncident(IncidentId id);
  Unit* MutableUnit(UnitId id);
  void On(const EventMeta& m, const AgencyRegistered& e);
  void On(const EventMeta& m, const IncidentCreated& e);
  void On(const EventMeta& m, const IncidentStatusChanged& e);
  void On(const EventMeta& m, const IncidentNoteAdded& e);
  void On(const EventMeta& m, const UnitRegistered& e);
  void On(const EventMeta& m, const UnitStatusChanged& e);
  void On(const EventMeta& m, const UnitAssigned& e);
  void On(const EventMeta& m, const PositionsReported& e);
  void On(const EventMeta& m, const IncidentShared& e);
  void On(const EventMeta&, const RecordsRead&) {}  // audit only: the World is unchanged
  void On(const EventMeta&, const SignInAttempted&) {}
  void On(const EventMeta& m, const UnitShared& e);
  void On(const EventMeta&, const CoverageChanged&) {}  // the picture is the dispatch room's
  // Subscriptions live in webhooks.db (src/exchange/webhooks); the log keeps the audit.
  void On(const EventMeta&, const WebhookRegistered&) {}
  void On(const EventMeta&, const WebhookRemoved&) {}
  void On(const EventMeta& m, const AlarmReceived& e);
  void On(const EventMeta& m, const IncidentSplit& e);
  void On(const EventMeta& m, const IncidentPriorityChanged& e);
  void On(const EventMeta& m, const WatchlistEntrySet& e);
  void On(const EventMeta& m, const WatchlistEntryRemoved& e);
  // Monitoring events change no record but the unit's stale flag: the live picture is the AVL
  // lane's (src/monitor); the log keeps them for the timeline, replay and audit.
  void On(const EventMeta&, const UnitStale& e);
  void On(const EventMeta&, const ZoneEntered&) {}
  void On(const EventMeta&, const ZoneExited&) {}
  void On(const EventMeta&, const RestrictedZoneAlert&) {}
  void On(const EventMeta&, const ZonesDefined&) {}
  void On(const EventMeta& m, const RecommendationMade& e);
  void On(const EventMeta& m, const SlaEscalated& e);
  void On(const EventMeta& m, const ResourceRequested& e);
  void On(const EventMeta& m, const ResourceRequestAnswered& e);
  void On(const EventMeta& m, const UnitReclassified& e);
  void On(const EventMeta& m, const IncidentReclassified& e);
  void On(const EventMeta& m, const MessagePosted& e);
  void On(const EventMeta& m, const ZonesTagged& e);
  void On(const EventMeta& m, const CommandRecorded& e);
  OperationPlan* MutablePlan(uint64_t id, const EventMeta& m);
  void On(const EventMeta& m, const PlanDefined& e);
  void On(const EventMeta& m, const PlanApproved& e);
  void On(const EventMeta& m, const PlanStatusChanged& e);
  void On(const EventMeta& m, const PlanPhaseChanged& e);
  void On(const EventMeta& m, const PlanTaskChanged& e);
  void On(const EventMeta& m, const PlanTaskChecked& e);
  void On(const EventMeta& m, const DecisionPointFired& e);
  void On(const EventMeta& m, const PlanTaskOverdue& e);
  void On(const EventMeta& m, const SitRepDrafted& e);
  void On(const EventMeta& m, const SitRepApproved& e);
  void On(const EventMeta& m, const WarningIssued& e);
  void On(const EventMeta& m, const ChannelOpened& e);
  void On(const EventMeta& m, const ChannelMessagePosted& e);
  void On(const EventMeta& m, const MessagesDelivered& e);
  void On(const EventMeta& m, const MessagesRead& e);
  void AddReceipt(const EventMeta& m, uint64_t channel, std::string_view what, uint64_t up_to);

  std::map<std::string, Agency, std::less<>> agencies_;
  // Records never move once created, growth never copies the whole past, and a copy of the
  // World shares every chunk of records neither copy changed since (copy on write).
  CowVector<Incident> incidents_;        // incidents_[id - 1]
  CowVector<Unit> units_;                // units_[id - 1]
  CowVector<ResourceRequest> requests_;  // requests_[id - 1]
  std::unordered_map<std::string, UnitId> unit_by_callsign_;
  std::unordered_map<std::string, IncidentId> incident_of_alarm_;  // derived from sources
  std::map<WatchKey, WatchlistEntry> watchlist_;
  CowVector<Message> messages_;                                               // messages_[id - 1]
  std::unordered_map<uint64_t, std::vector<uint64_t>> messages_of_incident_;  // derived
  std::map<std::string, std::vector<std::string>> alarm_zones_;
  using CommandKey = std::pair<std::string, std::string>;  // actor, command id
  std::map<CommandKey, CommandRecord, std::less<>> commands_;
  std::deque<CommandKey> command_order_;  // oldest first: what the retention drops next
  CowVector<OperationPlan> plans_;        // plans_[id - 1]
  CowVector<SitRep> sitreps_;             // sitreps_[id - 1]
  CowVector<PublicWarning> warnings_;     // warnings_[id - 1]
  CowVector<Channel> channels_;           // channels_[id - 1]
  std::map<std::string, uint64_t, std::less<>> channel_by_name_;  // derived
  Seq last_seq_;
  uint64_t applied_ = 0;
  uint64_t anomalies_ = 0;
};

}  // namespace ncc
