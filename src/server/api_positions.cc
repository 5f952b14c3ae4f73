// POST /api/v1/positions: a batch of AVL fixes as a JSON array, {"fixes":[...]}, or NDJSON, into
// the AVL lane (src/monitor). A fix that is malformed, unknown, out of range, older than the
// unit's current one or an impossible jump is rejected on its own, with its index, the field to
// blame and the reason; the rest of the batch still goes through. 202 means every accepted fix
// is durable in the track store (and its state changes in the event log).
#include <algorithm>

#include "input/json_body.h"
#include "input/ndjson.h"
#include "monitor/fix_json.h"
#include "server/api_rooms.h"
#include "visibility/access.h"

namespace ncc {
namespace {

using nlohmann::json;

// Reads one fix; on failure fills `rejection` instead. The reader is the lanes' own
// (monitor::ReadFixObject): no allocation on success, the field path is built only on failure.
bool ReadFix(const json& item, size_t index, PositionFix& fix, Rejection& rejection) {
  auto read = monitor::ReadFixObject(item, UnitId(), "");
  if (read.ok()) {
    fix = *read;
    return true;
  }
  std::string prefix = "fixes[" + std::to_string(index) + "]";
  const std::string& field = read.status().field();
  rejection = {index, field == "fix" ? prefix : prefix + "." + field, read.status().message()};
  return false;
}

}  // namespace

void PositionRoutes::AddRoutes(Router& router) {
  router.Add({"POST", "/api/v1/positions", auth::Action::kPositionReport, Gate::kSignedIn,
              BodyType::kJsonOrNdjson, [this](const RouteCall& c, Reply reply) {
                PositionsRoute(c.request(), c.who(), std::move(reply));
              }});
}

void PositionRoutes::PositionsRoute(const HttpRequest& r, Who who, Reply reply) {
  if (!lane_) return reply(ErrorResponse(Unavailable("the AVL lane is not running")));
  auto& counters = lane_->counters();
  std::vector<Rejection> rejected;
  std::vector<size_t> index_of;  // position in the request of each parsed item
  json items;
  if (MediaTypeIs(r.content_type, "application/x-ndjson")) {
    items = ParseNdjson(r.body, rejected, index_of);
  } else {
    auto parsed = ParseJsonBody(r.body);
    if (!parsed.ok()) {
      counters.Rejected(monitor::Source::kHttp, monitor::Reason::kMalformed);
      return reply(ErrorResponse(AsMalformed(parsed.status())));
    }
    if (parsed->is_object() && parsed->contains("fixes") && parsed->size() == 1)
      items = std::move((*parsed)["fixes"]);
    else
      items = std::move(*parsed);
    if (!items.is_array()) {
      counters.Rejected(monitor::Source::kHttp, monitor::Reason::kMalformed);
      return reply(ErrorResponse(
          400, InvalidArgument("must be an array of fixes or {\"fixes\":[...]}", "fixes")));
    }
    for (size_t i = 0; i < items.size(); ++i) index_of.push_back(i);
  }
  if (items.size() + rejected.size() > Limits::kPositionBatch) {
    counters.Rejected(monitor::Source::kHttp, monitor::Reason::kMalformed,
                      items.size() + rejected.size());
    return reply(ErrorResponse(
        413,
        ResourceExhausted("at most " + std::to_string(Limits::kPositionBatch) + " fixes per batch",
                          "fixes")));
  }
  std::vector<PositionFix> fixes;
  std::vector<size_t> request_index;  // fixes[k] came from request item request_index[k]
  fixes.reserve(items.size());
  request_index.reserve(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    PositionFix fix;
    Rejection why;
    if (!ReadFix(items[i], index_of[i], fix, why)) {
      rejected.push_back(std::move(why));
      continue;
    }
    fixes.push_back(fix);
    request_index.push_back(index_of[i]);
  }
  counters.Rejected(monitor::Source::kHttp, monitor::Reason::kMalformed, rejected.size());
  lane_->Submit(
      monitor::Source::kHttp, who, std::move(fixes),
      [reply = std::move(reply), rejected = std::move(rejected),
       request_index = std::move(request_index)](monitor::BatchResult res) mutable {
        if (!res.status.ok()) return reply(ErrorResponse(res.status));
        for (const monitor::FixRejection& x : res.rejected) {
          size_t at = request_index[x.index];
          rejected.push_back({at, "fixes[" + std::to_string(at) + "]." + x.field, x.message});
        }
        std::sort(rejected.begin(), rejected.end(),
                  [](const Rejection& a, const Rejection& b) { return a.index < b.index; });
        json list = json::array();
        for (const Rejection& x : rejected)
          list.push_back({{"index", x.index}, {"field", x.field}, {"reason", x.reason}});
        HttpResponse resp;
        resp.status = 202;
        resp.body =
            json{{"accepted", res.accepted}, {"rejected", list}, {"seq", res.seq.value}}.dump(
                -1, ' ', false, json::error_handler_t::replace);
        reply(std::move(resp));
      });
}

}  // namespace ncc
