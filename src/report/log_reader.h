// Reads what a report needs out of an ncc event log: the incidents as timelines, the units, the
// counts the time series draws. Reads only, through the store's chain walk (WalkChain): every
// event's hash and link is checked as it is read, so a report never shows figures from a log
// that was altered; only the event types a report uses are decoded.
//
// The reader keeps what the log says, in log order, and interprets nothing: a step of a unit
// that was never assigned opens a row without an assignment time, a step logged twice keeps its
// first time, times are never reordered. The data-quality rules (figures.h) judge the rows.
//
// Runs on the caller's thread. Errors: kNotFound (no folder, no events.db), kDataLoss naming
// the seq (a broken chain, an undecodable event), kFailedPrecondition (a log with no events),
// and the store's own open errors, each prefixed with the path.
#pragma once

#include <string>

#include "report/timeline.h"
#include "store/event_log.h"

namespace ncc::report {

using Progress = void (*)(Seq reached, Seq last);

// Every event of `log` up to its last seq when the call starts (a live log may grow meanwhile;
// the rest is not read). Progress, if set, every 100k events.
StatusOr<LogContent> ReadLog(const EventLog& log, Progress progress = nullptr);

// Opens DIR/events.db read-only (no file in the folder changes: a live or crashed server's
// folder is read as it is) and reads it.
StatusOr<LogContent> ReadDataFolder(const std::string& dir, Progress progress = nullptr);

}  // namespace ncc::report
