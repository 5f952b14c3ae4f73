// Events: the facts the log keeps. Each body type has a fixed on-disk EventType number that is
// never renumbered or reused, and lists its fields once in Fields() (see codec.h).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/records.h"

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

using EventBody =
    std::variant<AgencyRegistered, IncidentCreated, IncidentStatusChanged, IncidentNoteAdded,
                 UnitRegistered, UnitStatusChanged, UnitAssigned, PositionsReported, IncidentShared,
                 RecommendationMade, SlaEscalated, ResourceRequested, ResourceRequestAnswered>;

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
