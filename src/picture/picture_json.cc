#include "picture/picture_json.h"

#include "core/json_writer.h"
#include "visibility/access.h"
#include "visibility/redact.h"

namespace ncc::picture {
namespace {

using nlohmann::json;

bool Confidential(Classification c) {
  return c >= Classification::kConfidential;
}

json Incidents(const auth::Principal& who, const PictureView& v, const World& now, Picture& out,
               uint64_t& last) {
  json items = json::array();
  const auto& incidents = v.past->incidents();
  for (size_t k = v.after; k < incidents.size() && items.size() < v.limit; ++k) {
    const Incident& then = incidents[k];
    if (!IsOpenInPicture(then.status)) continue;
    const Incident* current = now.FindIncident(then.id);
    if (!current || !auth::CanSee(who, LabelOf(*current), auth::Action::kIncidentRead)) continue;
    items.push_back(VisibleIncidentJson(who, then, now, false));
    if (Confidential(then.classification) || Confidential(current->classification))
      out.audited.incidents.push_back(then.id);
    last = then.id.value;
  }
  return items;
}

void OverlayFix(json& unit_json, const Unit& then, const FixAt& fix_at) {
  if (!fix_at) return;
  auto fix = fix_at(then.id);
  if (!fix || (then.position && fix->time < then.position_time)) return;
  unit_json["position"] = {{"lat", fix->position.lat}, {"lon", fix->position.lon}};
  unit_json["position_time"] = FormatTime(fix->time);
  unit_json["speed"] = fix->speed_mps;
  unit_json["heading"] = fix->heading_deg;
}

json Units(const auth::Principal& who, const PictureView& v, const World& now, const FixAt& fix_at,
           Picture& out) {
  json items = json::array();
  for (const Unit& then : v.past->units()) {
    const Unit* current = now.FindUnit(then.id);
    if (!current || !auth::CanSee(who, LabelOf(*current), auth::Action::kUnitRead)) continue;
    json u = VisibleUnitJson(who, then, now);
    OverlayFix(u, then, fix_at);
    items.push_back(std::move(u));
    if (Confidential(then.classification) || Confidential(current->classification))
      out.audited.units.push_back(then.id);
  }
  return items;
}

json TimeOrNull(Time t) {
  return t.ms == 0 ? json(nullptr) : json(FormatTime(t));
}

}  // namespace

bool IsOpenInPicture(IncidentStatus s) {
  return s == IncidentStatus::kNew || s == IncidentStatus::kTriaged ||
         s == IncidentStatus::kDispatched || s == IncidentStatus::kEnRoute ||
         s == IncidentStatus::kOnScene;
}

Picture RenderPicture(const auth::Principal& who, const PictureView& view, const World& now,
                      const FixAt& fix_at) {
  Picture out;
  out.audited.via = "GET /api/v1/picture";
  uint64_t last = 0;
  json incidents = Incidents(who, view, now, out, last);
  bool more = incidents.size() == view.limit;
  out.body = {{"seq", view.seq.value},
              {"time", TimeOrNull(view.event_time)},
              {"at", TimeOrNull(view.at)},
              {"head", view.head.value},
              {"incidents", std::move(incidents)},
              {"next_after", more ? json(last) : json(nullptr)},
              {"units", Units(who, view, now, fix_at, out)}};
  return out;
}

}  // namespace ncc::picture
