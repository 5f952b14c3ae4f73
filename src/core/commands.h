// Commands: what someone asks the centre to do. decide() turns one into events or a precise
// error; it is pure (no clock, no I/O), so it is tested without a server.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/events.h"
#include "core/world.h"

namespace ncc {

// Who asks, for which agency, and when (read from the engine's Clock on arrival). A command
// id (optional; HTTP's Idempotency-Key) makes a retry of the same command by the same actor
// come back with the first outcome instead of being decided again; `request` is the digest of
// what was asked, so that one id cannot stand for two different requests.
struct CommandContext {
  std::string actor;
  std::string agency;
  Time now;
  std::string command_id;
  std::string request;
};

struct RegisterAgency {
  Agency agency;
};
struct CreateIncident {
  std::string type;
  int32_t priority = 3;
  LatLon location;
  std::string address;
  std::string landmark;
  std::string summary;
  std::string agency;  // owning agency; empty means the caller's
  Classification classification = Classification::kRestricted;
};
struct ChangeIncidentStatus {
  IncidentId id;
  IncidentStatus to = IncidentStatus::kNew;
  std::string note;
};
struct AddIncidentNote {
  IncidentId id;
  std::string text;
};
// An operator's (or a partner's EIDO's) new priority for an open incident.
struct ChangeIncidentPriority {
  IncidentId id;
  int32_t priority = 3;
  std::string reason;
};
struct RegisterUnit {
  std::string callsign;
  std::string agency;
  std::string kind;
  std::vector<std::string> capabilities;
  std::string station;
  std::optional<LatLon> position;
  Classification classification = Classification::kRestricted;  // others: unit_reclassified
};
struct ChangeUnitStatus {
  UnitId id;
  UnitStatus to = UnitStatus::kAvailable;
  std::string note;
};
struct AssignUnit {
  IncidentId incident;
  UnitId unit;
};
struct ReportPositions {
  std::vector<PositionFix> fixes;
};
struct ShareIncident {
  IncidentId id;
  std::string agency;
};
// From the dispatch room: a zone's coverage crossed its target. `agency` labels the event.
struct RecordCoverage {
  CoverageChanged change;
  std::string agency;
};
struct ShareUnit {
  UnitId id;
  std::string agency;
};
// Webhooks (src/exchange/webhooks): the subscription is kept in webhooks.db; these log it.
struct RegisterWebhook {
  WebhookRegistered registered;
};
struct RemoveWebhook {
  WebhookRemoved removed;
};
// Records a successful password sign-in (audit).
struct RecordSignIn {
  std::string user;
  std::string agency;  // of the account
  std::string outcome;
  std::string address;
};
// Records what a reader was shown (audit of confidential and secret reads; of operation plans
// and situation reports above public).
struct RecordAccess {
  std::vector<IncidentId> incidents;
  std::string via;
  std::vector<uint64_t> messages;
  std::vector<UnitId> units;
  std::vector<uint64_t> plans;
  std::vector<uint64_t> sitreps;
};

// Alarms (and calls) after correlation (src/alarms decides; decide() checks and records). Each
// item either opens a new incident (`open`), or joins an existing incident (`join`), or joins
// the incident an earlier item of the same command opened (`join_item`). Incidents opened here
// get consecutive ids from world.NextIncidentId(), so created_id is the first of them.
struct ReceiveAlarms {
  struct Item {
    IncidentSource alarm;
    CreateIncident open;  // used when opening: type, priority, agency, classification, summary
    IncidentId join;
    int32_t join_item = -1;
    double meters = 0;
    int32_t priority_after = 0;  // correlation's priority for the incident; only ever raises it
    std::string priority_reason;
  };
  std::vector<Item> items;
};
// Operator split: `sources` move from incident `id` into a new incident with `priority`; the
// old incident's priority becomes `from_priority` (0: unchanged).
struct SplitIncident {
  IncidentId id;
  std::vector<std::string> sources;
  int32_t priority = 3;
  int32_t from_priority = 0;
};
struct SetWatchlistEntry {
  std::string plate;  // as typed; decide() normalises
  std::string list;
  std::string reason;
  std::string agency;  // empty: the caller's
  Classification classification = Classification::kRestricted;
};
struct RemoveWatchlistEntry {
  std::string plate;
  std::string agency;  // empty: the caller's
};

// From the AVL lane (src/monitor), a trusted internal source: the state changes of one group
// commit of fixes, already screened and durable in the track store. `checkpoint` are positions
// the World should know (throttled per unit); the rest become their own events.
struct RecordMonitoring {
  std::vector<PositionFix> checkpoint;
  std::vector<UnitStale> stale;
  std::vector<ZoneEntered> entered;
  std::vector<ZoneExited> exited;
  std::vector<RestrictedZoneAlert> alerts;
};
// Replaces the zone set (the file is written before this is submitted).
struct DefineZones {
  ZonesDefined zones;
};

// Dispatch (src/dispatch). A recommendation as computed outside the writer, to be logged.
struct RecordRecommendation {
  IncidentId incident;
  std::string plan;
  std::string note;
  std::vector<RecommendedUnit> units;
  std::vector<std::string> missing;
};
// Several units at once, all or none: accepting a recommendation, or the dispatcher's choice.
struct AssignUnits {
  IncidentId incident;
  std::vector<UnitId> units;
};
struct EscalateSla {
  IncidentId incident;
  std::string step;
  Time due;
  int32_t target_s = 0;
  std::string plan;
};
struct RequestResources {
  IncidentId incident;
  std::string to_agency;
  std::string kind;
  int32_t count = 1;
  std::string reason;
  Time deadline;
};
struct AnswerResourceRequest {
  uint64_t id = 0;
  bool accept = false;
  std::vector<UnitId> units;
  std::string note;
};

// A new label for a unit or an incident (by a supervisor of the owning agency; the caller's
// clearance must cover the old and the new label: the API checks it).
struct ReclassifyUnit {
  UnitId id;
  Classification classification = Classification::kRestricted;
};
struct ReclassifyIncident {
  IncidentId id;
  Classification classification = Classification::kRestricted;
};
// A message on an incident. `to` empty: every agency working the incident (its owner and its
// share list) besides the author's; otherwise a subset of those. `classification` below the
// incident's is raised to it.
// It is posted in the incident's channel (opened with it when it is the first).
struct PostMessage {
  IncidentId incident;
  std::string text;
  Classification classification = Classification::kRestricted;
  std::vector<std::string> to;
  std::vector<std::string> users;  // as PostChannelMessage::users
  std::string via = "api";         // as PostChannelMessage::via
};
// Channels (core/channel.h, decide_channel.cc). Opens the channel of a subject: `kind` incident
// (`incident`), operation (`plan`), sector (`plan`, `sector`) or agencies (`agencies`: two
// codes, in any order). A channel already open is found, not opened again: no event, and
// created_id is its id either way.
struct OpenChannel {
  std::string kind;
  IncidentId incident;
  uint64_t plan = 0;
  std::string sector;
  std::vector<std::string> agencies;
};
// A message in a channel; `to` and `classification` as in PostMessage, bounded by the
// channel's agencies and label. Mentions "@name" in the text are resolved by decide: an agency
// by its code, a unit by its callsign in one of the channel's agencies, a user when `users`
// (the accounts the caller looked up: accounts are not the World's) holds the name; other
// "@words" stay text.
struct PostChannelMessage {
  uint64_t channel = 0;
  std::string text;
  Classification classification = Classification::kRestricted;
  std::vector<std::string> to;
  std::vector<std::string> users;
  std::string via = "api";  // api | cot
};
// The caller's cursor in a channel: `what` delivered (their client holds every message up to
// `up_to`) or read (which also delivers). A cursor moves only forward: up to where it is
// already is no change and no event, so a repeated acknowledgement is harmless.
struct AckMessages {
  uint64_t channel = 0;
  std::string what;  // delivered | read
  uint64_t up_to = 0;
};
// From the monitoring room: the zones an incident (alarm empty) or an alarm lies in.
struct TagZones {
  ZonesTagged tag;
};

// Operation plans (decide_plan.cc). `plan.id` 0 defines a new plan (owner: `plan.agency`, or
// the caller's agency when empty); otherwise it revises that plan (draft or approved only).
struct DefinePlan {
  OperationPlan plan;
};
// Approval by the caller's agency of the revision the approver saw (a revision made since is
// refused, so nobody approves what they did not read).
struct ApprovePlan {
  uint64_t id = 0;
  uint32_t revision = 0;
};
struct ChangePlanStatus {
  uint64_t id = 0;
  std::string to;  // active | closed
  std::string reason;
};
struct ChangePlanPhase {
  uint64_t id = 0;
  std::string phase;
  std::string to;  // started | ended
};
// A task's status, by its owner agency or the plan's. Starting a task whose predecessors have
// not ended needs a `reason` (the override is recorded).
struct ChangePlanTask {
  uint64_t id = 0;
  std::string task;
  std::string to;
  std::string reason;
};
struct CheckPlanTask {
  uint64_t id = 0;
  std::string task;
  uint32_t item = 0;
  bool done = true;
};
// From the plan watcher (src/plan) when an event meets the point's condition, or by hand.
struct FireDecisionPoint {
  uint64_t id = 0;
  std::string point;
  uint64_t trigger_seq = 0;
  std::string trigger;
};
// From the plan watcher: the task's deadline passed unfinished (refused if not so at ctx.now).
struct EscalatePlanTask {
  uint64_t id = 0;
  std::string task;
};
// A situation report: `report.id` 0 drafts a new one (owned by the caller's agency), otherwise
// edits that draft. The figures come generated (src/plan/sitrep.h) from what the author sees.
struct DraftSitRep {
  SitRep report;
};
struct ApproveSitRep {
  uint64_t id = 0;
  uint32_t revision = 0;
};
// A public warning (core/warning.h) issued by the caller's agency. An Update or a Cancel names
// the latest warning of its chain, which must be the caller's agency's and still actual.
struct IssueWarning {
  WarningContent content;
};
// What CAP 1.2 and ncc accept in a warning, before the chain rules (decide_warning.cc); the
// HTTP reader (src/exchange/cap/cap_warning.h) answers with the same check. InvalidArgument
// naming the field ("area.polygon[3]", "info[1].language").
Status CheckWarningContent(const WarningContent& content);

using Command =
    std::variant<RegisterAgency, CreateIncident, ChangeIncidentStatus, AddIncidentNote,
                 RegisterUnit, ChangeUnitStatus, AssignUnit, ReportPositions, ShareIncident,
                 RecordAccess, RecordSignIn, RecordMonitoring, DefineZones, ReceiveAlarms,
                 SplitIncident, SetWatchlistEntry, RemoveWatchlistEntry, RecordRecommendation,
                 AssignUnits, EscalateSla, RequestResources, AnswerResourceRequest, ShareUnit,
                 RecordCoverage, ReclassifyUnit, ReclassifyIncident, PostMessage, TagZones,
                 RegisterWebhook, RemoveWebhook, DefinePlan, ApprovePlan, ChangePlanStatus,
                 ChangePlanPhase, ChangePlanTask, CheckPlanTask, FireDecisionPoint,
                 EscalatePlanTask, DraftSitRep, ApproveSitRep, ChangeIncidentPriority, IssueWarning,
                 OpenChannel, PostChannelMessage, AckMessages>;

// Plates are compared normalised: ASCII letters upper-cased; spaces, tabs, dashes, dots and
// underscores dropped; other bytes (e.g. Arabic script) kept as they are.
std::string NormalizePlate(std::string_view plate);

// An event before the log gives it a seq; the engine adds seq, time and actor.
struct EventDraft {
  EventBody body;
  std::string agency;
  Classification classification = Classification::kRestricted;
};

// One item of a batch command refused on its own (the rest of the batch still goes through).
struct Rejection {
  size_t index = 0;
  std::string field;
  std::string reason;
};

struct Decision {
  std::vector<EventDraft> events;
  std::vector<Rejection> rejected;
  uint64_t created_id = 0;  // id of the incident or unit the command created, if any
  // Execute only: the command id was seen before; nothing was decided, and this is the first
  // outcome's last seq and event count (its events and its command_recorded).
  bool replayed = false;
  Seq replayed_last_seq;
  uint64_t replayed_events = 0;
};

// Limits every entry point shares (HTTP, CoT, MQTT ...), so a bad field reads the same everywhere.
struct Limits {
  static constexpr size_t kTypeCode = 64;
  static constexpr size_t kShortText = 256;  // address, landmark, callsign, station, kind
  static constexpr size_t kSummary = 2000;
  static constexpr size_t kNote = 4000;
  static constexpr size_t kCapabilities = 32;
  static constexpr size_t kPositionBatch = 10000;
  static constexpr size_t kMaxRecordsPerAccess = 1000;  // one page of a list
  static constexpr int64_t kFixFutureMs = 60'000;       // clock skew we tolerate
  static constexpr size_t kAlarmBatch = 1000;
  static constexpr size_t kPlate = 32;
  static constexpr size_t kMessage = 4000;
  static constexpr size_t kMentions = 32;
  static constexpr size_t kZonesPerTag = 64;
  static constexpr int64_t kFixPastMs =
      7LL * 24 * 3600 * 1000;  // older fixes are history, not live
  static constexpr size_t kCommandId = 128;
  static constexpr int64_t kCommandIdRetentionMs = ncc::kCommandIdRetentionMs;
  // Operation plans: what one plan may hold.
  static constexpr size_t kPlanSectors = 64;
  static constexpr size_t kPlanPhases = 16;
  static constexpr size_t kPlanTasks = 1000;
  static constexpr size_t kPlanPostings = 1000;
  static constexpr size_t kPlanDecisionPoints = 64;
  static constexpr size_t kPlanAgencies = 32;
  static constexpr size_t kPlanObjectives = 32;
  static constexpr size_t kSectorVertices = 1000;
  static constexpr size_t kTaskChecklist = 64;
  static constexpr size_t kTaskPredecessors = 32;
  static constexpr size_t kSitRepNarrative = 20000;
  static constexpr size_t kSitRepFigures = 1 << 20;
  // Public warnings (CAP 1.2 out).
  static constexpr size_t kWarningPoints = 1000;
  static constexpr size_t kWarningHeadline = 160;
  static constexpr size_t kWarningArea = 512;
};

// The value checks every lane applies to a fix (range, finite, time window); the unit is not
// looked up. Field names are those of PositionFix ("position.lat", "time", "speed"...).
std::optional<Rejection> CheckFixValues(const PositionFix& f, size_t index, Time now);

StatusOr<Decision> Decide(const Command& command, const World& world, const CommandContext& ctx);

// Decide, then stamp each event (seq = world.last_seq() + 1 onwards, ctx time and actor), apply
// it to `world` and append it to `out`. Used by the engine and by tests alike.
// With a command id: a id already recorded for this actor is answered from its record
// (Decision::replayed; kInvalidArgument naming "Idempotency-Key" when `request` differs); a new
// one is decided and, when accepted, its events end with a command_recorded event.
StatusOr<Decision> Execute(const Command& command, World& world, const CommandContext& ctx,
                           std::vector<Event>& out);

}  // namespace ncc
