#include "correlate/sf_calls.h"

#include <algorithm>
#include <set>

#include "correlate/correlator.h"
#include "sim/sf_calls.h"

namespace ncc::correlate {

StatusOr<std::vector<Alarm>> ReadSfCalls(const std::string& path) {
  auto rows = ncc::ReadSfCalls(path);  // one row per responding unit
  if (!rows.ok()) return rows.status();
  std::vector<Alarm> out;
  std::set<std::string> seen;
  for (const UnitResponse& r : *rows) {
    if (!seen.insert(r.call_number).second) continue;
    Alarm a;
    a.id = r.call_number;
    a.source = "sffd-cad";
    a.kind = AlarmKind::kCall;
    a.time = r.received;
    a.location = r.location;
    out.push_back(std::move(a));
  }
  std::sort(out.begin(), out.end(), [](const Alarm& a, const Alarm& b) {
    return a.time != b.time ? a.time < b.time : a.id < b.id;
  });
  return out;
}

MergeFigures MeasureMerges(const std::vector<Alarm>& calls, double distance_m, double window_s) {
  Rules rules;
  rules.SetPair(AlarmKind::kCall, AlarmKind::kCall, distance_m,
                static_cast<int64_t>(window_s * 1000));
  rules.dedupe_window_ms = 0;
  Correlator c(rules);
  MergeFigures f{distance_m, window_s};
  for (const Alarm& a : calls) {
    auto d = c.Ingest(a);
    if (!d.ok()) continue;
    ++f.calls;
    if (d->front().kind == DecisionKind::kMerged) ++f.merged_calls;
  }
  f.groups = c.groups().size();
  for (const auto& [id, g] : c.groups()) {
    if (g.alarms.size() >= 2) ++f.multi_call_groups;
    f.largest_group = std::max(f.largest_group, g.alarms.size());
  }
  return f;
}

}  // namespace ncc::correlate
