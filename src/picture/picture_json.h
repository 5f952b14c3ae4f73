// The picture at a past moment as one reader is shown it (GET /api/v1/picture): the incidents
// open then and every unit, in the shapes of GET /api/v1/incidents and /units, so the console
// draws a past picture with the code that draws the live one.
//
// Visibility is the one of every answer: a record is shown when the reader may see it under its
// CURRENT label (auth::CanSee on the live World, as /events judges history: an agency shared an
// incident later sees its past too, a record classified secret since is hidden from its past
// too), and what it names goes through the same redaction (visibility/redact.h) against the
// live World. Confidential and secret records shown (then or now) are listed for the audit.
//
// Positions: the unit's newest track fix at or before the moment when it is newer than the
// World's checkpointed position (`fix_at`, from the track store; may be empty).
//
// Pure: no I/O, no locks (the caller holds the engine's read lock on `now`). Any thread.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>

#include "auth/authorize.h"
#include "core/commands.h"
#include "core/world.h"
#include "track/track_format.h"

namespace ncc::picture {

// The unit's newest fix at or before the picture's moment, if any.
using FixAt = std::function<std::optional<track::TrackFix>(UnitId)>;

struct PictureView {
  const World* past = nullptr;  // the World just after event `seq`
  Seq seq;
  Time event_time{0};  // time of event `seq`
  Time at{0};          // the moment shown (positions up to it); >= event_time
  Seq head;            // the log's last event when asked
  uint64_t after = 0;  // incidents: ids after this one (paging, as /incidents)
  uint64_t limit = 1000;
};

struct Picture {
  nlohmann::json body;
  RecordAccess audited;
};

// An incident the console counts as open (new, triaged, dispatched, en route, on scene).
bool IsOpenInPicture(IncidentStatus status);

Picture RenderPicture(const auth::Principal& who, const PictureView& view, const World& now,
                      const FixAt& fix_at);

}  // namespace ncc::picture
