// The labels records are read and written under, for the one authorization function
// (auth::Authorize / auth::CanSee). Every route and the stream go through these, so a record's
// visibility is decided the same way everywhere.
#pragma once

#include "auth/authorize.h"
#include "core/world.h"

namespace ncc {

auth::RecordLabel LabelOf(const Incident& incident);
auth::RecordLabel LabelOf(const Unit& unit);

// The label an event is read under: its record's current label (so an agency that is shared
// an incident later sees its whole history), or the event's own envelope when it has no record.
auth::RecordLabel LabelOfEvent(const Event& event, const World& world);

// Whether `who` may see `event` in /events and the stream: event.read on LabelOfEvent, and for
// watchlist events (plates and reasons) watchlist.read too.
bool CanSeeEvent(const auth::Principal& who, const Event& event, const World& world);

// Field crews may move only their own unit: an account that holds no dispatcher or supervisor
// role in the unit's agency must be named after the unit's callsign.
Status CheckOwnUnit(const auth::Principal& who, const Unit& unit);

}  // namespace ncc
