#include "visibility/access.h"

namespace ncc {

auth::RecordLabel LabelOf(const Incident& i) {
  return {i.agency, i.classification, i.shared_with};
}
auth::RecordLabel LabelOf(const Unit& u) {
  return {u.agency, u.classification, u.shared_with};
}
auth::RecordLabel LabelOf(const Message& m) {
  return {m.agency, m.classification, m.shared_with};
}

auth::RecordLabel LabelOf(const OperationPlan& p) {
  return {p.agency, p.classification, p.agencies};
}

uint64_t PlanIdOf(const EventBody& body) {
  return std::visit(
      [](const auto& b) -> uint64_t {
        using T = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<T, PlanDefined>)
          return b.plan.id;
        else if constexpr (std::is_same_v<T, PlanApproved> ||
                           std::is_same_v<T, PlanStatusChanged> ||
                           std::is_same_v<T, PlanPhaseChanged> ||
                           std::is_same_v<T, PlanTaskChanged> ||
                           std::is_same_v<T, PlanTaskChecked> ||
                           std::is_same_v<T, DecisionPointFired> ||
                           std::is_same_v<T, PlanTaskOverdue>)
          return b.id;
        else
          return 0;
      },
      body);
}

auth::RecordLabel LabelOf(const SitRep& r) {
  return {r.agency, r.classification, r.shared_with};
}

uint64_t SitRepIdOf(const EventBody& body) {
  if (const auto* drafted = std::get_if<SitRepDrafted>(&body)) return drafted->report.id;
  if (const auto* approved = std::get_if<SitRepApproved>(&body)) return approved->id;
  return 0;
}

bool CanSeeWarning(const auth::Principal& who, const PublicWarning& /*warning*/) {
  return auth::Authorize(who, auth::Action::kWarningRead, nullptr).ok();
}

auth::RecordLabel LabelOf(const Channel& c, const World& world) {
  World::SubjectLabel s = world.LabelOfSubject(c);
  return {std::move(s.agency), s.classification, std::move(s.shared_with)};
}

bool CanSeeChannel(const auth::Principal& who, const Channel& c, const World& world) {
  auth::RecordLabel label = LabelOf(c, world);
  return !label.agency.empty() && auth::CanSee(who, label, auth::Action::kChannelRead);
}

uint64_t ChannelIdOf(const EventBody& body) {
  if (const auto* opened = std::get_if<ChannelOpened>(&body)) return opened->id;
  if (const auto* posted = std::get_if<ChannelMessagePosted>(&body)) return posted->channel;
  if (const auto* delivered = std::get_if<MessagesDelivered>(&body)) return delivered->channel;
  if (const auto* read = std::get_if<MessagesRead>(&body)) return read->channel;
  return 0;
}

bool CanSeeMessage(const auth::Principal& who, const Message& m, const World& world) {
  if (m.incident.value) {
    const Incident* i = world.FindIncident(m.incident);
    return i && auth::CanSee(who, LabelOf(*i), auth::Action::kIncidentRead) &&
           auth::CanSee(who, LabelOf(m), auth::Action::kIncidentRead);
  }
  const Channel* c = world.FindChannel(m.channel);
  return c && CanSeeChannel(who, *c, world) &&
         auth::CanSee(who, LabelOf(m), auth::Action::kChannelRead);
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
  // A plan's events follow the plan's current label (an approval's envelope is the approver's).
  if (uint64_t plan = PlanIdOf(event.body)) {
    const OperationPlan* p = world.FindPlan(plan);
    return p ? LabelOf(*p) : envelope;
  }
  if (uint64_t channel = ChannelIdOf(event.body)) {
    const Channel* c = world.FindChannel(channel);
    return c ? LabelOf(*c, world) : envelope;
  }
  if (uint64_t report = SitRepIdOf(event.body)) {
    const SitRep* r = world.FindSitRep(report);
    return r ? LabelOf(*r) : envelope;
  }
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
        else if constexpr (std::is_same_v<T, IncidentPriorityChanged> ||
                           std::is_same_v<T, IncidentReclassified>)
          return incident(b.id);
        else if constexpr (std::is_same_v<T, ZonesTagged>)
          return incident(b.incident);
        else if constexpr (std::is_same_v<T, ResourceRequestAnswered>) {
          // Both agencies of a mutual-aid request see its answer (the request shared the incident).
          const ResourceRequest* r = world.FindRequest(b.id);
          return r ? incident(r->incident) : envelope;
        } else if constexpr (std::is_same_v<T, UnitRegistered> ||
                             std::is_same_v<T, UnitStatusChanged> ||
                             std::is_same_v<T, UnitShared> || std::is_same_v<T, UnitReclassified>)
          return unit(b.id);
        else if constexpr (std::is_same_v<T, UnitStale> || std::is_base_of_v<ZoneCrossing, T>)
          return unit(b.unit);
        else
          return envelope;
      },
      event.body);
}

