#include "visibility/redact.h"

#include <algorithm>

#include "core/json_writer.h"
#include "core/stored_event.h"
#include "visibility/access.h"

namespace ncc {
namespace {

const std::string kWithheldText(kWithheld);

// The status name after "<callsign> " in a timeline entry of kind "unit", if `text` is one.
bool NamesUnit(const std::string& text, const std::string& callsign, std::string* rest) {
  if (text.size() <= callsign.size() + 1 || text.compare(0, callsign.size(), callsign) != 0 ||
      text[callsign.size()] != ' ')
    return false;
  std::string tail = text.substr(callsign.size() + 1);
  if (!ParseUnitStatus(tail)) return false;
  *rest = std::move(tail);
  return true;
}

void Withhold(TimelineEntry& entry, const std::string& what) {
  entry.actor = kWithheldText;
  entry.text = kWithheldText + " unit " + what;
}

}  // namespace

bool CanSeeUnit(const auth::Principal& who, UnitId id, const World& world) {
  const Unit* u = world.FindUnit(id);
  return u && auth::CanSee(who, LabelOf(*u), auth::Action::kUnitRead);
}

bool CanSeeIncident(const auth::Principal& who, IncidentId id, const World& world) {
  const Incident* i = world.FindIncident(id);
  return i && auth::CanSee(who, LabelOf(*i), auth::Action::kIncidentRead);
}

Incident VisibleIncident(const auth::Principal& who, const Incident& incident, const World& world) {
  Incident out = incident;
  bool any_hidden = false;
  std::vector<bool> hidden(out.assignments.size());
  for (size_t k = 0; k < out.assignments.size(); ++k) {
    hidden[k] = !CanSeeUnit(who, out.assignments[k].unit, world);
    any_hidden = any_hidden || hidden[k];
  }
  std::erase_if(out.recommended, [&](UnitId u) { return !CanSeeUnit(who, u, world); });
  if (!any_hidden) return out;
  // The k-th "assignment" entry of the timeline is the k-th assignment (World::Apply appends
  // both for each unit_assigned); a "unit" entry is "<callsign> <status>" of an assigned unit.
  // When a visible and a hidden assigned unit share a callsign (two agencies), the entry is
  // withheld: it may be the hidden one's.
  size_t assignment = 0;
  for (TimelineEntry& t : out.timeline) {
    if (t.kind == "assignment") {
      if (assignment < hidden.size() && hidden[assignment]) Withhold(t, "assigned");
      ++assignment;
    } else if (t.kind == "unit") {
      for (size_t k = 0; k < out.assignments.size(); ++k) {
        if (!hidden[k]) continue;
        const Unit* u = world.FindUnit(out.assignments[k].unit);
        std::string status;
        if (u && NamesUnit(t.text, u->callsign, &status)) {
          Withhold(t, status);
          break;
        }
      }
    }
  }
  for (size_t k = 0; k < out.assignments.size(); ++k)
    if (hidden[k]) out.assignments[k].unit = UnitId();
  return out;
}

nlohmann::json VisibleIncidentJson(const auth::Principal& who, const Incident& incident,
                                   const World& world, bool with_timeline) {
  nlohmann::json j = JsonWriter::ToJson(VisibleIncident(who, incident, world));
  if (!with_timeline) j.erase("timeline");
  return j;
}

Unit VisibleUnit(const auth::Principal& who, const Unit& unit, const World& world) {
  Unit out = unit;
  if (out.incident && !CanSeeIncident(who, out.incident, world)) out.incident = IncidentId();
  return out;
}

nlohmann::json VisibleUnitJson(const auth::Principal& who, const Unit& unit, const World& world) {
  return JsonWriter::ToJson(VisibleUnit(who, unit, world));
}

nlohmann::json VisibleMessageJson(const auth::Principal& who, const Message& message,
                                  const World& world) {
  Message out = message;
  for (Mention& m : out.mentions)
    if (m.kind == "unit" && !CanSeeUnit(who, m.unit, world)) m.unit = UnitId();
  return JsonWriter::ToJson(out);
}

nlohmann::json VisibleRequestJson(const auth::Principal& who, const ResourceRequest& request,
                                  const World& world) {
  ResourceRequest out = request;
  std::erase_if(out.units, [&](UnitId u) { return !CanSeeUnit(who, u, world); });
  return JsonWriter::ToJson(out);
}

std::shared_ptr<const std::string> VisibleEventJson(const auth::Principal& who, const Event& event,
                                                    const World& world,
                                                    std::shared_ptr<const std::string> stored) {
  if (!CanSeeEvent(who, event, world)) return nullptr;
  auto hidden = [&](UnitId u) { return !CanSeeUnit(who, u, world); };
  std::optional<Event> copy;
  if (const auto* a = std::get_if<UnitAssigned>(&event.body)) {
    if (hidden(a->unit)) {
      copy = event;
      std::get<UnitAssigned>(copy->body).unit = UnitId();
    }
  } else if (const auto* r = std::get_if<RecommendationMade>(&event.body)) {
    if (std::any_of(r->units.begin(), r->units.end(),
                    [&](const RecommendedUnit& u) { return hidden(u.unit); })) {
      copy = event;
      std::erase_if(std::get<RecommendationMade>(copy->body).units,
                    [&](const RecommendedUnit& u) { return hidden(u.unit); });
    }
  } else if (const auto* answered = std::get_if<ResourceRequestAnswered>(&event.body)) {
    if (std::any_of(answered->units.begin(), answered->units.end(), hidden)) {
      copy = event;
      std::erase_if(std::get<ResourceRequestAnswered>(copy->body).units, hidden);
    }
  } else if (const auto* posted = std::get_if<ChannelMessagePosted>(&event.body)) {
    auto hidden_mention = [&](const Mention& m) { return m.kind == "unit" && hidden(m.unit); };
    if (std::any_of(posted->mentions.begin(), posted->mentions.end(), hidden_mention)) {
      copy = event;
      for (Mention& m : std::get<ChannelMessagePosted>(copy->body).mentions)
        if (hidden_mention(m)) m.unit = UnitId();
    }
  } else if (const auto* coverage = std::get_if<CoverageChanged>(&event.body)) {
    auto hidden_move = [&](const CoverageMoveUp& m) { return hidden(m.unit); };
    if (std::any_of(coverage->move_ups.begin(), coverage->move_ups.end(), hidden_move)) {
      copy = event;
      std::erase_if(std::get<CoverageChanged>(copy->body).move_ups, hidden_move);
    }
  }
  if (!copy) return stored;
  return std::make_shared<const std::string>(EventToJson(*copy).dump());
}

}  // namespace ncc
