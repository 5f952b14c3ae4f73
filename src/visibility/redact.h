// One redaction function per record view: every answer that shows a record naming other records
// (an incident's assignments and timeline, a recommendation, a mutual-aid request, an event)
// goes through one of these, so a reader never learns — by id or callsign — a record it may not
// see (auth::CanSee). The record itself must already be visible to the reader; these decide only
// what of the records it names is shown.
//
// The rule (docs/security.md, "What an answer names"): a unit the reader may not see
//   - in an incident's assignments: the assignment stays (times kept: someone is committed)
//     with "unit": null;
//   - in its timeline: "withheld unit assigned" / "withheld unit on_scene", actor "withheld";
//   - in recommendations (the incident's `recommended`, recommendation_made) and in mutual-aid
//     answers (resource_request_answered, a request's `units`): left out;
//   - in unit_assigned: "unit": null;
//   - in coverage_changed move-ups: left out;
//   - in a message's mentions: the name stays (it is in the text), the id is 0.
// A unit's `incident` is null when the reader may not see that incident.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "auth/authorize.h"
#include "core/events.h"
#include "core/world.h"

namespace ncc {

// What stands in for a record the reader may not see, where the answer says one is there.
inline constexpr std::string_view kWithheld = "withheld";

// unit.read on the unit's current label (false for an unknown unit).
bool CanSeeUnit(const auth::Principal& who, UnitId unit, const World& world);
// incident.read on the incident's current label (false for an unknown incident).
bool CanSeeIncident(const auth::Principal& who, IncidentId incident, const World& world);

// The incident as `who` is shown it (for JSON, CAP, EIDO and CoT alike).
Incident VisibleIncident(const auth::Principal& who, const Incident& incident, const World& world);
nlohmann::json VisibleIncidentJson(const auth::Principal& who, const Incident& incident,
                                   const World& world, bool with_timeline);

// The unit as `who` is shown it.
Unit VisibleUnit(const auth::Principal& who, const Unit& unit, const World& world);
nlohmann::json VisibleUnitJson(const auth::Principal& who, const Unit& unit, const World& world);

// A message as `who` is shown it: a mentioned unit it may not see keeps its name (the text says
// it anyway) without its id ("unit": 0; the same in channel_message_posted events).
nlohmann::json VisibleMessageJson(const auth::Principal& who, const Message& message,
                                  const World& world);

// A mutual-aid request as `who` is shown it.
nlohmann::json VisibleRequestJson(const auth::Principal& who, const ResourceRequest& request,
                                  const World& world);

// The one event filter of the stream, GET /events and webhook deliveries: nullptr when `who`
// may not see `event` (CanSeeEvent); `stored` (its JSON as logged) when it names nothing hidden
// from `who`; otherwise the event rendered again without what is hidden.
std::shared_ptr<const std::string> VisibleEventJson(const auth::Principal& who, const Event& event,
                                                    const World& world,
                                                    std::shared_ptr<const std::string> stored);

}  // namespace ncc
