// The records that make up the World: agencies, incidents (with their timeline and
// assignments), and units. Plain structs; each lists its fields once in Fields(), which the
// binary codec, the JSON writer and the World digest all walk.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/geo_point.h"
#include "core/ids.h"
#include "core/lifecycle.h"

namespace ncc {

struct Agency {
  std::string code;  // short stable key, e.g. "police", "ambulance", "civil_defence"
  std::string name;
  std::string kind;  // police | ambulance | fire | civil_defence | coast_guard | other
  template <typename V>
  void Fields(V& v) {
    v("code", code);
    v("name", name);
    v("kind", kind);
  }
};

// One line of an incident's timeline: a note, a status change, an assignment.
struct TimelineEntry {
  Time time;
  std::string actor;
  std::string kind;  // note | status | assignment | created
  std::string text;
  template <typename V>
  void Fields(V& v) {
    v("time", time);
    v("actor", actor);
    v("kind", kind);
    v("text", text);
  }
};

// Times of each step of one unit's work on one incident; a zero Time means "not reached".
struct Assignment {
  UnitId unit;
  Time assigned, en_route, on_scene, transporting, at_hospital, cleared;
  bool active() const { return cleared.ms == 0; }
  template <typename V>
  void Fields(V& v) {
    v("unit", unit);
    v("assigned", assigned);
    v("en_route", en_route);
    v("on_scene", on_scene);
    v("transporting", transporting);
    v("at_hospital", at_hospital);
    v("cleared", cleared);
  }
};

// One source attached to an incident: a sensor alarm, a camera analytic, a plate hit or a call.
// Correlation (src/alarms) attaches every source it merges; the same list rebuilds the
// correlator after a restart, so it carries everything correlation decides on.
struct IncidentSource {
  std::string id;      // unique across the system ("psim-7/123", "call-12")
  std::string source;  // the sending system, e.g. "psim-north", "anpr", "cad"
  std::string kind;    // intrusion | cctv | lpr_hit | panic | fire_panel | call
  LatLon location;
  Time time;              // when the sensor saw it (not when ncc received it)
  std::string sensor;     // sensor, camera or caller line; empty: the source stands alone
  std::string plate;      // lpr_hit: the plate read (normalised)
  std::string watchlist;  // lpr_hit matched against ncc's watchlists: the list's name
  int32_t priority = 0;   // 0: from the correlation rules; a call's priority as given
  std::string details;    // free text from the sender
  template <typename V>
  void Fields(V& v) {
    v("id", id);
    v("source", source);
    v("kind", kind);
    v("location", location);
    v("time", time);
    v("sensor", sensor);
    v("plate", plate);
    v("watchlist", watchlist);
    v("priority", priority);
    v("details", details);
  }
};

struct Incident {
  IncidentId id;
  std::string type;      // dotted type code, e.g. "fire.structure", "medical.cardiac"
  int32_t priority = 3;  // 1 (most urgent) .. 5
  LatLon location;
  std::string address;
  std::string landmark;
  std::string summary;
  std::string agency;  // owning agency
  Classification classification = Classification::kRestricted;
  std::vector<std::string> shared_with;  // agencies the owner shared this incident with
  IncidentStatus status = IncidentStatus::kNew;
  Time created;
  Time updated;
  Seq last_seq;
  std::vector<TimelineEntry> timeline;
  std::vector<Assignment> assignments;
  std::vector<IncidentSource> sources;  // alarms and calls correlated into this incident
  IncidentId split_from;                // an operator split this incident out of another
  // Dispatch (src/dispatch): the plan of the last recommendation, the units it named, and the
  // time-target steps already escalated (so an escalation fires once, across restarts).
  std::string plan;
  std::vector<UnitId> recommended;
  std::vector<std::string> escalations;
  // Monitoring: the geofence zones its location lies in (zones_tagged, from src/monitor).
  std::vector<std::string> zones;
  template <typename V>
  void Fields(V& v) {
    v("id", id);
    v("type", type);
    v("priority", priority);
    v("location", location);
    v("address", address);
    v("landmark", landmark);
    v("summary", summary);
    v("agency", agency);
    v("classification", classification);
    v("shared_with", shared_with);
    v("status", status);
    v("created", created);
    v("updated", updated);
    v("last_seq", last_seq);
    v("timeline", timeline);
    v("assignments", assignments);
    v("sources", sources);
    v("split_from", split_from);
    v("plan", plan);
    v("recommended", recommended);
    v("escalations", escalations);
    v("zones", zones);
  }
};

// A plate of interest, owned by the agency that listed it (the event envelope's agency and
// classification label it). Keyed by (plate, agency): two agencies may list the same plate.
struct WatchlistEntry {
  std::string plate;    // normalised: upper-case, no spaces, dashes, dots or underscores
  std::string entered;  // as the operator typed it
  std::string list;     // e.g. "stolen", "wanted", "amber"
  std::string reason;   // shown to the operator; may be sensitive
  std::string agency;
  Classification classification = Classification::kRestricted;
  Time added;
  std::string actor;
  template <typename V>
  void Fields(V& v) {
    v("plate", plate);
    v("entered", entered);
    v("list", list);
    v("reason", reason);
    v("agency", agency);
    v("classification", classification);
    v("added", added);
    v("actor", actor);
  }
};

struct Unit {
  UnitId id;
  std::string callsign;
  std::string agency;
  std::vector<std::string> shared_with;  // agencies the owner shared this unit with
  Classification classification = Classification::kRestricted;
  std::string kind;  // engine | ladder | ambulance | patrol | boat | ...
  std::vector<std::string> capabilities;
  std::string station;
  UnitStatus status = UnitStatus::kAvailable;
  IncidentId incident;  // current assignment, 0 when none
  std::optional<LatLon> position;
  Time position_time;
  double speed = 0;    // m/s, as reported
  double heading = 0;  // degrees from north, as reported
  bool stale = false;  // the AVL lane's last unit_stale said so (kept across restarts)
  Time updated;
  Seq last_seq;
  template <typename V>
  void Fields(V& v) {
    v("id", id);
    v("callsign", callsign);
    v("agency", agency);
    v("shared_with", shared_with);
    v("classification", classification);
    v("kind", kind);
    v("capabilities", capabilities);
    v("station", station);
    v("status", status);
    v("incident", incident);
    v("position", position);
    v("position_time", position_time);
    v("speed", speed);
    v("heading", heading);
    v("stale", stale);
    v("updated", updated);
    v("last_seq", last_seq);
  }
};

// Someone or something a message names with "@name": a user (an account), a unit (by its
// callsign, in one of the channel's agencies) or an agency (by its code). Resolved when posted.
struct Mention {
  std::string kind;    // user | unit | agency
  std::string name;    // as written after '@'
  UnitId unit;         // kind unit
  std::string agency;  // kind unit: the unit's agency; kind agency: the code
  template <typename V>
  void Fields(V& v) {
    v("kind", kind);
    v("name", name);
    v("unit", unit);
    v("agency", agency);
  }
};

// A message posted in a channel (core/channel.h; an incident's messages are its channel's):
// its own record with its own label. The author's agency owns it; it is shared with the
// agencies named at posting (by default every agency of the channel), and it is never less
// classified than its channel's subject. A reader must see both.
struct Message {
  uint64_t id = 0;
  IncidentId incident;  // an incident channel's incident (also of messages posted before channels)
  std::string agency;   // the author's agency, which owns the message
  Classification classification = Classification::kRestricted;
  std::vector<std::string> shared_with;
  std::string author;
  Time time;
  std::string text;
  Seq seq;
  uint64_t channel = 0;  // 0: posted before channels (message_posted): its incident's channel
  std::vector<Mention> mentions;
  template <typename V>
  void Fields(V& v) {
    v("id", id);
    v("channel", channel);
    v("mentions", mentions);
    v("incident", incident);
    v("agency", agency);
    v("classification", classification);
    v("shared_with", shared_with);
    v("author", author);
    v("time", time);
    v("text", text);
    v("seq", seq);
  }
};

// Mutual aid: one agency asks another for units for one of its incidents.
struct ResourceRequest {
  uint64_t id = 0;
  IncidentId incident;
  std::string from_agency;  // the incident's agency, which asks
  std::string to_agency;    // the agency asked
  std::string kind;         // capability asked for, e.g. "ambulance"
  int32_t count = 1;
  std::string reason;
  Time deadline;                // answer wanted by
  std::string status = "open";  // open | accepted | declined
  Time created, answered;
  std::string answered_by;
  std::vector<UnitId> units;  // sent on acceptance
  std::string note;           // the answer's note (a decline's reason)
  template <typename V>
  void Fields(V& v) {
    v("id", id);
    v("incident", incident);
    v("from_agency", from_agency);
    v("to_agency", to_agency);
    v("kind", kind);
    v("count", count);
    v("reason", reason);
    v("deadline", deadline);
    v("status", status);
    v("created", created);
    v("answered", answered);
    v("answered_by", answered_by);
    v("units", units);
    v("note", note);
  }
};

}  // namespace ncc
