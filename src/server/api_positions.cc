// POST /api/v1/positions: a batch of AVL fixes as a JSON array, {"fixes":[...]}, or NDJSON.
// A fix that is malformed is rejected on its own, with its index and the field to blame;
// the rest of the batch still goes through.
#include <algorithm>

#include "server/access.h"
#include "server/api.h"
#include "server/json_body.h"

namespace ncc {
namespace {

using nlohmann::json;

// Reads one fix; on failure fills `rejection` instead.
bool ReadFix(const json& item, size_t index, PositionFix& fix, Rejection& rejection) {
  std::string prefix = "fixes[" + std::to_string(index) + "]";
  FieldReader f(item, {"unit", "lat", "lon", "time", "speed", "heading"}, prefix);
  auto unit = f.Integer("unit", true);
  auto lat = f.Number("lat", true);
  auto lon = f.Number("lon", true);
  auto time = f.Timestamp("time", true);
  auto speed = f.Number("speed", false);
  auto heading = f.Number("heading", false);
  if (f.ok() && *unit <= 0)
    rejection = {index, prefix + ".unit", "must be a positive unit id"};
  else if (!f.ok())
    rejection = {index, f.status().field(), f.status().message()};
  else {
    fix = {UnitId(static_cast<uint64_t>(*unit)),
           {*lat, *lon},
           *time,
           speed.value_or(0),
           heading.value_or(0)};
    return true;
  }
  return false;
}

// Splits NDJSON into parsed lines; a line that does not parse becomes a rejection.
StatusOr<json> ParseNdjson(std::string_view body, std::vector<Rejection>& rejected,
                           std::vector<size_t>& index_of) {
  json items = json::array();
  size_t line = 0;
  while (!body.empty()) {
    size_t nl = body.find('\n');
    std::string_view text = body.substr(0, nl);
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    if (!text.empty()) {
      auto parsed = ParseJsonBody(text);
      if (parsed.ok()) {
        items.push_back(std::move(*parsed));
        index_of.push_back(line);
      } else {
        rejected.push_back(
            {line, "fixes[" + std::to_string(line) + "]", parsed.status().message()});
      }
      ++line;
    }
    if (nl == std::string_view::npos) break;
    body.remove_prefix(nl + 1);
  }
  return items;
}

}  // namespace

void Api::PositionsRoute(const HttpRequest& r, Who who, Reply reply) {
  std::vector<Rejection> rejected;
  std::vector<size_t> index_of;  // position in the request of each parsed item
  json items;
  if (r.content_type.rfind("application/x-ndjson", 0) == 0) {
    items = *ParseNdjson(r.body, rejected, index_of);
  } else {
    auto parsed = ParseJsonBody(r.body);
    if (!parsed.ok()) return reply(ErrorResponse(400, parsed.status()));
    if (parsed->is_object() && parsed->contains("fixes") && parsed->size() == 1)
      items = std::move((*parsed)["fixes"]);
    else
      items = std::move(*parsed);
    if (!items.is_array())
      return reply(ErrorResponse(
          400, InvalidArgument("must be an array of fixes or {\"fixes\":[...]}", "fixes")));
    for (size_t i = 0; i < items.size(); ++i) index_of.push_back(i);
  }
  if (items.size() + rejected.size() > Limits::kPositionBatch)
    return reply(ErrorResponse(
        413,
        ResourceExhausted("at most " + std::to_string(Limits::kPositionBatch) + " fixes per batch",
                          "fixes")));
  ReportPositions command;
  std::vector<size_t> request_index;  // command.fixes[k] came from request item request_index[k]
  engine_.Read([&](const World& w) {
    for (size_t i = 0; i < items.size(); ++i) {
      PositionFix fix;
      Rejection why;
      if (!ReadFix(items[i], index_of[i], fix, why)) {
        rejected.push_back(std::move(why));
        continue;
      }
      // A tracker reports only for units of an agency it may report for.
      if (const Unit* u = w.FindUnit(fix.unit)) {
        auto label = LabelOf(*u);
        std::string field = "fixes[" + std::to_string(index_of[i]) + "].unit";
        if (Status s = auth::Authorize(who, auth::Action::kPositionReport, &label); !s.ok()) {
          // A unit the caller may not even see is reported as unknown, not as forbidden.
          bool visible = auth::CanSee(who, label, auth::Action::kUnitRead);
          rejected.push_back({index_of[i], field,
                              visible ? s.message() : "no unit " + std::to_string(fix.unit.value)});
          continue;
        }
      }
      command.fixes.push_back(fix);
      request_index.push_back(index_of[i]);
    }
  });
  Submit(std::move(command), who, std::move(reply),
         [rejected = std::move(rejected),
          request_index = std::move(request_index)](const CommandOutcome& o) {
           json list = json::array();
           std::vector<Rejection> all = rejected;
           for (const Rejection& x : o.rejected)
             all.push_back({request_index[x.index],
                            "fixes[" + std::to_string(request_index[x.index]) + "]." + x.field,
                            x.reason});
           std::sort(all.begin(), all.end(),
                     [](const Rejection& a, const Rejection& b) { return a.index < b.index; });
           for (const Rejection& x : all)
             list.push_back({{"index", x.index}, {"field", x.field}, {"reason", x.reason}});
           size_t accepted = request_index.size() - o.rejected.size();
           HttpResponse resp;
           resp.status = 202;
           resp.body =
               json{{"accepted", accepted}, {"rejected", list}, {"seq", o.last_seq.value}}.dump(
                   -1, ' ', false, json::error_handler_t::replace);
           return resp;
         });
}

}  // namespace ncc
