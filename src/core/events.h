// Events: the facts the log keeps. Each body type has a fixed on-disk EventType number that is
// never renumbered or reused, and lists its fields once in Fields() (see codec.h).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/channel.h"
#include "core/operation_plan.h"
#include "core/records.h"
#include "core/sitrep.h"
#include "core/warning.h"

namespace ncc {

enum class EventType : uint16_t {
  kAgencyRegistered = 1,
  kIncidentCreated = 2,
  kIncidentStatusChanged = 3,
  kIncidentNoteAdded = 4,
  kUnitRegistered = 5,
  kUnitStatusChanged = 6,
  kUnitAssigned = 7,
  kPositionsReported = 8,
  kIncidentShared = 9,
  // 10-19: dispatch (src/dispatch).
  kRecommendationMade = 10,
  kSlaEscalated = 11,
  kResourceRequested = 12,
  kResourceRequestAnswered = 13,
  kCoverageChanged = 14,
  kRecordsRead = 20,
  kSignInAttempted = 21,
  kUnitShared = 22,
  kUnitReclassified = 23,
  kMessagePosted = 24,
  kIncidentReclassified = 25,
  kCommandRecorded = 26,
  // 35-39: alarm correlation (src/alarms).
  kAlarmReceived = 35,
  kIncidentSplit = 36,
  kIncidentPriorityChanged = 37,
  kWatchlistEntrySet = 38,
  kWatchlistEntryRemoved = 39,
  // 30..39: monitoring (AVL lane, zones, alarms).
  kUnitStale = 30,
  kZoneEntered = 31,
  kZoneExited = 32,
  kRestrictedZoneAlert = 33,
  kZonesDefined = 34,
  // 40-49: monitoring, continued.
  kZonesTagged = 40,
  // 50-52: exchange (src/exchange: webhooks, CAP, EIDO).
  kWebhookRegistered = 50,
  kWebhookRemoved = 51,
  kWarningIssued = 52,
  // 53-57: channels (core/channel.h).
  kChannelOpened = 53,
  kChannelMessagePosted = 54,
  kMessagesDelivered = 55,
  kMessagesRead = 56,
  // 60-69: operation plans (core/operation_plan.h, src/plan).
  kPlanDefined = 60,
  kPlanApproved = 61,
  kPlanStatusChanged = 62,
  kPlanPhaseChanged = 63,
  kPlanTaskChanged = 64,
  kPlanTaskChecked = 65,
  kDecisionPointFired = 66,
  kPlanTaskOverdue = 67,
  kSitRepDrafted = 68,
  kSitRepApproved = 69,
};

struct AgencyRegistered {
  static constexpr EventType kType = EventType::kAgencyRegistered;
  static constexpr std::string_view kName = "agency_registered";
  Agency agency;
  template <typename V>
  void Fields(V& v) {
    v("agency", agency);
  }
};

struct IncidentCreated {
  static constexpr EventType kType = EventType::kIncidentCreated;
  static constexpr std::string_view kName = "incident_created";
  IncidentId id;
  std::string type;
  int32_t priority = 3;
  LatLon location;
  std::string address;
  std::string landmark;
  std::string summary;
  template <typename V>
  void Fields(V& v) {
    v("id", id);
    v("type", type);
    v("priority", priority);
    v("location", location);
    v("address", address);
    v("landmark", landmark);
    v("summary", summary);
  }
};

struct IncidentStatusChanged {
  static constexpr EventType kType = EventType::kIncidentStatusChanged;
  static constexpr std::string_view kName = "incident_status_changed";
  IncidentId id;
  IncidentStatus from = IncidentStatus::kNew;
  IncidentStatus to = IncidentStatus::kNew;
  std::string note;
  template <typename V>
  void Fields(V& v) {
    v("id", id);
    v("from", from);
    v("to", to);
    v("note", note);
  }
};

struct IncidentNoteAdded {
  static constexpr EventType kType = EventType::kIncidentNoteAdded;
  static constexpr std::string_view kName = "incident_note_added";
  IncidentId id;
  std::string text;
  template <typename V>
  void Fields(V& v) {
    v("id", id);
    v("text", text);
  }
};

struct UnitRegistered {
  static constexpr EventType kType = EventType::kUnitRegistered;
  static constexpr std::string_view kName = "unit_registered";
  UnitId id;
  std::string callsign;
  std::string kind;
  std::vector<std::string> capabilities;
  std::string station;
  std::optional<LatLon> position;
  template <typename V>
  void Fields(V& v) {
    v("id", id);
    v("callsign", callsign);
    v("kind", kind);
    v("capabilities", capabilities);
    v("station", station);
    v("position", position);
  }
};

struct UnitStatusChanged {
  static constexpr EventType kType = EventType::kUnitStatusChanged;
  static constexpr std::string_view kName = "unit_status_changed";
  UnitId id;
  UnitStatus from = UnitStatus::kAvailable;
  UnitStatus to = UnitStatus::kAvailable;
  IncidentId incident;  // the assignment this step belongs to, 0 when none
  std::string note;
  template <typename V>
  void Fields(V& v) {
    v("id", id);
    v("from", from);
    v("to", to);
    v("incident", incident);
    v("note", note);
  }
};

struct UnitAssigned {
  static constexpr EventType kType = EventType::kUnitAssigned;
  static constexpr std::string_view kName = "unit_assigned";
  IncidentId incident;
  UnitId unit;
  template <typename V>
  void Fields(V& v) {
    v("incident", incident);
    v("unit", unit);
  }
};

struct PositionFix {
  UnitId unit;
  LatLon position;
  Time time;
  double speed = 0;
  double heading = 0;
  template <typename V>
  void Fields(V& v) {
    v("unit", unit);
    v("position", position);
    v("time", time);
    v("speed", speed);
    v("heading", heading);
  }
};

// A batch of AVL fixes accepted together. Kept in the log for now so that positions survive a
// crash; the high-rate lane with its own track store replaces this (see docs/architecture.md).
struct PositionsReported {
  static constexpr EventType kType = EventType::kPositionsReported;
  static constexpr std::string_view kName = "positions_reported";
  std::vector<PositionFix> fixes;
  template <typename V>
  void Fields(V& v) {
    v("fixes", fixes);
  }
};

// The owning agency shares an incident with another agency (cross-agency work).
struct IncidentShared {
  static constexpr EventType kType = EventType::kIncidentShared;
  static constexpr std::string_view kName = "incident_shared";
  IncidentId id;
  std::string agency;
  template <typename V>
  void Fields(V& v) {
    v("id", id);
    v("agency", agency);
  }
};

// Audit: someone read confidential or secret records (the actor is the reader). One event per
// owning agency, labelled with that agency and the highest classification read, so only those
// allowed to read that agency's audit trail see who looked.
struct RecordsRead {
  static constexpr EventType kType = EventType::kRecordsRead;
  static constexpr std::string_view kName = "records_read";
  std::vector<std::string> records;  // "incident:12", "unit:7"
  std::string via;                   // the route or stream that returned them
  template <typename V>
  void Fields(V& v) {
    v("records", records);
    v("via", via);
  }
};

// Audit: a successful password sign-in (never the password); actor and agency are the
// account's. Refused attempts are not events: an attacker must not be able to grow the log.
struct SignInAttempted {
  static constexpr EventType kType = EventType::kSignInAttempted;
  static constexpr std::string_view kName = "sign_in_attempted";
  std::string user;
  std::string outcome;  // "signed_in", or the refusal ("wrong username or password", ...)
  std::string address;  // the client's address
  template <typename V>
  void Fields(V& v) {
    v("user", user);
    v("outcome", outcome);
    v("address", address);
  }
};

// An alarm or call attached to an incident by correlation: to a new incident (the
// IncidentCreated just before it in the same command) or merged into an existing one.
struct AlarmReceived {
  static constexpr EventType kType = EventType::kAlarmReceived;
  static constexpr std::string_view kName = "alarm_received";
  IncidentId incident;
  IncidentSource alarm;
  bool opened = false;  // the alarm opened the incident (else it was merged into it)
  double meters = 0;    // merged: distance to the nearest compatible source already there
  template <typename V>
  void Fields(V& v) {
    v("incident", incident);
    v("alarm", alarm);
    v("opened", opened);
    v("meters", meters);
  }
};

// An operator split a wrong merge: `sources` moved from `from` to `to` (created just before).
struct IncidentSplit {
  static constexpr EventType kType = EventType::kIncidentSplit;
  static constexpr std::string_view kName = "incident_split";
  IncidentId from;
  IncidentId to;
  std::vector<std::string> sources;
  template <typename V>
  void Fields(V& v) {
    v("from", from);
    v("to", to);
    v("sources", sources);
  }
};

// Correlation changed an incident's priority: independent sources confirmed it, or a split
// took away the sources that had raised it.
struct IncidentPriorityChanged {
  static constexpr EventType kType = EventType::kIncidentPriorityChanged;
  static constexpr std::string_view kName = "incident_priority_changed";
  IncidentId id;
  int32_t from = 3;
  int32_t to = 3;
  std::string reason;
  template <typename V>
  void Fields(V& v) {
    v("id", id);
    v("from", from);
    v("to", to);
    v("reason", reason);
  }
};

// A plate put on (or updated in) the watchlist of the envelope's agency, at its classification.
struct WatchlistEntrySet {
  static constexpr EventType kType = EventType::kWatchlistEntrySet;
  static constexpr std::string_view kName = "watchlist_entry_set";
  std::string plate;  // normalised
  std::string entered;
  std::string list;
  std::string reason;
  template <typename V>
  void Fields(V& v) {
    v("plate", plate);
    v("entered", entered);
    v("list", list);
    v("reason", reason);
  }
};

struct WatchlistEntryRemoved {
  static constexpr EventType kType = EventType::kWatchlistEntryRemoved;
  static constexpr std::string_view kName = "watchlist_entry_removed";
  std::string plate;  // normalised; of the envelope's agency
  template <typename V>
  void Fields(V& v) {
    v("plate", plate);
  }
};

// One proposed repositioning, as logged with a coverage change.
struct CoverageMoveUp {
  UnitId unit;
  std::string callsign;
  LatLon to;
  int32_t gained = 0;  // demand points covered gained over every zone of the capability
  template <typename V>
  void Fields(V& v) {
    v("unit", unit);
    v("callsign", callsign);
    v("to", to);
    v("gained", gained);
  }
};

// A coverage zone fell below its target after units were committed (below = true, with the
// best move-ups), or came back to it (below = false).
struct CoverageChanged {
  static constexpr EventType kType = EventType::kCoverageChanged;
  static constexpr std::string_view kName = "coverage_changed";
  std::string zone;
  double fraction = 0;
  double target = 0;
  bool below = false;
  std::vector<CoverageMoveUp> move_ups;
  template <typename V>
  void Fields(V& v) {
    v("zone", zone);
    v("fraction", fraction);
    v("target", target);
    v("below", below);
    v("move_ups", move_ups);
  }
};

// The owning agency shares a unit with another agency (it then sees the unit, its status and
// its events; commanding it stays with the owner).
struct UnitShared {
  static constexpr EventType kType = EventType::kUnitShared;
  static constexpr std::string_view kName = "unit_shared";
  UnitId id;
  std::string agency;
  template <typename V>
  void Fields(V& v) {
    v("id", id);
    v("agency", agency);
  }
};

// The AVL lane's state changes (docs/monitoring.md, "What goes into the log"). Every fix is in
// the track store; the log keeps only what changes the picture: a unit going quiet or coming
// back, entering or leaving a zone, entering a restricted one, and the zone set itself.

// A unit sent no fix for `after_ms` (stale = true), or reported again after that (false).
struct UnitStale {
  static constexpr EventType kType = EventType::kUnitStale;
  static constexpr std::string_view kName = "unit_stale";
  UnitId unit;
  bool stale = true;
  Time last_fix;  // time of the newest fix the lane had when it decided
  int64_t after_ms = 0;
  template <typename V>
  void Fields(V& v) {
    v("unit", unit);
    v("stale", stale);
    v("last_fix", last_fix);
    v("after_ms", after_ms);
  }
};

// A unit crossed a zone's boundary (the fix that crossed it).
struct ZoneCrossing {
  UnitId unit;
  std::string zone;  // Zone::id
  std::string zone_name;
  std::string zone_kind;  // geo::ZoneKindName
  LatLon position;
  Time time;
  template <typename V>
  void Fields(V& v) {
    v("unit", unit);
    v("zone", zone);
    v("zone_name", zone_name);
    v("zone_kind", zone_kind);
    v("position", position);
    v("time", time);
  }
};
struct ZoneEntered : ZoneCrossing {
  static constexpr EventType kType = EventType::kZoneEntered;
  static constexpr std::string_view kName = "zone_entered";
};
struct ZoneExited : ZoneCrossing {
  static constexpr EventType kType = EventType::kZoneExited;
  static constexpr std::string_view kName = "zone_exited";
};
// A unit entered a zone marked restricted: an alert for the console (and the alarm queue).
struct RestrictedZoneAlert : ZoneCrossing {
  static constexpr EventType kType = EventType::kRestrictedZoneAlert;
  static constexpr std::string_view kName = "restricted_zone_alert";
};

// The zone set was replaced (POST /api/v1/zones). The GeoJSON itself is kept beside the log in
// <data>/zones.geojson; the event records who changed it, when, and its SHA-256.
struct ZonesDefined {
  static constexpr EventType kType = EventType::kZonesDefined;
  static constexpr std::string_view kName = "zones_defined";
  std::vector<std::string> ids;
  std::string sha256;
  template <typename V>
  void Fields(V& v) {
    v("ids", ids);
    v("sha256", sha256);
  }
};

// One unit of a recommendation, as logged (after-action review compares it with what was sent).
struct RecommendedUnit {
  UnitId unit;
  std::string slot;  // the capability it fills, e.g. "engine"
  double eta_s = 0;  // road time plus turnout
  double meters = 0;
  template <typename V>
  void Fields(V& v) {
    v("unit", unit);
    v("slot", slot);
    v("eta_s", eta_s);
    v("meters", meters);
  }
};

// The dispatch room recommended units for an incident (on creation, or when asked).
struct RecommendationMade {
  static constexpr EventType kType = EventType::kRecommendationMade;
  static constexpr std::string_view kName = "recommendation_made";
  IncidentId incident;
  std::string plan;  // the response plan used
  std::string note;  // e.g. "no plan for type x.y; used the default plan"
  std::vector<RecommendedUnit> units;
  std::vector<std::string>
      missing;  // "1 ladder from civil_defence" the plan asks but nobody can fill
  template <typename V>
  void Fields(V& v) {
    v("incident", incident);
    v("plan", plan);
    v("note", note);
    v("units", units);
    v("missing", missing);
  }
};

// A time target of an incident's plan slipped: raised once per step, for the agency's supervisors.
struct SlaEscalated {
  static constexpr EventType kType = EventType::kSlaEscalated;
  static constexpr std::string_view kName = "sla_escalated";
  IncidentId incident;
  std::string step;  // dispatch | en_route | on_scene
  Time due;
  int32_t target_s = 0;
  std::string plan;
  std::string notify;  // "supervisor@police": who is to act
  template <typename V>
  void Fields(V& v) {
    v("incident", incident);
    v("step", step);
    v("due", due);
    v("target_s", target_s);
    v("plan", plan);
    v("notify", notify);
  }
};

// Mutual aid: the incident's agency asks `to_agency` for units.
struct ResourceRequested {
  static constexpr EventType kType = EventType::kResourceRequested;
  static constexpr std::string_view kName = "resource_requested";
  uint64_t id = 0;
  IncidentId incident;
  std::string to_agency;
  std::string kind;
  int32_t count = 1;
  std::string reason;
  Time deadline;
  template <typename V>
  void Fields(V& v) {
    v("id", id);
    v("incident", incident);
    v("to_agency", to_agency);
    v("kind", kind);
    v("count", count);
    v("reason", reason);
    v("deadline", deadline);
  }
};

struct ResourceRequestAnswered {
  static constexpr EventType kType = EventType::kResourceRequestAnswered;
  static constexpr std::string_view kName = "resource_request_answered";
  uint64_t id = 0;
  bool accepted = false;
  std::vector<UnitId> units;
  std::string note;
  template <typename V>
  void Fields(V& v) {
    v("id", id);
    v("accepted", accepted);
    v("units", units);
    v("note", note);
  }
};

// A supervisor of the owning agency changed a unit's label (who may see it, its positions and
// its events).
struct UnitReclassified {
  static constexpr EventType kType = EventType::kUnitReclassified;
  static constexpr std::string_view kName = "unit_reclassified";
  UnitId id;
  Classification classification = Classification::kRestricted;
  template <typename V>
  void Fields(V& v) {
    v("id", id);
    v("classification", classification);
  }
};

// The same for an incident: its whole history follows the new label.
struct IncidentReclassified {
  static constexpr EventType kType = EventType::kIncidentReclassified;
  static constexpr std::string_view kName = "incident_reclassified";
  IncidentId id;
  Classification classification = Classification::kRestricted;
  template <typename V>
  void Fields(V& v) {
    v("id", id);
    v("classification", classification);
  }
};

// A message on an incident (per-incident messaging between the agencies working it). The
// envelope's agency (the author's) owns it; it carries its own label and share list.
struct MessagePosted {
  static constexpr EventType kType = EventType::kMessagePosted;
  static constexpr std::string_view kName = "message_posted";
  uint64_t id = 0;
  IncidentId incident;
  Classification classification = Classification::kRestricted;
  std::vector<std::string> shared_with;
  std::string text;
  template <typename V>
  void Fields(V& v) {
    v("id", id);
    v("incident", incident);
    v("classification", classification);
    v("shared_with", shared_with);
    v("text", text);
  }
};

// The geofence zones an incident's location (alarm empty) or one alarm's location lies in,
// from the monitoring room when the incident or alarm arrives and when the zones change.
struct ZonesTagged {
  static constexpr EventType kType = EventType::kZonesTagged;
  static constexpr std::string_view kName = "zones_tagged";
  IncidentId incident;
  std::string alarm;
  std::vector<std::string> zones;
  template <typename V>
  void Fields(V& v) {
    v("incident", incident);
    v("alarm", alarm);
    v("zones", zones);
  }
};

// A webhook subscription was registered (src/exchange/webhooks). The subscription itself, with
// its secret, lives in DATA/webhooks.db; the log keeps who registered what, never the secret.
struct WebhookRegistered {
  static constexpr EventType kType = EventType::kWebhookRegistered;
  static constexpr std::string_view kName = "webhook_registered";
  uint64_t id = 0;
  std::string url;
  std::vector<std::string> events;  // event names delivered; empty: every event it may see
  std::string agency;               // only records of this agency; empty: any it may see
  template <typename V>
  void Fields(V& v) {
    v("id", id);
    v("url", url);
    v("events", events);
    v("agency", agency);
  }
};

struct WebhookRemoved {
  static constexpr EventType kType = EventType::kWebhookRemoved;
  static constexpr std::string_view kName = "webhook_removed";
  uint64_t id = 0;
  std::string url;
  template <typename V>
  void Fields(V& v) {
    v("id", id);
    v("url", url);
  }
};

// An operation plan was defined (created, copied from a template, or revised). `plan` is the
// whole definition as decided; the World sets its bookkeeping (status draft, revision, no
// approvals, author and times) from the envelope, so a revision is never approved already.
struct PlanDefined {
  static constexpr EventType kType = EventType::kPlanDefined;
  static constexpr std::string_view kName = "plan_defined";
  OperationPlan plan;
  template <typename V>
  void Fields(V& v) {
    v("plan", plan);
  }
};

// A supervisor of the envelope's agency approved revision `revision` of the plan; with every
// participant's approval the plan is approved.
struct PlanApproved {
  static constexpr EventType kType = EventType::kPlanApproved;
  static constexpr std::string_view kName = "plan_approved";
  uint64_t id = 0;
  uint32_t revision = 0;
  template <typename V>
  void Fields(V& v) {
    v("id", id);
    v("revision", revision);
  }
};

// active (activation: the plan becomes live work) or closed.
struct PlanStatusChanged {
  static constexpr EventType kType = EventType::kPlanStatusChanged;
  static constexpr std::string_view kName = "plan_status_changed";
  uint64_t id = 0;
  std::string to;
  std::string reason;
  template <typename V>
  void Fields(V& v) {
    v("id", id);
    v("to", to);
    v("reason", reason);
  }
};

// A phase of an active plan started or ended (by hand or at its planned time).
struct PlanPhaseChanged {
  static constexpr EventType kType = EventType::kPlanPhaseChanged;
  static constexpr std::string_view kName = "plan_phase_changed";
  uint64_t id = 0;
  std::string phase;
  std::string to;  // started | ended
  template <typename V>
  void Fields(V& v) {
    v("id", id);
    v("phase", phase);
    v("to", to);
  }
};

// A task's new status. `reason` set on a start before the task's predecessors ended says why
// (the override is kept on the task).
struct PlanTaskChanged {
  static constexpr EventType kType = EventType::kPlanTaskChanged;
  static constexpr std::string_view kName = "plan_task_changed";
  uint64_t id = 0;
  std::string task;
  std::string to;  // in_progress | done | cancelled
  std::string reason;
  template <typename V>
  void Fields(V& v) {
    v("id", id);
    v("task", task);
    v("to", to);
    v("reason", reason);
  }
};

// A checklist item of a task ticked (done) or unticked.
struct PlanTaskChecked {
  static constexpr EventType kType = EventType::kPlanTaskChecked;
  static constexpr std::string_view kName = "plan_task_checked";
  uint64_t id = 0;
  std::string task;
  uint32_t item = 0;
  bool done = true;
  template <typename V>
  void Fields(V& v) {
    v("id", id);
    v("task", task);
    v("item", item);
    v("done", done);
  }
};

// A decision point's condition was met (by event `trigger_seq`, or by hand when 0): the tasks
// it holds are opened. Decided once per point: a second firing is refused.
struct DecisionPointFired {
  static constexpr EventType kType = EventType::kDecisionPointFired;
  static constexpr std::string_view kName = "decision_point_fired";
  uint64_t id = 0;
  std::string point;
  uint64_t trigger_seq = 0;
  std::string trigger;  // what met it, in words
  template <typename V>
  void Fields(V& v) {
    v("id", id);
    v("point", point);
    v("trigger_seq", trigger_seq);
    v("trigger", trigger);
  }
};

// A task of an active plan passed its deadline unfinished (once per task), as incident time
// targets escalate.
struct PlanTaskOverdue {
  static constexpr EventType kType = EventType::kPlanTaskOverdue;
  static constexpr std::string_view kName = "plan_task_overdue";
  uint64_t id = 0;
  std::string task;
  Time deadline;
  template <typename V>
  void Fields(V& v) {
    v("id", id);
    v("task", task);
    v("deadline", deadline);
  }
};

// A situation report drafted or edited (a new revision of a draft): the whole report as
// decided; the World sets author, revision and times from the envelope.
struct SitRepDrafted {
  static constexpr EventType kType = EventType::kSitRepDrafted;
  static constexpr std::string_view kName = "sitrep_drafted";
  SitRep report;
  template <typename V>
  void Fields(V& v) {
    v("report", report);
  }
};

// A supervisor of the owning agency approved revision `revision`; it is final from then on.
struct SitRepApproved {
  static constexpr EventType kType = EventType::kSitRepApproved;
  static constexpr std::string_view kName = "sitrep_approved";
  uint64_t id = 0;
  uint32_t revision = 0;
  template <typename V>
  void Fields(V& v) {
    v("id", id);
    v("revision", revision);
  }
};

// A public warning issued (an Alert, or an Update / Cancel of an earlier one): the whole
// warning as decided; the World sets agency, issuer, time and seq from the envelope and marks
// the warning it references superseded or cancelled.
struct WarningIssued {
  static constexpr EventType kType = EventType::kWarningIssued;
  static constexpr std::string_view kName = "warning_issued";
  PublicWarning warning;
  template <typename V>
  void Fields(V& v) {
    v("warning", warning);
  }
};

// A channel was opened (core/channel.h). The envelope carries the subject's owner and label
// as they were; the channel is read under its subject's current label.
struct ChannelOpened {
  static constexpr EventType kType = EventType::kChannelOpened;
  static constexpr std::string_view kName = "channel_opened";
  uint64_t id = 0;
  std::string kind;
  IncidentId incident;
  uint64_t plan = 0;
  std::string sector;
  std::vector<std::string> agencies;
  std::string name;
  template <typename V>
  void Fields(V& v) {
    v("id", id);
    v("kind", kind);
    v("incident", incident);
    v("plan", plan);
    v("sector", sector);
    v("agencies", agencies);
    v("name", name);
  }
};

// A message in a channel (an incident's messages too, since channels exist). The envelope's
// agency (the author's) owns it; it carries its own label and share list, and the mentions
// resolved when it was posted. `via`: "api" or "cot" (a GeoChat from a TAK client, which the
// hub relayed to the other TAK clients already).
struct ChannelMessagePosted {
  static constexpr EventType kType = EventType::kChannelMessagePosted;
  static constexpr std::string_view kName = "channel_message_posted";
  uint64_t id = 0;
  uint64_t channel = 0;
  Classification classification = Classification::kRestricted;
  std::vector<std::string> shared_with;
  std::string text;
  std::vector<Mention> mentions;
  std::string via;
  template <typename V>
  void Fields(V& v) {
    v("id", id);
    v("channel", channel);
    v("classification", classification);
    v("shared_with", shared_with);
    v("text", text);
    v("mentions", mentions);
    v("via", via);
  }
};

// The envelope's actor (a recipient) acknowledged that their client holds every message of
// `channel` up to message `up_to`: their delivery cursor. Only ever forward.
struct MessagesDelivered {
  static constexpr EventType kType = EventType::kMessagesDelivered;
  static constexpr std::string_view kName = "messages_delivered";
  uint64_t channel = 0;
  uint64_t up_to = 0;
  template <typename V>
  void Fields(V& v) {
    v("channel", channel);
    v("up_to", up_to);
  }
};

// The envelope's actor read `channel` up to message `up_to`: their read cursor.
struct MessagesRead {
  static constexpr EventType kType = EventType::kMessagesRead;
  static constexpr std::string_view kName = "messages_read";
  uint64_t channel = 0;
  uint64_t up_to = 0;
  template <typename V>
  void Fields(V& v) {
    v("channel", channel);
    v("up_to", up_to);
  }
};

// One item of a batch command that decide refused on its own, as a command record keeps it.
struct RejectedItem {
  uint64_t index = 0;
  std::string field;
  std::string reason;
  template <typename V>
  void Fields(V& v) {
    v("index", index);
    v("field", field);
    v("reason", reason);
  }
};

// How long a command id is remembered, in event time: a retry later than this is a new command.
inline constexpr int64_t kCommandIdRetentionMs = 24LL * 3600 * 1000;

// A command sent with a command id (HTTP: the Idempotency-Key header) was applied: the last
// event of its events. A later command of the same actor with the same id is not decided
// again; it is answered with this outcome (see Execute in commands.h). Labelled with the
// highest label of the command's events; shown to audit readers only.
struct CommandRecorded {
  static constexpr EventType kType = EventType::kCommandRecorded;
  static constexpr std::string_view kName = "command_recorded";
  std::string command_id;
  std::string request;  // SHA-256 (hex) of what was asked: a reuse for another request is refused
  uint64_t created_id = 0;
  uint64_t events = 0;  // the command's own events, before this one
  std::vector<RejectedItem> rejected;
  template <typename V>
  void Fields(V& v) {
    v("command_id", command_id);
    v("request", request);
    v("created_id", created_id);
    v("events", events);
    v("rejected", rejected);
  }
};

using EventBody = std::variant<
    AgencyRegistered, IncidentCreated, IncidentStatusChanged, IncidentNoteAdded, UnitRegistered,
    UnitStatusChanged, UnitAssigned, PositionsReported, IncidentShared, RecordsRead,
    SignInAttempted, UnitStale, ZoneEntered, ZoneExited, RestrictedZoneAlert, ZonesDefined,
    AlarmReceived, IncidentSplit, IncidentPriorityChanged, WatchlistEntrySet, WatchlistEntryRemoved,
    RecommendationMade, SlaEscalated, ResourceRequested, ResourceRequestAnswered, UnitShared,
    CoverageChanged, UnitReclassified, IncidentReclassified, MessagePosted, ZonesTagged,
    WebhookRegistered, WebhookRemoved, CommandRecorded, PlanDefined, PlanApproved,
    PlanStatusChanged, PlanPhaseChanged, PlanTaskChanged, PlanTaskChecked, DecisionPointFired,
    PlanTaskOverdue, SitRepDrafted, SitRepApproved, WarningIssued, ChannelOpened,
    ChannelMessagePosted, MessagesDelivered, MessagesRead>;

EventType TypeOf(const EventBody& body);
std::string_view NameOf(EventType type);

using Hash = std::array<uint8_t, 32>;  // SHA-256

// The envelope every event carries: who, when, for which agency, at which label.
struct EventMeta {
  Seq seq;
  Time time;
  std::string actor;
  std::string agency;
  Classification classification = Classification::kRestricted;
};

struct Event {
  EventMeta meta;
  EventBody body;
};

}  // namespace ncc
