// Reads the San Francisco Fire Department "Calls for Service" CSV (DataSF open data) as call
// alarms, and measures how many calls correlation would merge: a check of the rules on real
// data, reported in docs/benchmarks-monitoring.md.
// Thread: pure functions; any thread.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "correlate/alarm.h"

namespace ncc::correlate {

// One alarm per call (the file has a row per responding unit, read by sim/sf_calls.h): id =
// call number, time = "Received DtTm", location = "Location". Sorted by time, then id.
StatusOr<std::vector<Alarm>> ReadSfCalls(const std::string& path);

struct MergeFigures {
  double distance_m = 0;
  double window_s = 0;
  size_t calls = 0;
  size_t groups = 0;
  size_t merged_calls = 0;       // calls that joined an existing group (calls - groups)
  size_t multi_call_groups = 0;  // groups with two calls or more
  size_t largest_group = 0;
};

// Correlates the calls with a single call/call rule at the given distance and window.
MergeFigures MeasureMerges(const std::vector<Alarm>& calls, double distance_m, double window_s);

}  // namespace ncc::correlate
