// Operation plans under /api/v1/operations (docs/plans.md). ("Plans" under /api/v1/plans are
// the response plans of dispatch.) A plan's label is its lead agency, its classification and
// its participants: partners read the plans they take part in, approve them for their own
// agency and work their own tasks; the lead agency edits and runs the plan. decide() holds the
// rules (core/decide_plan.cc); this room reads requests, checks labels and shapes answers.
#include "core/json_writer.h"
#include "input/json_body.h"
#include "plan/plan_document.h"
#include "plan/views.h"
#include "server/api_rooms.h"
#include "visibility/access.h"

namespace ncc {
namespace {

using auth::Action;
using nlohmann::json;

constexpr size_t kKey = 64;

json Summary(const OperationPlan& p, const World& w, Time now) {
  plan::Progress g = plan::MeasureProgress(p, w, now);
  auto time = [](Time t) { return t.ms ? json(FormatTime(t)) : json(); };
  return {{"id", p.id},
          {"name", p.name},
          {"event_type", p.event_type},
          {"venue", p.venue},
          {"start", time(p.start)},
          {"end", time(p.end)},
          {"agency", p.agency},
          {"agencies", p.agencies},
          {"classification", Name(p.classification)},
          {"status", p.status},
          {"revision", p.revision},
          {"is_template", p.is_template},
          {"phase", g.phase},
          {"tasks", g.tasks},
          {"done", g.done},
          {"late", g.late.size()},
          {"seq", p.seq.value}};
}

// Reads of plans above public are audited ("plan:ID" in the audit trail), as confidential
// incidents are.
bool Audited(const OperationPlan& p) {
  return p.classification > Classification::kPublic;
}

}  // namespace

void ReplyPdf(ApiCore& core, std::string html, std::string filename, RecordAccess access,
              const auth::Principal& who, Reply reply) {
  const bool retry = core.printer->available();
  core.printer->Print(
      std::move(html), [&core, filename = std::move(filename), access = std::move(access), who,
                        retry, reply = std::move(reply)](StatusOr<std::string> pdf) mutable {
        if (!pdf.ok()) {
          HttpResponse refused = ErrorResponse(pdf.status());
          if (retry && pdf.status().code() == StatusCode::kUnavailable)
            refused.headers.push_back({"Retry-After", "2"});
          return reply(std::move(refused));
        }
        HttpResponse r;
        r.body = std::move(*pdf);
        r.content_type = "application/pdf";
        r.headers.push_back({"Content-Disposition", "inline; filename=\"" + filename + "\""});
        if (access.plans.empty() && access.sitreps.empty()) return reply(std::move(r));
        core.ReplyAfterAudit(std::move(access), who, std::move(reply), std::move(r));
      });
}

HttpResponse HtmlPage(std::string html) {
  HttpResponse r;
  r.body = std::move(html);
  r.content_type = "text/html; charset=utf-8";
  r.headers.push_back({"Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'"});
  return r;
}

void PlanRoutes::AddRoutes(Router& router) {
  auto id = [](const RouteCall& c) { return c.Id(); };
  router.Add({"GET", "/api/v1/operations", Action::kPlanRead, Gate::kSignedIn, BodyType::kNone,
              [this](const RouteCall& c, Reply reply) {
                ListRoute(c.request(), c.who(), std::move(reply));
              }});
  router.Add({"POST", "/api/v1/operations", Action::kPlanEdit, Gate::kSignedIn, BodyType::kJson,
              [this](const RouteCall& c, Reply reply) {
                DefineRoute(c.request(), 0, c.who(), std::move(reply));
              },
              true});
  for (const char* suffix :
       {"", "/document", "/matrix", "/matrix.html", "/forms.html", "/matrix.pdf", "/forms.pdf"})
    router.Add({"GET", std::string("/api/v1/operations/{id}") + suffix, Action::kPlanRead,
                Gate::kSignedIn, BodyType::kNone,
                [this, id, view = std::string(suffix)](const RouteCall& c, Reply reply) {
                  ShowRoute(id(c), c.who(), std::move(reply), view);
                }});
  router.Add({"POST", "/api/v1/operations/{id}/revision", Action::kPlanEdit, Gate::kSignedIn,
              BodyType::kJson,
              [this, id](const RouteCall& c, Reply reply) {
                DefineRoute(c.request(), id(c), c.who(), std::move(reply));
              },
              true});
  router.Add({"POST", "/api/v1/operations/{id}/approval", Action::kPlanApprove, Gate::kSignedIn,
              BodyType::kJson,
              [this, id](const RouteCall& c, Reply reply) {
                ApproveRoute(c.request(), id(c), c.who(), std::move(reply));
              },
              true});
  router.Add({"POST", "/api/v1/operations/{id}/status", Action::kPlanRun, Gate::kSignedIn,
              BodyType::kJson,
              [this, id](const RouteCall& c, Reply reply) {
                StatusRoute(c.request(), id(c), c.who(), std::move(reply));
              },
              true});
  router.Add({"POST", "/api/v1/operations/{id}/phases/{phase}", Action::kPlanRun, Gate::kSignedIn,
              BodyType::kJson,
              [this, id](const RouteCall& c, Reply reply) {
                PhaseRoute(c.request(), id(c), c.Param("phase"), c.who(), std::move(reply));
              },
              true});
  router.Add({"POST", "/api/v1/operations/{id}/tasks/{task}", Action::kPlanTask, Gate::kSignedIn,
              BodyType::kJson,
              [this, id](const RouteCall& c, Reply reply) {
                TaskRoute(c.request(), id(c), c.Param("task"), c.who(), std::move(reply));
              },
              true});
  router.Add({"POST", "/api/v1/operations/{id}/tasks/{task}/checklist", Action::kPlanTask,
              Gate::kSignedIn, BodyType::kJson,
              [this, id](const RouteCall& c, Reply reply) {
                ChecklistRoute(c.request(), id(c), c.Param("task"), c.who(), std::move(reply));
              },
              true});
  router.Add({"POST", "/api/v1/operations/{id}/decision-points/{point}", Action::kPlanRun,
              Gate::kSignedIn, BodyType::kJson,
              [this, id](const RouteCall& c, Reply reply) {
                FireRoute(c.request(), id(c), c.Param("point"), c.who(), std::move(reply));
              },
              true});
}

std::optional<HttpResponse> PlanRoutes::RefusePlan(Who who, Action action, uint64_t id) {
  auto label = engine_.Read([&](const World& w) -> std::optional<auth::RecordLabel> {
    const OperationPlan* p = w.FindPlan(id);
    return p ? std::optional(LabelOf(*p)) : std::nullopt;
  });
  return Refuse(who, action, Action::kPlanRead, label, "plan", id);
}

void PlanRoutes::DefineRoute(const HttpRequest& r, uint64_t revise, Who who, Reply reply) {
  auto parsed = ParseJsonBody(r.body);
  if (!parsed.ok()) return reply(ErrorResponse(AsMalformed(parsed.status())));
  if (!revise && parsed->is_object() && parsed->contains("template"))
    return CopyTemplate(r, *parsed, who, std::move(reply));
  auto doc = plan::ReadPlanDocument(*parsed);
  if (!doc.ok()) return reply(ErrorResponse(doc.status()));
  if (revise) {
    if (auto no = RefusePlan(who, Action::kPlanEdit, revise)) return reply(std::move(*no));
    doc->id = revise;
  } else {
    if (doc->agency.empty()) doc->agency = who.agency;
    // The caller edits for the lead agency, at a label it is cleared for.
    auth::RecordLabel label = LabelOf(*doc);
    if (Status s = auth::Authorize(who, Action::kPlanEdit, &label); !s.ok())
      return reply(ErrorResponse(s));
  }
  Submit(r, DefinePlan{std::move(*doc)}, who, std::move(reply), revise ? Applied : Created);
}

// {"template": id, "name", "start", "end", "venue"?}: a new draft from a template's definition.
void PlanRoutes::CopyTemplate(const HttpRequest& r, const json& body, Who who, Reply reply) {
  FieldReader f(body, {"template", "name", "start", "end", "venue"});
  auto from = f.Integer("template", true);
  std::string name = f.String("name", true, Limits::kShortText);
  std::string venue = f.String("venue", false, Limits::kShortText);
  auto start = f.Timestamp("start", true);
  auto end = f.Timestamp("end", true);
  if (!f.ok()) return reply(ErrorResponse(AsMalformed(f.status())));
  uint64_t template_id = *from > 0 ? static_cast<uint64_t>(*from) : 0;
  if (auto no = RefusePlan(who, Action::kPlanRead, template_id)) return reply(std::move(*no));
  OperationPlan copy = engine_.Read([&](const World& w) { return *w.FindPlan(template_id); });
  auto doc = plan::ReadPlanDocument(plan::PlanDocument(copy));
  if (!doc.ok()) return reply(ErrorResponse(doc.status()));
  doc->is_template = false;
  doc->template_of = template_id;
  doc->name = std::move(name);
  if (!venue.empty()) doc->venue = std::move(venue);
  doc->start = *start;
  doc->end = *end;
  auth::RecordLabel label = LabelOf(*doc);
  if (Status s = auth::Authorize(who, Action::kPlanEdit, &label); !s.ok())
    return reply(ErrorResponse(s));
  Submit(r, DefinePlan{std::move(*doc)}, who, std::move(reply), Created);
}

void PlanRoutes::ListRoute(const HttpRequest& r, Who who, Reply reply) {
  auto status = r.query.find("status");
  const Time now = clock_.Now();
  RecordAccess audited{{}, "GET /api/v1/operations", {}, {}};
  json items = engine_.Read([&](const World& w) {
    json out = json::array();
    for (const OperationPlan& p : w.plans()) {
      if (!auth::CanSee(who, LabelOf(p), Action::kPlanRead)) continue;
      if (status != r.query.end() && status->second != p.status) continue;
      out.push_back(Summary(p, w, now));
      if (Audited(p)) audited.plans.push_back(p.id);
    }
    return out;
  });
  ReplyAfterAudit(std::move(audited), who, std::move(reply),
                  JsonResponse(200, {{"items", std::move(items)}}));
}

void PlanRoutes::ShowRoute(uint64_t id, Who who, Reply reply, std::string_view view) {
  const Time now = clock_.Now();
  bool audit = false;
  std::string pdf_html;  // the page to print, for the .pdf views
  auto answer = engine_.Read([&](const World& w) -> std::optional<HttpResponse> {
    const OperationPlan* p = w.FindPlan(id);
    if (!p || !auth::CanSee(who, LabelOf(*p), Action::kPlanRead)) return std::nullopt;
    audit = Audited(*p);
    if (view == "/document") return JsonResponse(200, plan::PlanDocument(*p));
    if (view == "/matrix") return JsonResponse(200, plan::MatrixJson(*p, now));
    if (view == "/matrix.html") return HtmlPage(plan::MatrixHtml(*p, w, now));
    if (view == "/forms.html") return HtmlPage(plan::FormsHtml(*p, w, now));
    if (view == "/matrix.pdf") pdf_html = plan::MatrixHtml(*p, w, now);
    if (view == "/forms.pdf") pdf_html = plan::FormsHtml(*p, w, now);
    if (!pdf_html.empty()) return HttpResponse{};
    return JsonResponse(200, {{"plan", plan::PlanJson(*p)},
                              {"progress", plan::ProgressJson(plan::MeasureProgress(*p, w, now))}});
  });
  if (!answer) return reply(ErrorResponse(NotFound("no plan " + std::to_string(id), "id")));
  RecordAccess audited{{}, "GET /api/v1/operations/{id}" + std::string(view), {}, {}};
  if (audit) audited.plans.push_back(id);
  if (!pdf_html.empty()) {
    std::string name = "plan-" + std::to_string(id) + "-" +
                       std::string(view.substr(1, view.find('.') - 1)) + ".pdf";
    return ReplyPdf(core_, std::move(pdf_html), std::move(name), std::move(audited), who,
                    std::move(reply));
  }
  ReplyAfterAudit(std::move(audited), who, std::move(reply), std::move(*answer));
}

void PlanRoutes::ApproveRoute(const HttpRequest& r, uint64_t id, Who who, Reply reply) {
  auto parsed = ParseJsonBody(r.body);
  if (!parsed.ok()) return reply(ErrorResponse(AsMalformed(parsed.status())));
  FieldReader f(*parsed, {"revision"});
  auto revision = f.Integer("revision", true);
  if (!f.ok()) return reply(ErrorResponse(AsMalformed(f.status())));
  if (auto no = RefusePlan(who, Action::kPlanApprove, id)) return reply(std::move(*no));
  // The approval is for the caller's own agency: a supervisor there.
  auth::RecordLabel home{who.agency, Classification::kPublic, {}};
  if (Status s = auth::Authorize(who, Action::kPlanApprove, &home); !s.ok())
    return reply(ErrorResponse(s));
  uint32_t rev = *revision > 0 && *revision < (1LL << 31) ? static_cast<uint32_t>(*revision) : 0;
  Submit(r, ApprovePlan{id, rev}, who, std::move(reply), Applied);
}

void PlanRoutes::StatusRoute(const HttpRequest& r, uint64_t id, Who who, Reply reply) {
  auto parsed = ParseJsonBody(r.body);
  if (!parsed.ok()) return reply(ErrorResponse(AsMalformed(parsed.status())));
  FieldReader f(*parsed, {"to", "reason"});
  ChangePlanStatus c{id, f.String("to", true, 32), f.String("reason", false, Limits::kNote)};
  if (!f.ok()) return reply(ErrorResponse(AsMalformed(f.status())));
  if (auto no = RefusePlan(who, Action::kPlanRun, id)) return reply(std::move(*no));
  Submit(r, std::move(c), who, std::move(reply), Applied);
}

void PlanRoutes::PhaseRoute(const HttpRequest& r, uint64_t id, const std::string& phase, Who who,
                            Reply reply) {
  auto parsed = ParseJsonBody(r.body);
  if (!parsed.ok()) return reply(ErrorResponse(AsMalformed(parsed.status())));
  FieldReader f(*parsed, {"to"});
  ChangePlanPhase c{id, phase, f.String("to", true, 32)};
  if (!f.ok()) return reply(ErrorResponse(AsMalformed(f.status())));
  if (auto no = RefusePlan(who, Action::kPlanRun, id)) return reply(std::move(*no));
  Submit(r, std::move(c), who, std::move(reply), Applied);
}

void PlanRoutes::TaskRoute(const HttpRequest& r, uint64_t id, const std::string& task, Who who,
                           Reply reply) {
  auto parsed = ParseJsonBody(r.body);
  if (!parsed.ok()) return reply(ErrorResponse(AsMalformed(parsed.status())));
  FieldReader f(*parsed, {"to", "reason"});
  ChangePlanTask c{id, task, f.String("to", true, 32), f.String("reason", false, Limits::kNote)};
  if (!f.ok()) return reply(ErrorResponse(AsMalformed(f.status())));
  if (auto no = RefusePlan(who, Action::kPlanTask, id)) return reply(std::move(*no));
  Submit(r, std::move(c), who, std::move(reply), Applied);
}

void PlanRoutes::ChecklistRoute(const HttpRequest& r, uint64_t id, const std::string& task, Who who,
                                Reply reply) {
  auto parsed = ParseJsonBody(r.body);
  if (!parsed.ok()) return reply(ErrorResponse(AsMalformed(parsed.status())));
  FieldReader f(*parsed, {"item", "done"});
  auto item = f.Integer("item", true);
  auto done = f.Bool("done", true);
  if (!f.ok()) return reply(ErrorResponse(AsMalformed(f.status())));
  if (*item < 0 || *item >= static_cast<int64_t>(Limits::kTaskChecklist))
    return reply(ErrorResponse(
        InvalidArgument("must be 0 to " + std::to_string(Limits::kTaskChecklist - 1), "item")));
  if (auto no = RefusePlan(who, Action::kPlanTask, id)) return reply(std::move(*no));
  Submit(r, CheckPlanTask{id, task, static_cast<uint32_t>(*item), *done}, who, std::move(reply),
         Applied);
}

void PlanRoutes::FireRoute(const HttpRequest& r, uint64_t id, const std::string& point, Who who,
                           Reply reply) {
  auto parsed = ParseJsonBody(r.body);
  if (!parsed.ok()) return reply(ErrorResponse(AsMalformed(parsed.status())));
  FieldReader f(*parsed, {"trigger"});
  std::string trigger = f.String("trigger", false, Limits::kShortText);
  if (!f.ok()) return reply(ErrorResponse(AsMalformed(f.status())));
  if (point.size() > kKey) return reply(ErrorResponse(InvalidArgument("too long", "point")));
  if (auto no = RefusePlan(who, Action::kPlanRun, id)) return reply(std::move(*no));
  if (trigger.empty()) trigger = "by hand: " + who.user;
  Submit(r, FireDecisionPoint{id, point, 0, std::move(trigger)}, who, std::move(reply), Applied);
}

}  // namespace ncc
