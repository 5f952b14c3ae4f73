// The labels records are read and written under, for the one authorization function
// (auth::Authorize / auth::CanSee). Every route and the stream go through these, so a record's
// visibility is decided the same way everywhere.
#pragma once

#include <set>

#include "auth/authorize.h"
#include "core/commands.h"
#include "core/world.h"

namespace ncc {

auth::RecordLabel LabelOf(const Incident& incident);
auth::RecordLabel LabelOf(const Unit& unit);
auth::RecordLabel LabelOf(const Message& message);
// A plan is owned by its lead agency and shared with every participating agency; its tasks,
// phases and points are read under the plan's label.
auth::RecordLabel LabelOf(const OperationPlan& plan);
// The plan an event is about, or 0.
uint64_t PlanIdOf(const EventBody& body);
// A situation report: its author's agency, its label, the agencies it is shared with.
auth::RecordLabel LabelOf(const SitRep& report);
uint64_t SitRepIdOf(const EventBody& body);
// A public warning is public once issued: every principal holding warning.read in its home
// agency reads every warning and its warning_issued event, whichever agency issued it.
bool CanSeeWarning(const auth::Principal& who, const PublicWarning& warning);
// A channel is read under its subject's current label (World::LabelOfSubject).
auth::RecordLabel LabelOf(const Channel& channel, const World& world);
// channel.read on the channel's label.
bool CanSeeChannel(const auth::Principal& who, const Channel& channel, const World& world);
// The channel an event is about (channel_opened, channel_message_posted, messages_delivered,
// messages_read), or 0.
uint64_t ChannelIdOf(const EventBody& body);
// A message is read with incident.read on its own label AND on its incident's: a reader who may
// not see the incident sees none of its messages. A message of another channel is read with
// channel.read on its own label and on its channel's.
bool CanSeeMessage(const auth::Principal& who, const Message& message, const World& world);

// The label an event is read under: its record's current label (so an agency that is shared
// an incident later sees its whole history), or the event's own envelope when it has no record.
auth::RecordLabel LabelOfEvent(const Event& event, const World& world);

// Whether `who` may see `event` on the stream or /events: event.read on LabelOfEvent; for
// watchlist events (plates and reasons) watchlist.read too, webhook events (URLs)
// webhook.manage; audit events (records_read,
// sign_in_attempted) need audit.read in their agency instead; a message also needs its
// incident; a positions event needs every unit in it.
bool CanSeeEvent(const auth::Principal& who, const Event& event, const World& world);

// Reads that must leave an audit trail: the incident `event` is about, when it is classified
// confidential or secret. Audit events themselves are not records.
std::optional<IncidentId> ConfidentialIncidentOf(const Event& event, const World& world);

// Collects the confidential and secret records a page of events showed (incidents, messages,
// units), once each, for one RecordAccess command.
class ReadRecorder {
 public:
  void Add(const Event& event, const World& world);
  bool empty() const { return incidents_.empty() && messages_.empty() && units_.empty(); }
  RecordAccess Take(std::string via) const;

 private:
  std::set<uint64_t> incidents_, messages_, units_;
};
bool IsConfidential(const Incident& incident);
// Field crews may move only their own unit: an account that holds no dispatcher or supervisor
// role in the unit's agency must be named after the unit's callsign.
Status CheckOwnUnit(const auth::Principal& who, const Unit& unit);

}  // namespace ncc
