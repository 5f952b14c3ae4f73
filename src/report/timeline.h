// What a report is computed from: every incident of a log as a timeline (its creation, each
// unit's steps on it, its end), the units, and the changes of the two counts the time series
// draws. Plain values read out of the log by ReadLog (log_reader.h); the figures (figures.h)
// are pure functions over them, so tests can build them by hand.
#pragma once

#include <string>
#include <vector>

#include "core/events.h"

namespace ncc::report {

// A span of the log: the first and last seq an answer was computed from (0, 0: none).
struct SeqRange {
  Seq first, last;
  void Add(Seq s) {
    if (!s) return;
    if (!first || s < first) first = s;
    if (s > last) last = s;
  }
  void Add(const SeqRange& r) {
    Add(r.first);
    Add(r.last);
  }
};

// One unit's work on one incident (a "row" in the field's words: a unit response). A zero Time
// means the step is not in the log. Times are the events' own; nothing is reordered.
struct UnitResponseRow {
  UnitId unit;
  std::string callsign, agency, kind;
  Time assigned, en_route, on_scene, cleared;
  SeqRange seqs;
};

struct IncidentTimeline {
  IncidentId id;
  std::string agency, type;
  int priority = 3;
  LatLon location;
  Time created;
  Time ended;              // first resolved/closed/cancelled/merged (0: still open at the end)
  std::string end_status;  // its status name, "" while open
  SeqRange seqs;
  std::vector<UnitResponseRow> rows;  // in the order the log names them
};

struct UnitRecord {
  UnitId id;
  std::string callsign, agency, kind;
  Time registered;
};

// +1/-1 on a count at an event (open incidents, available units).
struct CountChange {
  Time time;
  Seq seq;
  int delta = 0;
};

// An SLA escalation the dispatch room logged (sla_escalated).
struct LoggedEscalation {
  IncidentId incident;
  std::string step;
  Seq seq;
};

struct LogContent {
  std::vector<IncidentTimeline> incidents;  // by id
  std::vector<UnitRecord> units;            // by id
  std::vector<CountChange> open_incidents, available_units;
  std::vector<LoggedEscalation> escalations;
  SeqRange seqs;  // every event read
  Time first_time, last_time;
  uint64_t events = 0;
  std::string chain_head;  // hex SHA-256 of the last event read
  // Events that name a record the log never created (counted, otherwise ignored).
  uint64_t unknown_references = 0;
};

}  // namespace ncc::report
