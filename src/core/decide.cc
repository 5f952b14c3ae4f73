#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "core/commands.h"
#include "core/decide_internal.h"

namespace ncc {

Status CheckText(const std::string& value, size_t max, const std::string& field, bool required) {
  if (required && value.empty()) return InvalidArgument("must not be empty", field);
  if (value.size() > max)
    return InvalidArgument("longer than " + std::to_string(max) + " bytes", field);
  for (unsigned char c : value)
    if (c < 0x20 && c != '\n' && c != '\t')
      return InvalidArgument("contains a control character", field);
  return Status::Ok();
}

// Codes are lower-case dotted words: "fire.structure", "civil_defence".
Status CheckCode(const std::string& value, size_t max, const std::string& field) {
  NCC_RETURN_IF_ERROR(CheckText(value, max, field, true));
  for (char c : value)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
      return InvalidArgument("must use only a-z, 0-9, '.', '_' and '-'", field);
  return Status::Ok();
}

namespace {

StatusOr<const Incident*> OpenIncident(const World& world, IncidentId id) {
  const Incident* i = world.FindIncident(id);
  if (!i) return NotFound("no incident " + std::to_string(id.value), "id");
  return i;
}

StatusOr<Decision> On(const RegisterAgency& c, const World& world, const CommandContext&) {
  NCC_RETURN_IF_ERROR(CheckCode(c.agency.code, 32, "code"));
  NCC_RETURN_IF_ERROR(CheckText(c.agency.name, Limits::kShortText, "name", true));
  NCC_RETURN_IF_ERROR(CheckCode(c.agency.kind, 32, "kind"));
  if (world.FindAgency(c.agency.code))
    return AlreadyExists("agency " + c.agency.code + " exists", "code");
  Decision d;
  d.events.push_back({AgencyRegistered{c.agency}, c.agency.code, Classification::kPublic});
  return d;
}

StatusOr<Decision> On(const CreateIncident& c, const World& world, const CommandContext& ctx) {
  NCC_RETURN_IF_ERROR(CheckCode(c.type, Limits::kTypeCode, "type"));
  if (c.priority < 1 || c.priority > 5)
    return InvalidArgument("must be 1 (most urgent) to 5", "priority");
  NCC_RETURN_IF_ERROR(ValidateLatLon(c.location, "location"));
  NCC_RETURN_IF_ERROR(CheckText(c.address, Limits::kShortText, "address", false));
  NCC_RETURN_IF_ERROR(CheckText(c.landmark, Limits::kShortText, "landmark", false));
  NCC_RETURN_IF_ERROR(CheckText(c.summary, Limits::kSummary, "summary", false));
  std::string agency = c.agency.empty() ? ctx.agency : c.agency;
  if (!world.FindAgency(agency)) return NotFound("no agency " + agency, "agency");
  Decision d;
  IncidentId id = world.NextIncidentId();
  d.created_id = id.value;
  d.events.push_back(
      {IncidentCreated{id, c.type, c.priority, c.location, c.address, c.landmark, c.summary},
       agency, c.classification});
  return d;
}

StatusOr<Decision> On(const ChangeIncidentStatus& c, const World& world, const CommandContext&) {
  auto found = OpenIncident(world, c.id);
  if (!found.ok()) return found.status();
  const Incident& i = **found;
  NCC_RETURN_IF_ERROR(CheckText(c.note, Limits::kNote, "note", false));
  NCC_RETURN_IF_ERROR(CheckTransition(i.status, c.to));
  if ((c.to == IncidentStatus::kClosed || c.to == IncidentStatus::kCancelled))
    for (const Assignment& a : i.assignments)
      if (a.active())
        // By id, as the incident's assignments list it: the caller may not be allowed to see
        // the unit itself (another agency's, above its clearance), so not its callsign.
        return FailedPrecondition("unit " + std::to_string(a.unit.value) +
                                      " is still assigned (see the incident's assignments); "
                                      "clear it first",
                                  "status");
  Decision d;
  d.events.push_back(
      {IncidentStatusChanged{i.id, i.status, c.to, c.note}, i.agency, i.classification});
  return d;
}

StatusOr<Decision> On(const AddIncidentNote& c, const World& world, const CommandContext&) {
  auto found = OpenIncident(world, c.id);
  if (!found.ok()) return found.status();
  const Incident& i = **found;
  NCC_RETURN_IF_ERROR(CheckText(c.text, Limits::kNote, "text", true));
  if (IsTerminal(i.status))
    return FailedPrecondition("incident is " + std::string(Name(i.status)) + "; notes are closed",
                              "id");
  Decision d;
  d.events.push_back({IncidentNoteAdded{i.id, c.text}, i.agency, i.classification});
  return d;
}

StatusOr<Decision> On(const ChangeIncidentPriority& c, const World& world, const CommandContext&) {
  auto found = OpenIncident(world, c.id);
  if (!found.ok()) return found.status();
  const Incident& i = **found;
  if (c.priority < 1 || c.priority > 5)
    return InvalidArgument("must be 1 (most urgent) to 5", "priority");
  NCC_RETURN_IF_ERROR(CheckText(c.reason, Limits::kNote, "reason", false));
  if (IsTerminal(i.status))
    return FailedPrecondition("incident is " + std::string(Name(i.status)), "id");
  Decision d;
  if (c.priority == i.priority) return d;  // nothing to change, nothing to log
  d.events.push_back({IncidentPriorityChanged{i.id, i.priority, c.priority, c.reason}, i.agency,
                      i.classification});
  return d;
}

StatusOr<Decision> On(const RegisterUnit& c, const World& world, const CommandContext& ctx) {
  NCC_RETURN_IF_ERROR(CheckText(c.callsign, Limits::kShortText, "callsign", true));
  NCC_RETURN_IF_ERROR(CheckCode(c.kind, 32, "kind"));
  NCC_RETURN_IF_ERROR(CheckText(c.station, Limits::kShortText, "station", false));
  if (c.capabilities.size() > Limits::kCapabilities)
    return InvalidArgument("at most " + std::to_string(Limits::kCapabilities) + " capabilities",
                           "capabilities");
  for (size_t k = 0; k < c.capabilities.size(); ++k)
    NCC_RETURN_IF_ERROR(
        CheckCode(c.capabilities[k], 32, "capabilities[" + std::to_string(k) + "]"));
  if (c.position) NCC_RETURN_IF_ERROR(ValidateLatLon(*c.position, "location"));
  std::string agency = c.agency.empty() ? ctx.agency : c.agency;
  if (!world.FindAgency(agency)) return NotFound("no agency " + agency, "agency");
  // Callsigns are unique within the agency (lanes and field accounts find a unit by its agency
  // and callsign); another agency's units are not looked at, so nothing of them is disclosed.
  if (world.FindUnitByCallsign(agency, c.callsign))
    return AlreadyExists("callsign " + c.callsign + " is taken in " + agency, "callsign");
  Decision d;
  UnitId id = world.NextUnitId();
  d.created_id = id.value;
  d.events.push_back({UnitRegistered{id, c.callsign, c.kind, c.capabilities, c.station, c.position},
                      agency, Classification::kRestricted});
  if (c.classification != Classification::kRestricted)
    d.events.push_back({UnitReclassified{id, c.classification}, agency, c.classification});
  return d;
}

// The incident follows its units: the first unit en route or on scene moves it along.
void FollowIncident(const Incident& i, UnitStatus to, Decision& d) {
  IncidentStatus next = i.status;
  if (to == UnitStatus::kEnRoute && i.status == IncidentStatus::kDispatched)
    next = IncidentStatus::kEnRoute;
  if (to == UnitStatus::kOnScene &&
      (i.status == IncidentStatus::kDispatched || i.status == IncidentStatus::kEnRoute))
    next = IncidentStatus::kOnScene;
  if (next != i.status)
    d.events.push_back(
        {IncidentStatusChanged{i.id, i.status, next, ""}, i.agency, i.classification});
}

StatusOr<Decision> On(const ChangeUnitStatus& c, const World& world, const CommandContext&) {
  const Unit* u = world.FindUnit(c.id);
  if (!u) return NotFound("no unit " + std::to_string(c.id.value), "id");
  NCC_RETURN_IF_ERROR(CheckText(c.note, Limits::kNote, "note", false));
  NCC_RETURN_IF_ERROR(CheckTransition(u->status, c.to));
  Decision d;
  d.events.push_back({UnitStatusChanged{u->id, u->status, c.to, u->incident, c.note}, u->agency,
                      u->classification});
  if (const Incident* i = world.FindIncident(u->incident)) FollowIncident(*i, c.to, d);
  return d;
}

StatusOr<const Incident*> AssignableIncident(const World& world, IncidentId id,
                                             const std::string& field) {
  const Incident* i = world.FindIncident(id);
  if (!i) return NotFound("no incident " + std::to_string(id.value), field);
  if (IsTerminal(i->status) || i->status == IncidentStatus::kResolved)
    return FailedPrecondition("incident is " + std::string(Name(i->status)), field);
  return i;
}

// The events of sending several units to one incident: all of them can go, or none does (a
// unit busy elsewhere is never double-booked; the error names it).
Status AppendAssignments(const Incident& i, const std::vector<UnitId>& units, const World& world,
                         const std::string& field, Decision& d) {
  for (size_t k = 0; k < units.size(); ++k) {
    std::string f =
        units.size() == 1 && field == "unit" ? field : field + "[" + std::to_string(k) + "]";
    const Unit* u = world.FindUnit(units[k]);
    if (!u) return NotFound("no unit " + std::to_string(units[k].value), f);
    for (size_t j = 0; j < k; ++j)
      if (units[j] == units[k])
        return InvalidArgument("unit " + u->callsign + " is listed twice", f);
    if (u->status != UnitStatus::kAvailable)
      return FailedPrecondition(
          "unit " + u->callsign + " is " + std::string(Name(u->status)) +
              (u->incident ? " on incident " + std::to_string(u->incident.value) : ""),
          f);
    d.events.push_back({UnitAssigned{i.id, u->id}, i.agency, i.classification});
    d.events.push_back({UnitStatusChanged{u->id, u->status, UnitStatus::kDispatched, i.id, ""},
                        u->agency, u->classification});
  }
  if (!units.empty() && (i.status == IncidentStatus::kNew || i.status == IncidentStatus::kTriaged))
    d.events.push_back({IncidentStatusChanged{i.id, i.status, IncidentStatus::kDispatched, ""},
                        i.agency, i.classification});
  return Status::Ok();
}

StatusOr<Decision> On(const AssignUnit& c, const World& world, const CommandContext&) {
  auto i = AssignableIncident(world, c.incident, "incident");
  if (!i.ok()) return i.status();
  Decision d;
  NCC_RETURN_IF_ERROR(AppendAssignments(**i, {c.unit}, world, "unit", d));
  return d;
}

StatusOr<Decision> On(const AssignUnits& c, const World& world, const CommandContext&) {
  auto i = AssignableIncident(world, c.incident, "incident");
  if (!i.ok()) return i.status();
  if (c.units.empty()) return InvalidArgument("name at least one unit", "units");
  if (c.units.size() > 64) return InvalidArgument("at most 64 units at once", "units");
  Decision d;
  NCC_RETURN_IF_ERROR(AppendAssignments(**i, c.units, world, "units", d));
  return d;
}

StatusOr<Decision> On(const RecordRecommendation& c, const World& world, const CommandContext&) {
  auto found = OpenIncident(world, c.incident);
  if (!found.ok()) return found.status();
  const Incident& i = **found;
  NCC_RETURN_IF_ERROR(CheckText(c.plan, Limits::kTypeCode, "plan", true));
  NCC_RETURN_IF_ERROR(CheckText(c.note, Limits::kNote, "note", false));
  if (c.units.size() > 64) return InvalidArgument("at most 64 units", "units");
  for (size_t k = 0; k < c.units.size(); ++k)
    if (!world.FindUnit(c.units[k].unit))
      return NotFound("no unit " + std::to_string(c.units[k].unit.value),
                      "units[" + std::to_string(k) + "]");
  Decision d;
  d.events.push_back(
      {RecommendationMade{i.id, c.plan, c.note, c.units, c.missing}, i.agency, i.classification});
  return d;
}

// Escalations fire once per step: the World remembers the steps already raised, so a second
// timer (a race, or the same check after a restart) is refused here.
StatusOr<Decision> On(const EscalateSla& c, const World& world, const CommandContext&) {
  auto found = OpenIncident(world, c.incident);
  if (!found.ok()) return found.status();
  const Incident& i = **found;
  if (c.step != "dispatch" && c.step != "en_route" && c.step != "on_scene")
    return InvalidArgument("must be dispatch, en_route or on_scene", "step");
  for (const std::string& s : i.escalations)
    if (s == c.step) return AlreadyExists("step " + c.step + " is already escalated", "step");
  if (IsTerminal(i.status))
    return FailedPrecondition("incident is " + std::string(Name(i.status)), "incident");
  Decision d;
  d.events.push_back(
      {SlaEscalated{i.id, c.step, c.due, c.target_s, c.plan, "supervisor@" + i.agency}, i.agency,
       i.classification});
  return d;
}

StatusOr<Decision> On(const RequestResources& c, const World& world, const CommandContext& ctx) {
  auto i = AssignableIncident(world, c.incident, "incident");
  if (!i.ok()) return i.status();
  const Incident& inc = **i;
  if (!world.FindAgency(c.to_agency)) return NotFound("no agency " + c.to_agency, "agency");
  if (c.to_agency == inc.agency)
    return FailedPrecondition("the incident belongs to " + c.to_agency + "; assign its own units",
                              "agency");
  NCC_RETURN_IF_ERROR(CheckCode(c.kind, 32, "kind"));
  if (c.count < 1 || c.count > 50) return InvalidArgument("must be 1 to 50", "count");
  NCC_RETURN_IF_ERROR(CheckText(c.reason, Limits::kNote, "reason", true));
  if (c.deadline <= ctx.now) return InvalidArgument("must be in the future", "deadline");
  Decision d;
  // The asked agency must see the incident to answer and to send units: share it if needed.
  bool shared = false;
  for (const std::string& a : inc.shared_with) shared |= a == c.to_agency;
  if (!shared)
    d.events.push_back({IncidentShared{inc.id, c.to_agency}, inc.agency, inc.classification});
  d.created_id = world.NextRequestId();
  d.events.push_back(
      {ResourceRequested{d.created_id, inc.id, c.to_agency, c.kind, c.count, c.reason, c.deadline},
       inc.agency, inc.classification});
  return d;
}

StatusOr<Decision> On(const AnswerResourceRequest& c, const World& world, const CommandContext&) {
  const ResourceRequest* r = world.FindRequest(c.id);
  if (!r) return NotFound("no resource request " + std::to_string(c.id), "id");
  if (r->status != "open") return FailedPrecondition("request is already " + r->status, "id");
  NCC_RETURN_IF_ERROR(CheckText(c.note, Limits::kNote, "note", !c.accept));
  const Incident* inc = world.FindIncident(r->incident);
  Decision d;
  if (c.accept) {
    if (c.units.empty()) return InvalidArgument("name the units you send", "units");
    if (c.units.size() > static_cast<size_t>(r->count))
      return InvalidArgument("at most " + std::to_string(r->count) + " units were asked", "units");
    for (size_t k = 0; k < c.units.size(); ++k) {
      const Unit* u = world.FindUnit(c.units[k]);
      if (u && u->agency != r->to_agency)
        return Status(StatusCode::kPermissionDenied,
                      "unit " + u->callsign + " is not of " + r->to_agency,
                      "units[" + std::to_string(k) + "]");
    }
    auto i = AssignableIncident(world, r->incident, "id");
    if (!i.ok()) return i.status();
    d.events.push_back(
        {ResourceRequestAnswered{r->id, true, c.units, c.note}, inc->agency, inc->classification});
    NCC_RETURN_IF_ERROR(AppendAssignments(*inc, c.units, world, "units", d));
  } else {
    if (!c.units.empty()) return InvalidArgument("a decline sends no units", "units");
    d.events.push_back(
        {ResourceRequestAnswered{r->id, false, {}, c.note}, inc->agency, inc->classification});
  }
  return d;
}

}  // namespace

std::optional<Rejection> CheckFixValues(const PositionFix& f, size_t index, Time now) {
  auto reject = [&](std::string field, std::string reason) {
    return Rejection{index, std::move(field), std::move(reason)};
  };
  CommandContext ctx{"", "", now};
  Status s = ValidateLatLon(f.position, "position");
  if (!s.ok()) return reject(s.field(), s.message());
  if (f.time.ms > ctx.now.ms + Limits::kFixFutureMs)
    return reject("time", "more than 60 s in the future");
  if (f.time.ms < ctx.now.ms - Limits::kFixPastMs)
    return reject("time", "more than 7 days in the past");
  if (!std::isfinite(f.speed) || f.speed < 0 || f.speed > 350)
    return reject("speed", "must be 0..350 m/s");
  if (!std::isfinite(f.heading) || f.heading < 0 || f.heading >= 360)
    return reject("heading", "must be in [0, 360)");
  return std::nullopt;
}

namespace {

std::optional<Rejection> CheckFix(const PositionFix& f, size_t index, const World& world,
                                  const CommandContext& ctx) {
  if (!world.FindUnit(f.unit))
    return Rejection{index, "unit", "no unit " + std::to_string(f.unit.value)};
  return CheckFixValues(f, index, ctx.now);
}

StatusOr<Decision> On(const ReportPositions& c, const World& world, const CommandContext& ctx) {
  if (c.fixes.size() > Limits::kPositionBatch)
    return ResourceExhausted(
        "at most " + std::to_string(Limits::kPositionBatch) + " fixes per batch", "fixes");
  Decision d;
  // One event per agency and unit label, so a reader sees only the units it may see move.
  std::map<std::pair<std::string, Classification>, size_t> event_of_label;
  for (size_t k = 0; k < c.fixes.size(); ++k) {
    const PositionFix& f = c.fixes[k];
    if (auto r = CheckFix(f, k, world, ctx)) {
      d.rejected.push_back(std::move(*r));
      continue;
    }
    const Unit& u = *world.FindUnit(f.unit);
    auto [it, fresh] =
        event_of_label.emplace(std::pair(u.agency, u.classification), d.events.size());
    if (fresh) d.events.push_back({PositionsReported{}, u.agency, u.classification});
    std::get<PositionsReported>(d.events[it->second].body).fixes.push_back(f);
  }
  return d;
}

StatusOr<Decision> On(const ShareIncident& c, const World& world, const CommandContext&) {
  auto found = OpenIncident(world, c.id);
  if (!found.ok()) return found.status();
  const Incident& i = **found;
  if (!world.FindAgency(c.agency)) return NotFound("no agency " + c.agency, "agency");
  if (c.agency == i.agency)
    return FailedPrecondition("the incident belongs to " + c.agency, "agency");
  for (const std::string& a : i.shared_with)
    if (a == c.agency) return AlreadyExists("already shared with " + c.agency, "agency");
  if (IsTerminal(i.status))
    return FailedPrecondition("incident is " + std::string(Name(i.status)), "id");
  Decision d;
  d.events.push_back({IncidentShared{i.id, c.agency}, i.agency, i.classification});
  return d;
}

// One RecordsRead per owning agency, at the highest classification read from it.
StatusOr<Decision> On(const RecordAccess& c, const World& world, const CommandContext&) {
  if (c.incidents.empty() && c.messages.empty() && c.units.empty() && c.plans.empty() &&
      c.sitreps.empty())
    return InvalidArgument("names no record", "incidents");
  if (c.incidents.size() > Limits::kMaxRecordsPerAccess)
    return InvalidArgument("at most " + std::to_string(Limits::kMaxRecordsPerAccess) + " records",
                           "incidents");
  if (c.messages.size() + c.units.size() > Limits::kMaxRecordsPerAccess)
    return InvalidArgument("at most " + std::to_string(Limits::kMaxRecordsPerAccess) + " records",
                           "messages");
  if (c.plans.size() + c.sitreps.size() > Limits::kMaxRecordsPerAccess)
    return InvalidArgument("at most " + std::to_string(Limits::kMaxRecordsPerAccess) + " records",
                           "plans");
  Decision d;
  std::map<std::string, size_t> event_of_agency;
  auto add = [&](const std::string& agency, Classification label, std::string record) {
    auto [it, fresh] = event_of_agency.emplace(agency, d.events.size());
    if (fresh) d.events.push_back({RecordsRead{{}, c.via}, agency, label});
    EventDraft& draft = d.events[it->second];
    std::get<RecordsRead>(draft.body).records.push_back(std::move(record));
    draft.classification = std::max(draft.classification, label);
  };
  for (IncidentId id : c.incidents) {
    const Incident* i = world.FindIncident(id);
    if (!i) return NotFound("no incident " + std::to_string(id.value), "incidents");
    add(i->agency, i->classification, "incident:" + std::to_string(id.value));
  }
  for (uint64_t id : c.messages) {
    const Message* m = world.FindMessage(id);
    if (!m) return NotFound("no message " + std::to_string(id), "messages");
    add(m->agency, m->classification, "message:" + std::to_string(id));
  }
  for (UnitId id : c.units) {
    const Unit* u = world.FindUnit(id);
    if (!u) return NotFound("no unit " + std::to_string(id.value), "units");
    add(u->agency, u->classification, "unit:" + std::to_string(id.value));
  }
  for (uint64_t id : c.plans) {
    const OperationPlan* p = world.FindPlan(id);
    if (!p) return NotFound("no plan " + std::to_string(id), "plans");
    add(p->agency, p->classification, "plan:" + std::to_string(id));
  }
  for (uint64_t id : c.sitreps) {
    const SitRep* r = world.FindSitRep(id);
    if (!r) return NotFound("no situation report " + std::to_string(id), "sitreps");
    add(r->agency, r->classification, "sitrep:" + std::to_string(id));
  }
  return d;
}

bool ClosedForAlarms(const Incident& i) {
  return IsTerminal(i.status) || i.status == IncidentStatus::kResolved;
}

Status CheckSource(const IncidentSource& a, const std::string& field) {
  NCC_RETURN_IF_ERROR(CheckText(a.id, Limits::kShortText, field + ".id", true));
  NCC_RETURN_IF_ERROR(CheckText(a.source, Limits::kShortText, field + ".source", true));
  NCC_RETURN_IF_ERROR(CheckCode(a.kind, 32, field + ".kind"));
  NCC_RETURN_IF_ERROR(ValidateLatLon(a.location, field + ".location"));
  NCC_RETURN_IF_ERROR(CheckText(a.sensor, Limits::kShortText, field + ".sensor", false));
  NCC_RETURN_IF_ERROR(CheckText(a.plate, Limits::kPlate, field + ".plate", false));
  NCC_RETURN_IF_ERROR(CheckText(a.details, Limits::kSummary, field + ".details", false));
  if (a.priority < 0 || a.priority > 5)
    return InvalidArgument("must be 0 (from the rules) or 1..5", field + ".priority");
  return Status::Ok();
}

// Whole command or nothing: src/alarms checked every item before correlating, so a refusal
// here means its correlator and the log disagree, and it rebuilds from the World.
StatusOr<Decision> On(const ReceiveAlarms& c, const World& world, const CommandContext& ctx) {
  if (c.items.empty()) return InvalidArgument("no alarms", "alarms");
  if (c.items.size() > Limits::kAlarmBatch)
    return ResourceExhausted("at most " + std::to_string(Limits::kAlarmBatch) + " alarms per batch",
                             "alarms");
  Decision d;
  IncidentId next = world.NextIncidentId();
  std::vector<IncidentId> target(c.items.size());
  struct Label {
    std::string agency;
    Classification classification;
    int32_t priority;
  };
  std::map<uint64_t, Label> touched;  // incidents of this command, as they will be
  std::set<std::string> ids;
  for (size_t k = 0; k < c.items.size(); ++k) {
    const ReceiveAlarms::Item& item = c.items[k];
    std::string field = "alarms[" + std::to_string(k) + "]";
    NCC_RETURN_IF_ERROR(CheckSource(item.alarm, field));
    if (item.join) {
      const Incident* i = world.FindIncident(item.join);
      if (!i) return NotFound("no incident " + std::to_string(item.join.value), field);
      if (ClosedForAlarms(*i))
        return FailedPrecondition("incident is " + std::string(Name(i->status)), field);
      target[k] = i->id;
      touched.emplace(i->id.value, Label{i->agency, i->classification, i->priority});
    } else if (item.join_item >= 0) {
      if (static_cast<size_t>(item.join_item) >= k || !target[item.join_item])
        return InvalidArgument("joins an item that opened nothing", field);
      target[k] = target[item.join_item];
    } else {
      const CreateIncident& o = item.open;
      auto created = On(o, world, ctx);
      if (!created.ok()) return created.status();
      target[k] = next;
      next = IncidentId(next.value + 1);
      if (!d.created_id) d.created_id = target[k].value;
      EventDraft draft = std::move(created->events.front());
      std::get<IncidentCreated>(draft.body).id = target[k];
      touched.emplace(target[k].value, Label{draft.agency, draft.classification, o.priority});
      d.events.push_back(std::move(draft));
    }
    Label& label = touched.at(target[k].value);
    // Alarm ids are unique within the owning agency (the incident's): another agency's alarm
    // with the same id is another alarm.
    if (world.IncidentOfAlarm(label.agency, item.alarm.id) ||
        !ids.insert(World::ScopedKey(label.agency, item.alarm.id)).second)
      return AlreadyExists("alarm " + item.alarm.id + " was already received", field + ".id");
    d.events.push_back(
        {AlarmReceived{target[k], item.alarm, item.join_item < 0 && !item.join, item.meters},
         label.agency, label.classification});
    if (item.priority_after >= 1 && item.priority_after < label.priority) {
      d.events.push_back({IncidentPriorityChanged{target[k], label.priority, item.priority_after,
                                                  item.priority_reason},
                          label.agency, label.classification});
      label.priority = item.priority_after;
    }
  }
  return d;
}

StatusOr<Decision> On(const RecordCoverage& c, const World& world, const CommandContext&) {
  const CoverageChanged& e = c.change;
  NCC_RETURN_IF_ERROR(CheckText(e.zone, Limits::kShortText, "zone", true));
  if (!(e.fraction >= 0 && e.fraction <= 1)) return InvalidArgument("must be 0..1", "fraction");
  if (!(e.target >= 0 && e.target <= 1)) return InvalidArgument("must be 0..1", "target");
  if (e.move_ups.size() > 20) return InvalidArgument("at most 20 move-ups", "move_ups");
  if (!world.FindAgency(c.agency)) return NotFound("no agency " + c.agency, "agency");
  Decision d;
  d.events.push_back({e, c.agency, Classification::kRestricted});
  return d;
}

StatusOr<Decision> On(const RegisterWebhook& c, const World&, const CommandContext& ctx) {
  const WebhookRegistered& e = c.registered;
  if (e.id == 0) return InvalidArgument("must be a positive id", "id");
  NCC_RETURN_IF_ERROR(CheckText(e.url, 2048, "url", true));
  NCC_RETURN_IF_ERROR(CheckText(e.agency, Limits::kShortText, "agency", false));
  if (e.events.size() > 64) return InvalidArgument("at most 64 event names", "events");
  for (size_t k = 0; k < e.events.size(); ++k)
    NCC_RETURN_IF_ERROR(
        CheckText(e.events[k], Limits::kShortText, "events[" + std::to_string(k) + "]", true));
  Decision d;
  d.events.push_back({e, ctx.agency, Classification::kRestricted});
  return d;
}

StatusOr<Decision> On(const RemoveWebhook& c, const World&, const CommandContext& ctx) {
  if (c.removed.id == 0) return InvalidArgument("must be a positive id", "id");
  NCC_RETURN_IF_ERROR(CheckText(c.removed.url, 2048, "url", false));
  Decision d;
  d.events.push_back({c.removed, ctx.agency, Classification::kRestricted});
  return d;
}

StatusOr<Decision> On(const ShareUnit& c, const World& world, const CommandContext&) {
  const Unit* u = world.FindUnit(c.id);
  if (!u) return NotFound("no unit " + std::to_string(c.id.value), "id");
  if (!world.FindAgency(c.agency)) return NotFound("no agency " + c.agency, "agency");
  if (c.agency == u->agency) return FailedPrecondition("the unit belongs to " + c.agency, "agency");
  for (const std::string& a : u->shared_with)
    if (a == c.agency) return AlreadyExists("already shared with " + c.agency, "agency");
  Decision d;
  d.events.push_back({UnitShared{u->id, c.agency}, u->agency, u->classification});
  return d;
}

StatusOr<Decision> On(const RecordSignIn& c, const World&, const CommandContext&) {
  NCC_RETURN_IF_ERROR(CheckText(c.user, Limits::kShortText, "user", true));
  NCC_RETURN_IF_ERROR(CheckText(c.outcome, Limits::kShortText, "outcome", true));
  NCC_RETURN_IF_ERROR(CheckText(c.address, Limits::kShortText, "address", false));
  Decision d;
  d.events.push_back(
      {SignInAttempted{c.user, c.outcome, c.address}, c.agency, Classification::kRestricted});
  return d;
}

StatusOr<Decision> On(const SplitIncident& c, const World& world, const CommandContext&) {
  auto found = OpenIncident(world, c.id);
  if (!found.ok()) return found.status();
  const Incident& i = **found;
  if (c.sources.empty()) return InvalidArgument("name at least one source to split out", "sources");
  std::set<std::string> move(c.sources.begin(), c.sources.end());
  const IncidentSource* first = nullptr;
  for (const std::string& id : move) {
    auto it = std::find_if(i.sources.begin(), i.sources.end(),
                           [&](const IncidentSource& s) { return s.id == id; });
    if (it == i.sources.end())
      return NotFound("source " + id + " is not attached to incident " + std::to_string(i.id.value),
                      "sources");
    if (!first) first = &*it;
  }
  if (move.size() >= i.sources.size())
    return InvalidArgument("a split must leave at least one source behind", "sources");
  if (c.priority < 1 || c.priority > 5) return InvalidArgument("must be 1..5", "priority");
  Decision d;
  IncidentId to = world.NextIncidentId();
  d.created_id = to.value;
  d.events.push_back({IncidentCreated{to, i.type, c.priority, first->location, "", "",
                                      "split out of incident " + std::to_string(i.id.value)},
                      i.agency, i.classification});
  d.events.push_back(
      {IncidentSplit{i.id, to, {move.begin(), move.end()}}, i.agency, i.classification});
  if (c.from_priority >= 1 && c.from_priority <= 5 && c.from_priority != i.priority)
    d.events.push_back(
        {IncidentPriorityChanged{i.id, i.priority, c.from_priority,
                                 "sources split out to incident " + std::to_string(to.value)},
         i.agency, i.classification});
  return d;
}

StatusOr<Decision> On(const SetWatchlistEntry& c, const World& world, const CommandContext& ctx) {
  std::string plate = NormalizePlate(c.plate);
  if (plate.empty())
    return InvalidArgument("plate is empty once spaces and dashes are removed", "plate");
  if (plate.size() > Limits::kPlate)
    return InvalidArgument("longer than " + std::to_string(Limits::kPlate) + " bytes", "plate");
  NCC_RETURN_IF_ERROR(CheckText(c.plate, Limits::kShortText, "plate", true));
  NCC_RETURN_IF_ERROR(CheckCode(c.list, 32, "list"));
  NCC_RETURN_IF_ERROR(CheckText(c.reason, Limits::kSummary, "reason", false));
  std::string agency = c.agency.empty() ? ctx.agency : c.agency;
  if (!world.FindAgency(agency)) return NotFound("no agency " + agency, "agency");
  Decision d;
  d.events.push_back(
      {WatchlistEntrySet{plate, c.plate, c.list, c.reason}, agency, c.classification});
  return d;
}

StatusOr<Decision> On(const RemoveWatchlistEntry& c, const World& world,
                      const CommandContext& ctx) {
  std::string plate = NormalizePlate(c.plate);
  std::string agency = c.agency.empty() ? ctx.agency : c.agency;
  auto it = world.watchlist().find({plate, agency});
  if (it == world.watchlist().end())
    return NotFound("plate " + plate + " is not on " + agency + "'s watchlist", "plate");
  Decision d;
  d.events.push_back({WatchlistEntryRemoved{plate}, agency, it->second.classification});
  return d;
}

StatusOr<Decision> On(const RecordMonitoring& c, const World& world, const CommandContext&) {
  Decision d;
  // Checkpoints are grouped per agency and unit label, like ReportPositions: a reader sees a
  // positions event only if it may see every unit in it.
  std::map<std::pair<std::string, Classification>, size_t> event_of_label;
  for (const PositionFix& f : c.checkpoint) {
    const Unit* u = world.FindUnit(f.unit);
    if (!u) continue;  // the lane screened it; a unit cannot vanish, so this is only defensive
    auto [it, fresh] =
        event_of_label.emplace(std::pair(u->agency, u->classification), d.events.size());
    if (fresh) d.events.push_back({PositionsReported{}, u->agency, u->classification});
    std::get<PositionsReported>(d.events[it->second].body).fixes.push_back(f);
  }
  auto add = [&](const auto& body, UnitId unit) {
    if (const Unit* u = world.FindUnit(unit))
      d.events.push_back({body, u->agency, u->classification});
  };
  for (const auto& e : c.stale) add(e, e.unit);
  for (const auto& e : c.exited) add(e, e.unit);
  for (const auto& e : c.entered) add(e, e.unit);
  for (const auto& e : c.alerts) add(e, e.unit);
  return d;
}

StatusOr<Decision> On(const DefineZones& c, const World&, const CommandContext& ctx) {
  Decision d;
  // Zones are national configuration: the event is public to every agency signed in.
  d.events.push_back({c.zones, ctx.agency, Classification::kPublic});
  return d;
}

}  // namespace

std::string NormalizePlate(std::string_view plate) {
  std::string out;
  out.reserve(plate.size());
  for (char c : plate) {
    if (c == ' ' || c == '-' || c == '.' || c == '_' || c == '\t') continue;
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    out.push_back(c);
  }
  return out;
}

StatusOr<Decision> On(const ReclassifyUnit& c, const World& world, const CommandContext&) {
  const Unit* u = world.FindUnit(c.id);
  if (!u) return NotFound("no unit " + std::to_string(c.id.value), "id");
  if (c.classification == u->classification)
    return AlreadyExists("the unit is already " + std::string(Name(c.classification)),
                         "classification");
  Decision d;
  d.events.push_back({UnitReclassified{u->id, c.classification}, u->agency,
                      std::max(u->classification, c.classification)});
  return d;
}

StatusOr<Decision> On(const ReclassifyIncident& c, const World& world, const CommandContext&) {
  const Incident* i = world.FindIncident(c.id);
  if (!i) return NotFound("no incident " + std::to_string(c.id.value), "id");
  if (c.classification == i->classification)
    return AlreadyExists("the incident is already " + std::string(Name(c.classification)),
                         "classification");
  Decision d;
  d.events.push_back({IncidentReclassified{i->id, c.classification}, i->agency,
                      std::max(i->classification, c.classification)});
  return d;
}

StatusOr<Decision> On(const TagZones& c, const World& world, const CommandContext&) {
  const Incident* i = world.FindIncident(c.tag.incident);
  if (!i) return NotFound("no incident " + std::to_string(c.tag.incident.value), "incident");
  if (c.tag.zones.size() > Limits::kZonesPerTag)
    return InvalidArgument("at most " + std::to_string(Limits::kZonesPerTag) + " zones", "zones");
  for (size_t k = 0; k < c.tag.zones.size(); ++k)
    NCC_RETURN_IF_ERROR(
        CheckText(c.tag.zones[k], Limits::kShortText, "zones[" + std::to_string(k) + "]", true));
  if (!c.tag.alarm.empty() && world.IncidentOfAlarm(i->agency, c.tag.alarm) != i->id)
    return NotFound("no alarm " + c.tag.alarm + " on incident " + std::to_string(i->id.value),
                    "alarm");
  Decision d;
  d.events.push_back({c.tag, i->agency, i->classification});
  return d;
}

StatusOr<Decision> Decide(const Command& command, const World& world, const CommandContext& ctx) {
  return std::visit([&](const auto& c) { return On(c, world, ctx); }, command);
}

namespace {

// Command ids are opaque to ncc but end up in the log and in headers: printable ASCII only.
Status CheckCommandId(std::string_view id) {
  bool printable = !id.empty() && id.size() <= Limits::kCommandId;
  for (unsigned char ch : id) printable = printable && ch >= 0x21 && ch <= 0x7e;
  if (printable) return Status::Ok();
  return Malformed("must be 1 to " + std::to_string(Limits::kCommandId) +
                       " printable ASCII characters, without spaces",
                   "Idempotency-Key");
}

Decision Replay(const CommandRecord& record) {
  Decision d;
  d.replayed = true;
  d.created_id = record.created_id;
  d.replayed_last_seq = record.seq;
  d.replayed_events = record.events + 1;
  for (const RejectedItem& r : record.rejected)
    d.rejected.push_back({static_cast<size_t>(r.index), r.field, r.reason});
  return d;
}

void Stamp(EventBody body, std::string agency, Classification label, World& world,
           const CommandContext& ctx, std::vector<Event>& out) {
  Event& e = out.emplace_back();
  e.meta = {Seq(world.last_seq().value + 1), ctx.now, ctx.actor, std::move(agency), label};
  e.body = std::move(body);
  world.Apply(e);
}

}  // namespace

StatusOr<Decision> Execute(const Command& command, World& world, const CommandContext& ctx,
                           std::vector<Event>& out) {
  const bool keyed = !ctx.command_id.empty();
  if (keyed) {
    NCC_RETURN_IF_ERROR(CheckCommandId(ctx.command_id));
    const CommandRecord* seen = world.FindCommand(ctx.actor, ctx.command_id);
    // Past the retention the id is new again (the World drops it at the next record).
    if (seen && seen->time.ms >= ctx.now.ms - kCommandIdRetentionMs) {
      if (seen->request != ctx.request)
        return InvalidArgument("this Idempotency-Key was used for another request",
                               "Idempotency-Key");
      return Replay(*seen);
    }
  }
  auto decision = Decide(command, world, ctx);
  if (!decision.ok()) return decision;
  Classification label = Classification::kRestricted;
  for (EventDraft& draft : decision->events) {
    label = std::max(label, draft.classification);
    Stamp(std::move(draft.body), std::move(draft.agency), draft.classification, world, ctx, out);
  }
  if (keyed) {
    CommandRecorded record{
        ctx.command_id, ctx.request, decision->created_id, decision->events.size(), {}};
    for (const Rejection& r : decision->rejected)
      record.rejected.push_back({r.index, r.field, r.reason});
    Stamp(std::move(record), ctx.agency, label, world, ctx, out);
  }
  decision->events.clear();  // moved into `out`
  return decision;
}

}  // namespace ncc
