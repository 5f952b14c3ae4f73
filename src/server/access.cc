#include "server/access.h"

namespace ncc {

auth::RecordLabel LabelOf(const Incident& i) {
  return {i.agency, i.classification, i.shared_with};
}
auth::RecordLabel LabelOf(const Unit& u) {
  return {u.agency, Classification::kRestricted, u.shared_with};
}

auth::RecordLabel LabelOfEvent(const Event& event, const World& world) {
  auth::RecordLabel envelope{event.meta.agency, event.meta.classification, {}};
  auto incident = [&](IncidentId id) {
    const Incident* i = world.FindIncident(id);
    return i ? LabelOf(*i) : envelope;
  };
  auto unit = [&](UnitId id) {
    const Unit* u = world.FindUnit(id);
    return u ? LabelOf(*u) : envelope;
  };
  return std::visit(
      [&](const auto& b) -> auth::RecordLabel {
        using T = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<T, AgencyRegistered>)
          return {b.agency.code, Classification::kPublic, {}};
        else if constexpr (std::is_same_v<T, IncidentCreated> ||
                           std::is_same_v<T, IncidentStatusChanged> ||
                           std::is_same_v<T, IncidentNoteAdded> ||
                           std::is_same_v<T, IncidentShared>)
          return incident(b.id);
        else if constexpr (std::is_same_v<T, UnitAssigned> || std::is_same_v<T, AlarmReceived> ||
                           std::is_same_v<T, RecommendationMade> ||
                           std::is_same_v<T, SlaEscalated> || std::is_same_v<T, ResourceRequested>)
          return incident(b.incident);
        else if constexpr (std::is_same_v<T, IncidentSplit>)
          return incident(b.from);
        else if constexpr (std::is_same_v<T, IncidentPriorityChanged>)
          return incident(b.id);
        else if constexpr (std::is_same_v<T, ResourceRequestAnswered>) {
          // Both agencies of a mutual-aid request see its answer (the request shared the incident).
          const ResourceRequest* r = world.FindRequest(b.id);
          return r ? incident(r->incident) : envelope;
        } else if constexpr (std::is_same_v<T, UnitRegistered> ||
                             std::is_same_v<T, UnitStatusChanged> || std::is_same_v<T, UnitShared>)
          return unit(b.id);
        else
          return envelope;
      },
      event.body);
}

bool CanSeeEvent(const auth::Principal& who, const Event& event, const World& world) {
  if (std::holds_alternative<RecordsRead>(event.body) ||
      std::holds_alternative<SignInAttempted>(event.body))
    return auth::CanSee(who, {event.meta.agency, event.meta.classification, {}},
                        auth::Action::kAuditRead);
  auth::RecordLabel label = LabelOfEvent(event, world);
  if (!auth::CanSee(who, label)) return false;
  bool watchlist = std::holds_alternative<WatchlistEntrySet>(event.body) ||
                   std::holds_alternative<WatchlistEntryRemoved>(event.body);
  return !watchlist || auth::CanSee(who, label, auth::Action::kWatchlistRead);
}

bool IsConfidential(const Incident& incident) {
  return incident.classification >= Classification::kConfidential;
}

std::optional<IncidentId> ConfidentialIncidentOf(const Event& event, const World& world) {
  IncidentId id = std::visit(
      [](const auto& b) -> IncidentId {
        using T = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<T, IncidentCreated> ||
                      std::is_same_v<T, IncidentStatusChanged> ||
                      std::is_same_v<T, IncidentNoteAdded> || std::is_same_v<T, IncidentShared> ||
                      std::is_same_v<T, IncidentPriorityChanged>)
          return b.id;
        else if constexpr (std::is_same_v<T, UnitAssigned> || std::is_same_v<T, AlarmReceived> ||
                           std::is_same_v<T, RecommendationMade> ||
                           std::is_same_v<T, SlaEscalated> || std::is_same_v<T, ResourceRequested>)
          return b.incident;
        else if constexpr (std::is_same_v<T, IncidentSplit>)
          return b.from;
        else
          return IncidentId();
      },
      event.body);
  const Incident* i = id.value ? world.FindIncident(id) : nullptr;
  if (i && IsConfidential(*i)) return id;
  return std::nullopt;
}

Status CheckOwnUnit(const auth::Principal& who, const Unit& unit) {
  if (who.Holds(unit.agency, auth::Role::kDispatcher) ||
      who.Holds(unit.agency, auth::Role::kSupervisor))
    return Status::Ok();
  if (who.user == unit.callsign) return Status::Ok();
  return {StatusCode::kPermissionDenied,
          "a field account may change only its own unit (" + who.user + ")", "id"};
}

}  // namespace ncc
