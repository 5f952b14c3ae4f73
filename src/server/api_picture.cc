// The picture at a past moment: GET /api/v1/picture?at=TIME | ?seq=N (docs/picture.md). The
// World then comes from picture::PastWorlds (nearest checkpoint, recent World or snapshot plus
// the log), the positions from the track store (the newest fix at or before the moment), and
// the answer is filtered and audited for the caller like GET /incidents and /units.
#include <charconv>

#include "core/json_writer.h"
#include "server/api_rooms.h"

namespace ncc {
namespace {

using nlohmann::json;

// The point asked for: exactly one of at= and seq=.
struct PicturePoint {
  std::optional<Time> at;
  Seq seq;
};

const std::string* QueryValue(const HttpRequest& r, const char* name) {
  auto it = r.query.find(name);
  return it == r.query.end() ? nullptr : &it->second;
}

StatusOr<PicturePoint> ParsePicturePoint(const HttpRequest& r) {
  const std::string* at = QueryValue(r, "at");
  const std::string* seq = QueryValue(r, "seq");
  if (!at && !seq) return Malformed("is required (an RFC 3339 time), or seq= instead", "at");
  if (at && seq) return Malformed("give at= or seq=, not both", "seq");
  PicturePoint p;
  if (at) {
    Time t;
    if (!ParseTime(*at, t))
      return Malformed("must be an RFC 3339 time such as 2026-12-03T12:00:00Z", "at");
    p.at = t;
    return p;
  }
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(seq->data(), seq->data() + seq->size(), v);
  if (seq->empty() || ec != std::errc() || end != seq->data() + seq->size())
    return Malformed("must be a whole number from 0 (before the first event) to the head", "seq");
  p.seq = Seq(v);
  return p;
}

StatusOr<uint64_t> ParsePageNumber(const HttpRequest& r, const char* name, uint64_t fallback,
                                   uint64_t min, uint64_t max) {
  const std::string* s = QueryValue(r, name);
  if (!s || s->empty()) return fallback;
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), v);
  if (ec != std::errc() || end != s->data() + s->size() || v < min || v > max)
    return Malformed(
        "must be an integer from " + std::to_string(min) + " to " + std::to_string(max), name);
  return v;
}

}  // namespace

PictureRoutes::PictureRoutes(ApiCore& core, picture::PastWorlds* past, const monitor::AvlLane* lane)
    : ApiRoom(core), past_(past), lane_(lane) {
  if (!past_) {
    owned_ = std::make_unique<picture::PastWorlds>(engine_.log(), nullptr);
    past_ = owned_.get();
  }
}

PictureRoutes::~PictureRoutes() = default;

void PictureRoutes::AddRoutes(Router& router) {
  // incident.read: the picture is the operating picture of incidents (units in it are read with
  // unit.read each, as on /units).
  router.Add({"GET", "/api/v1/picture", auth::Action::kIncidentRead, Gate::kSignedIn,
              BodyType::kNone, [this](const RouteCall& c, Reply reply) {
                PictureRoute(c.request(), c.who(), std::move(reply));
              }});
}

StatusOr<PictureRoutes::Moment> PictureRoutes::Resolve(const HttpRequest& r) const {
  auto point = ParsePicturePoint(r);
  if (!point.ok()) return point.status();
  Moment m;
  if (!point->at) {
    m.seq = point->seq;
    return m;
  }
  // Later than both the server's clock and the last event: a moment that has not happened.
  Time now = clock_.Now();
  if (*point->at > now) {
    auto last = past_->TimeOf(engine_.log().LastSeq());
    if (!last.ok()) return last.status();
    if (*point->at > *last)
      return Malformed("is after now (" + FormatTime(now) + " on the server's clock)", "at");
  }
  auto found = past_->SeqAt(*point->at);
  if (!found.ok()) return found.status();
  m.seq = found->seq;
  m.at = point->at;
  return m;
}

void PictureRoutes::PictureRoute(const HttpRequest& r, Who who, Reply reply) {
  auto moment = Resolve(r);
  if (!moment.ok()) return reply(ErrorResponse(AsMalformed(moment.status())));
  auto limit = ParsePageNumber(r, "limit", 1000, 1, 1000);
  if (!limit.ok()) return reply(ErrorResponse(limit.status()));
  auto after = ParsePageNumber(r, "after", 0, 0, UINT64_MAX >> 1);
  if (!after.ok()) return reply(ErrorResponse(after.status()));
  Seq head = engine_.log().LastSeq();
  auto past = past_->At(moment->seq);
  if (!past.ok()) {
    Status s = past.status();
    return reply(ErrorResponse(s.code() == StatusCode::kInvalidArgument ? AsMalformed(s) : s));
  }
  picture::PictureView view{past->world.get(),
                            past->seq,
                            past->time,
                            moment->at.value_or(past->time),
                            head,
                            *after,
                            *limit};
  // The track is read before the engine's lock is taken: the writer never waits on a disk.
  std::unordered_map<uint64_t, track::TrackFix> fixes;
  if (lane_ && view.at.ms != 0)
    for (const Unit& u : past->world->units())
      if (auto f = lane_->FixAtOrBefore(u.id, view.at); f.ok()) fixes[u.id.value] = *f;
  picture::FixAt fix_at = [&fixes](UnitId u) -> std::optional<track::TrackFix> {
    auto it = fixes.find(u.value);
    return it == fixes.end() ? std::nullopt : std::optional(it->second);
  };
  picture::Picture pic = engine_.Read(
      [&](const World& now) { return picture::RenderPicture(who, view, now, fix_at); });
  // The range a slider may cover: the first and the last event's time.
  auto first = past_->TimeOf(Seq(head.value ? 1 : 0));
  auto last = past_->TimeOf(head);
  pic.body["first_time"] = first.ok() && first->ms ? json(FormatTime(*first)) : json(nullptr);
  pic.body["head_time"] = last.ok() && last->ms ? json(FormatTime(*last)) : json(nullptr);
  ReplyAfterAudit(std::move(pic.audited), who, std::move(reply), JsonResponse(200, pic.body));
}

}  // namespace ncc
