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

// Who asks, for which agency, and when (read from the engine's Clock on arrival).
struct CommandContext {
  std::string actor;
  std::string agency;
  Time now;
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
struct RegisterUnit {
  std::string callsign;
  std::string agency;
  std::string kind;
  std::vector<std::string> capabilities;
  std::string station;
  std::optional<LatLon> position;
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

using Command = std::variant<RegisterAgency, CreateIncident, ChangeIncidentStatus, AddIncidentNote,
                             RegisterUnit, ChangeUnitStatus, AssignUnit, ReportPositions,
                             ShareIncident, RecordRecommendation, AssignUnits, EscalateSla,
                             RequestResources, AnswerResourceRequest>;

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
};

// Limits every entry point shares (HTTP, CoT, MQTT ...), so a bad field reads the same everywhere.
struct Limits {
  static constexpr size_t kTypeCode = 64;
  static constexpr size_t kShortText = 256;  // address, landmark, callsign, station, kind
  static constexpr size_t kSummary = 2000;
  static constexpr size_t kNote = 4000;
  static constexpr size_t kCapabilities = 32;
  static constexpr size_t kPositionBatch = 10000;
  static constexpr int64_t kFixFutureMs = 60'000;  // clock skew we tolerate
  static constexpr int64_t kFixPastMs =
      7LL * 24 * 3600 * 1000;  // older fixes are history, not live
};

StatusOr<Decision> Decide(const Command& command, const World& world, const CommandContext& ctx);

// Decide, then stamp each event (seq = world.last_seq() + 1 onwards, ctx time and actor), apply
// it to `world` and append it to `out`. Used by the engine and by tests alike.
StatusOr<Decision> Execute(const Command& command, World& world, const CommandContext& ctx,
                           std::vector<Event>& out);

}  // namespace ncc
