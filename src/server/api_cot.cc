// GET /api/v1/incidents/{id}/cot and /api/v1/units/{id}/cot: one record as a Cursor-on-Target
// event (src/exchange/cot, docs/formats/cot.md). An export: export.read on the record's label,
// 404 when the caller may not see the record at all, 403 when it sees it but may not export.
#include "exchange/cot/records.h"
#include "server/api_rooms.h"
#include "visibility/access.h"
#include "visibility/redact.h"

namespace ncc {
namespace {

constexpr int64_t kStaleAfterMs = 5 * 60'000;

HttpResponse CotResponse(const cot::CotEvent& e) {
  HttpResponse r;
  r.status = 200;
  r.content_type = "application/xml; charset=utf-8";
  r.body = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n" + cot::Write(e);
  return r;
}

// 404 unless `who` sees the record with `read`, then 403 unless it may export it.
std::optional<HttpResponse> RefuseExport(const auth::Principal& who, const auth::RecordLabel& label,
                                         auth::Action read, const std::string& what) {
  if (!auth::CanSee(who, label, read)) return ErrorResponse(NotFound("no " + what, "id"));
  Status s = auth::Authorize(who, auth::Action::kExportRead, &label);
  if (!s.ok()) return ErrorResponse(s);
  return std::nullopt;
}

}  // namespace

void CotRoutes::AddRoutes(Router& router) {
  // Seeing the record is incident.read / unit.read; the export itself needs export.read.
  router.Add({"GET", "/api/v1/incidents/{id}/cot", auth::Action::kExportRead, Gate::kSignedIn,
              BodyType::kNone, [this](const RouteCall& c, Reply reply) {
                CotIncidentRoute(IncidentId(c.Id()), c.who(), std::move(reply));
              }});
  router.Add({"GET", "/api/v1/units/{id}/cot", auth::Action::kExportRead, Gate::kSignedIn,
              BodyType::kNone, [this](const RouteCall& c, Reply reply) {
                CotUnitRoute(UnitId(c.Id()), c.who(), std::move(reply));
              }});
}

void CotRoutes::CotIncidentRoute(IncidentId id, Who who, Reply reply) {
  const int64_t now = clock_.Now().ms;
  std::optional<HttpResponse> refused;
  bool confidential = false;
  std::optional<cot::CotEvent> event;
  engine_.Read([&](const World& w) {
    const Incident* i = w.FindIncident(id);
    std::string what = "incident " + std::to_string(id.value);
    if (!i) return void(refused = ErrorResponse(NotFound("no " + what, "id")));
    refused = RefuseExport(who, LabelOf(*i), auth::Action::kIncidentRead, what);
    if (refused) return;
    confidential = IsConfidential(*i);
    event = cot::IncidentEvent(VisibleIncident(who, *i, w), now, kStaleAfterMs);
  });
  if (refused) return reply(std::move(*refused));
  std::vector<IncidentId> audited;
  if (confidential) audited.push_back(id);
  ReplyAfterAudit(std::move(audited), "GET /api/v1/incidents/{id}/cot", who, std::move(reply),
                  CotResponse(*event));
}

void CotRoutes::CotUnitRoute(UnitId id, Who who, Reply reply) {
  const int64_t now = clock_.Now().ms;
  std::optional<HttpResponse> refused;
  std::optional<Unit> unit;
  std::string agency_kind;
  engine_.Read([&](const World& w) {
    const Unit* u = w.FindUnit(id);
    std::string what = "unit " + std::to_string(id.value);
    if (!u) return void(refused = ErrorResponse(NotFound("no " + what, "id")));
    refused = RefuseExport(who, LabelOf(*u), auth::Action::kUnitRead, what);
    if (!refused) unit = VisibleUnit(who, *u, w);
    if (const Agency* a = w.FindAgency(u->agency)) agency_kind = a->kind;
  });
  if (refused) return reply(std::move(*refused));
  // The lane holds every accepted fix; the World only the checkpoints.
  if (auto live = lane_ ? lane_->Get(id) : std::nullopt;
      live && live->position.time >= unit->position_time) {
    unit->position = live->position.position;
    unit->position_time = live->position.time;
    unit->speed = live->position.speed;
    unit->heading = live->position.heading;
  }
  auto event = cot::UnitEvent(*unit, now, kStaleAfterMs, agency_kind);
  if (!event)
    return reply(ErrorResponse(
        409, FailedPrecondition("unit " + std::to_string(id.value) + " has no position yet",
                                "position")));
  // Audited like GET /units/{id}: a confidential or secret unit is shown once the read is durable.
  RecordAccess audited{{}, "GET /api/v1/units/{id}/cot", {}, {}};
  if (unit->classification >= Classification::kConfidential) audited.units.push_back(id);
  ReplyAfterAudit(std::move(audited), who, std::move(reply), CotResponse(*event));
}

}  // namespace ncc
