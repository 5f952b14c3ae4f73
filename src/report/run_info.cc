#include "report/run_info.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "input/json_body.h"

namespace ncc::report {
namespace {

constexpr size_t kMaxRunJsonBytes = 64 * 1024;

Status Prefixed(const Status& s) {
  return Status(s.code(), "run.json: " + s.field() + ": " + s.message(), s.field());
}

}  // namespace

StatusOr<RunInfo> ParseRunInfo(std::string_view text) {
  if (text.size() > kMaxRunJsonBytes)
    return Malformed("run.json: longer than " + std::to_string(kMaxRunJsonBytes) + " bytes");
  auto json = ParseJsonBody(text);
  if (!json.ok()) return Malformed("run.json: " + json.status().message());
  if (!json->is_object()) return Malformed("run.json: must be a JSON object", "run.json");
  // A run may carry more figures than the report reads: every field present is allowed.
  std::vector<std::string> present;
  for (const auto& item : json->items()) present.push_back(item.key());
  FieldReader f(*json, present);
  RunInfo r;
  r.policy = f.String("policy", true, 256);
  r.seed = f.Integer("seed", true).value_or(0);
  r.calls = f.Integer("calls", true).value_or(0);
  r.events = f.Integer("events", true).value_or(0);
  r.seconds = f.Number("seconds", true).value_or(0);
  r.first_unit_travel_p50_s = f.Number("first_unit_travel_p50_s", false);
  r.first_unit_travel_p90_s = f.Number("first_unit_travel_p90_s", false);
  r.within_240s_pct = f.Number("within_240s_pct", false);
  r.log_digest = f.String("log_digest", true, 256);
  if (!f.ok()) return Prefixed(f.status());
  for (const char* key : {"first_unit_travel_p50_s", "first_unit_travel_p90_s", "within_240s_pct"})
    if (!json->contains(key))
      return Malformed(std::string("run.json: ") + key + ": is required", key);
  if (r.calls < 0) return Malformed("run.json: calls: must not be negative", "calls");
  if (r.events < 0) return Malformed("run.json: events: must not be negative", "events");
  return r;
}

StatusOr<std::optional<RunInfo>> LoadRunInfo(const std::string& dir) {
  std::string path = dir + "/run.json";
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::optional<RunInfo>();
  std::ifstream in(path);
  if (!in) return NotFound("cannot read " + path, "run.json");
  std::ostringstream text;
  text << in.rdbuf();
  auto info = ParseRunInfo(text.str());
  if (!info.ok())
    return Status(info.status().code(), dir + "/" + info.status().message(), info.status().field());
  return std::optional<RunInfo>(std::move(*info));
}

}  // namespace ncc::report
