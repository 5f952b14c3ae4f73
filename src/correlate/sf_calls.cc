#include "correlate/sf_calls.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <set>

#include "correlate/correlator.h"

namespace ncc::correlate {
namespace {

std::vector<std::string> SplitCsv(const std::string& line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"')
        out.back() += '"', ++i;
      else if (c == '"')
        quoted = false;
      else
        out.back() += c;
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.emplace_back();
    } else if (c != '\r') {
      out.back() += c;
    }
  }
  return out;
}

// "04/07/2020 11:53:08 PM" -> ms since the epoch, reading the local time as UTC.
bool ParseTime(const std::string& s, int64_t& ms) {
  int mo, d, y, h, mi, se;
  char ampm[3] = {};
  if (std::sscanf(s.c_str(), "%d/%d/%d %d:%d:%d %2s", &mo, &d, &y, &h, &mi, &se, ampm) != 7)
    return false;
  if (h == 12) h = 0;
  if (ampm[0] == 'P') h += 12;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = se;
  ms = static_cast<int64_t>(timegm(&tm)) * 1000;
  return true;
}

}  // namespace

StatusOr<std::vector<Alarm>> ReadSfCalls(const std::string& path) {
  std::ifstream in(path);
  if (!in) return NotFound("cannot read " + path);
  std::string line;
  if (!std::getline(in, line)) return InvalidArgument("empty file", path);
  std::vector<std::string> head = SplitCsv(line);
  auto col = [&](const char* name) -> int {
    auto it = std::find(head.begin(), head.end(), name);
    return it == head.end() ? -1 : static_cast<int>(it - head.begin());
  };
  int c_call = col("Call Number"), c_time = col("Received DtTm"), c_loc = col("Location");
  if (c_call < 0 || c_time < 0 || c_loc < 0)
    return InvalidArgument("missing Call Number, Received DtTm or Location column", path);
  std::vector<Alarm> out;
  std::set<std::string> seen;
  while (std::getline(in, line)) {
    std::vector<std::string> f = SplitCsv(line);
    if (f.size() != head.size() || seen.count(f[c_call])) continue;
    Alarm a;
    a.id = f[c_call];
    a.source = "sffd-cad";
    a.kind = AlarmKind::kCall;
    if (!ParseTime(f[c_time], a.time.ms)) continue;
    if (std::sscanf(f[c_loc].c_str(), "(%lf, %lf)", &a.location.lat, &a.location.lon) != 2)
      continue;
    if (!ValidateLatLon(a.location, "location").ok()) continue;
    seen.insert(a.id);
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
