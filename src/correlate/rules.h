// Correlation rules, read from a JSON file (see rules/default.json):
//
//   {"version": 1,
//    "pairs": [{"kinds": ["intrusion", "cctv"], "distance_m": 150, "window_s": 300}, ...],
//    "priority": {"panic": 1, "intrusion": 2, ...},         // base priority, 1 = most urgent
//    "escalation": [{"min_sources": 2, "raise": 1}, ...],  // independent sources -> levels up
//    "dedupe_window_s": 300,                               // same sensor re-firing
//    "types": {"intrusion": "alarm.intrusion", ...}}       // incident type an alarm opens
//
// Two alarms may belong to one group only if their kinds are listed as a pair (order does not
// matter), they are at most distance_m apart and at most window_s apart in time.
// Thread: immutable after parsing; any thread.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "correlate/alarm.h"

namespace ncc::correlate {

struct PairRule {
  bool compatible = false;
  double distance_m = 0;
  int64_t window_ms = 0;
};

struct Escalation {
  size_t min_sources = 2;
  int raise = 1;
};

struct Rules {
  std::array<std::array<PairRule, kAlarmKinds>, kAlarmKinds> pairs{};
  std::array<int, kAlarmKinds> priority{3, 3, 3, 3, 3, 3};
  // Incident type code for an incident an alarm of this kind opens ("types" in the file).
  std::array<std::string, kAlarmKinds> type{
      "alarm.intrusion", "alarm.cctv", "police.wanted_vehicle",
      "alarm.panic",     "fire.alarm", "call"};
  std::vector<Escalation> escalation;  // ascending min_sources
  int64_t dedupe_window_ms = 300'000;

  const PairRule& Pair(AlarmKind a, AlarmKind b) const {
    return pairs[static_cast<size_t>(a)][static_cast<size_t>(b)];
  }
  void SetPair(AlarmKind a, AlarmKind b, double distance_m, int64_t window_ms);
  // Longest time any rule can reach back: older groups can no longer take alarms.
  int64_t MaxWindowMs() const;
  // Farthest any rule reaches: groups farther than this from an alarm are skipped unexamined.
  double MaxDistanceM() const;
  int RaiseFor(size_t sources) const;
};

// Errors name the field, e.g. "pairs[2].distance_m".
StatusOr<Rules> ParseRules(std::string_view json);
StatusOr<Rules> LoadRulesFile(const std::string& path);
// rules/default.json, compiled in: the rules `ncc serve` uses without --correlation-rules.
StatusOr<Rules> DefaultRules();

}  // namespace ncc::correlate