bool CanSeeEvent(const auth::Principal& who, const Event& event, const World& world) {
  if (std::holds_alternative<RecordsRead>(event.body) ||
      std::holds_alternative<SignInAttempted>(event.body) ||
      std::holds_alternative<CommandRecorded>(event.body))
    return auth::CanSee(who, {event.meta.agency, event.meta.classification, {}},
                        auth::Action::kAuditRead);
  if (const auto* posted = std::get_if<MessagePosted>(&event.body)) {
    const Message* m = world.FindMessage(posted->id);
    return m && CanSeeMessage(who, *m, world) && auth::CanSee(who, LabelOf(*m));
  }
  if (const auto* posted = std::get_if<ChannelMessagePosted>(&event.body)) {
    const Message* m = world.FindMessage(posted->id);
    return m && CanSeeMessage(who, *m, world) && auth::CanSee(who, LabelOf(*m));
  }
  if (const auto* positions = std::get_if<PositionsReported>(&event.body)) {
    // Shown only to a reader who may see every unit in it (labels may have changed since).
    if (positions->fixes.empty())
      return auth::CanSee(who, {event.meta.agency, event.meta.classification, {}});
    for (const PositionFix& f : positions->fixes) {
      const Unit* u = world.FindUnit(f.unit);
      if (!u || !auth::CanSee(who, LabelOf(*u))) return false;
    }
    return true;
  }
  if (const auto* issued = std::get_if<WarningIssued>(&event.body))
    return CanSeeWarning(who, issued->warning);
  auth::RecordLabel label = LabelOfEvent(event, world);
  if (!auth::CanSee(who, label)) return false;
  // A subscription's URL is its agency's webhook managers' business (GET /webhooks).
  if (std::holds_alternative<WebhookRegistered>(event.body) ||
      std::holds_alternative<WebhookRemoved>(event.body))
    return auth::CanSee(who, label, auth::Action::kWebhookManage);
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
                      std::is_same_v<T, IncidentPriorityChanged> ||
                      std::is_same_v<T, IncidentReclassified>)
          return b.id;
        else if constexpr (std::is_same_v<T, ZonesTagged>)
          return b.incident;
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

void ReadRecorder::Add(const Event& event, const World& world) {
  if (auto id = ConfidentialIncidentOf(event, world)) incidents_.insert(id->value);
  auto unit = [&](UnitId id) {
    const Unit* u = world.FindUnit(id);
    if (u && u->classification >= Classification::kConfidential) units_.insert(id.value);
  };
  std::visit(
      [&](const auto& b) {
        using T = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<T, MessagePosted> || std::is_same_v<T, ChannelMessagePosted>) {
          const Message* m = world.FindMessage(b.id);
          if (m && m->classification >= Classification::kConfidential) messages_.insert(b.id);
        } else if constexpr (std::is_same_v<T, UnitRegistered> ||
                             std::is_same_v<T, UnitStatusChanged> ||
                             std::is_same_v<T, UnitShared> || std::is_same_v<T, UnitReclassified>) {
          unit(b.id);
        } else if constexpr (std::is_same_v<T, UnitStale> || std::is_base_of_v<ZoneCrossing, T>) {
          unit(b.unit);
        } else if constexpr (std::is_same_v<T, PositionsReported>) {
          for (const PositionFix& f : b.fixes) unit(f.unit);
        }
      },
      event.body);
}

RecordAccess ReadRecorder::Take(std::string via) const {
  RecordAccess access;
  access.via = std::move(via);
  for (uint64_t id : incidents_) access.incidents.push_back(IncidentId(id));
  access.messages.assign(messages_.begin(), messages_.end());
  for (uint64_t id : units_) access.units.push_back(UnitId(id));
  return access;
}

Status CheckOwnUnit(const auth::Principal& who, const Unit& unit) {
  return auth::CheckOwnUnit(who, unit.agency, unit.callsign);
}

}  // namespace ncc
