// The audit trail over the event log: proof that the log is whole (hash chain plus signed
// anchors), and who read or changed a given record, when.
//
// Pure functions over an EventLog and files; any thread may call them (they read only).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "auth/chain_anchor.h"
#include "core/events.h"
#include "core/status.h"
#include "store/event_log.h"

namespace ncc::audit {

struct VerifyReport {
  Seq last_seq;         // events in the log
  int anchors = 0;      // signed anchors checked
  Seq last_anchored;    // events up to here are covered by a signed anchor
  std::string warning;  // e.g. no anchors: a consistent rewrite would go unnoticed
};

// Checks every link of the chain (VerifyChain), the log against the newest snapshot in
// <data_dir>/snapshots (CheckLogAgainstSnapshots, as start-up does: a log shorter than what a
// snapshot saw is refused), then every anchor in <data_dir>/anchors.log against the log under
// `public_key_hex` (empty: <data_dir>/anchor.pub; pass a copy kept off the machine to also
// catch a replaced key). kDataLoss naming the first bad seq, snapshot or anchor. Reads only.
StatusOr<VerifyReport> Verify(const EventLog& log, const std::string& data_dir,
                              std::string public_key_hex = {},
                              void (*progress)(Seq reached, Seq last) = nullptr);

// The anchor half of Verify, which start-up runs too: every signed anchor in
// <data_dir>/anchors.log must match the log's hash at its seq. A log shorter than its newest
// anchor (events lost after an acknowledgement: dropped WAL frames, rows deleted) or differing
// from one is kDataLoss naming the log's last seq and the anchor that proves more existed.
// No anchors.log: OK with no anchors. `public_key_hex` empty: <data_dir>/anchor.pub.
StatusOr<auth::AnchorReport> CheckAnchors(const EventLog& log, const std::string& data_dir,
                                          std::string public_key_hex = {});

// The records an event is about, as "incident:12", "unit:7", "agency:police".
std::vector<std::string> RecordsOf(const Event& event);

// One line of a record's audit trail.
struct TrailEntry {
  Seq seq;
  Time time;
  std::string actor;
  std::string action;  // the event name: incident_created, records_read, ...
  std::string detail;  // for reads: the route or stream that showed it
};

// Every event about `record` ("incident:12"), oldest first: changes and audited reads.
// kInvalidArgument when `record` is not kind:id.
StatusOr<std::vector<TrailEntry>> Trail(const EventLog& log, const std::string& record);

}  // namespace ncc::audit
