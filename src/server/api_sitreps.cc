// Situation reports under /api/v1/sitreps (docs/plans.md). A report is drafted from the World
// at a chosen moment (now, or `at` through the past pictures) as its author sees it, and counts
// only records every reader of the report may see: at or below its label, and owned by or
// shared with every agency it is shared with. Edited (each revision regenerates the figures
// for its audience), approved by a supervisor of the author's agency, read by the agencies it
// is shared with.
#include "core/json_writer.h"
#include "input/json_body.h"
#include "plan/sitrep.h"
#include "server/api_rooms.h"
#include "visibility/access.h"

namespace ncc {
namespace {

using auth::Action;
using nlohmann::json;

constexpr size_t kMaxAudience = 32;

// Whether every agency of the report's audience may see a record with `label` at all.
bool AudienceSees(const auth::RecordLabel& label, const SitRep& r) {
  if (label.classification > r.classification) return false;
  auto sees = [&](const std::string& agency) {
    return label.agency == agency || std::find(label.shared_with.begin(), label.shared_with.end(),
                                               agency) != label.shared_with.end();
  };
  if (!sees(r.agency)) return false;
  return std::all_of(r.shared_with.begin(), r.shared_with.end(), sees);
}

plan::SitRepFilter FilterFor(const auth::Principal& who, const SitRep& r) {
  auto fits = [&who, &r](const auth::RecordLabel& label, Action read) {
    return auth::CanSee(who, label, read) && AudienceSees(label, r);
  };
  return {[fits](const Incident& i) { return fits(LabelOf(i), Action::kIncidentRead); },
          [fits](const Unit& u) { return fits(LabelOf(u), Action::kUnitRead); },
          [fits](const OperationPlan& p) { return fits(LabelOf(p), Action::kPlanRead); }};
}

// Reads of reports above public are audited ("sitrep:ID"), as confidential incidents are.
bool Audited(const SitRep& r) {
  return r.classification > Classification::kPublic;
}

json Summary(const SitRep& r) {
  return {{"id", r.id},
          {"title", r.title},
          {"agency", r.agency},
          {"classification", Name(r.classification)},
          {"shared_with", r.shared_with},
          {"status", r.status},
          {"revision", r.revision},
          {"at", FormatTime(r.at)},
          {"plan", r.plan},
          {"author", r.author},
          {"updated", FormatTime(r.updated)}};
}

}  // namespace

SitRepRoutes::SitRepRoutes(ApiCore& core, picture::PastWorlds* past) : ApiRoom(core), past_(past) {}

void SitRepRoutes::AddRoutes(Router& router) {
  router.Add({"GET", "/api/v1/sitreps", Action::kSitRepRead, Gate::kSignedIn, BodyType::kNone,
              [this](const RouteCall& c, Reply reply) { ListRoute(c.who(), std::move(reply)); }});
  router.Add({"POST", "/api/v1/sitreps", Action::kSitRepWrite, Gate::kSignedIn, BodyType::kJson,
              [this](const RouteCall& c, Reply reply) {
                DraftRoute(c.request(), 0, c.who(), std::move(reply));
              },
              true});
  for (const char* suffix : {"", "/report.html", "/report.pdf"})
    router.Add({"GET", std::string("/api/v1/sitreps/{id}") + suffix, Action::kSitRepRead,
                Gate::kSignedIn, BodyType::kNone,
                [this, view = std::string(suffix)](const RouteCall& c, Reply reply) {
                  ShowRoute(c.Id(), c.who(), std::move(reply), view);
                }});
  router.Add({"POST", "/api/v1/sitreps/{id}/revision", Action::kSitRepWrite, Gate::kSignedIn,
              BodyType::kJson,
              [this](const RouteCall& c, Reply reply) {
                DraftRoute(c.request(), c.Id(), c.who(), std::move(reply));
              },
              true});
  router.Add({"POST", "/api/v1/sitreps/{id}/approval", Action::kSitRepApprove, Gate::kSignedIn,
              BodyType::kJson,
              [this](const RouteCall& c, Reply reply) {
                ApproveRoute(c.request(), c.Id(), c.who(), std::move(reply));
              },
              true});
}

Status SitRepRoutes::Generate(Who who, SitRep& r, std::optional<Time> at) {
  plan::SitRepFilter see = FilterFor(who, r);
  if (!at && !r.at_seq) {  // now: the head World, under the read lock
    engine_.Read([&](const World& w) {
      r.at = clock_.Now();
      r.at_seq = w.last_seq().value;
      r.figures = plan::SitRepFigures(w, r.at, r.plan, see).dump();
    });
    return Status::Ok();
  }
  if (!past_) return Unavailable("no past pictures on this server");
  Seq seq(r.at_seq);
  if (at) {
    if (*at > clock_.Now()) return InvalidArgument("is after now", "at");
    auto position = past_->SeqAt(*at);
    if (!position.ok()) return position.status();
    seq = position->seq;
    r.at = *at;
  }
  auto past = past_->At(seq);
  if (!past.ok()) return past.status();
  r.at_seq = seq.value;
  r.figures = plan::SitRepFigures(*past->world, r.at, r.plan, see).dump();
  return Status::Ok();
}

void SitRepRoutes::DraftRoute(const HttpRequest& r, uint64_t id, Who who, Reply reply) {
  auto parsed = ParseJsonBody(r.body);
  if (!parsed.ok()) return reply(ErrorResponse(AsMalformed(parsed.status())));
  FieldReader f(*parsed, {"title", "at", "plan", "narrative", "classification", "shared_with"});
  std::string title = f.String("title", id == 0, Limits::kShortText);
  auto at = f.Timestamp("at", false);
  auto plan = f.Integer("plan", false);
  std::string narrative = f.String("narrative", false, Limits::kSitRepNarrative);
  std::string label = f.String("classification", false, 32);
  bool audience_given = parsed->is_object() && parsed->contains("shared_with");
  std::vector<std::string> audience = f.Strings("shared_with", kMaxAudience, 64);
  if (!f.ok()) return reply(ErrorResponse(AsMalformed(f.status())));
  SitRep report;
  if (id) {
    auto current = engine_.Read([&](const World& w) -> std::optional<SitRep> {
      const SitRep* s = w.FindSitRep(id);
      return s ? std::optional(*s) : std::nullopt;
    });
    auto shown = current ? std::optional(LabelOf(*current)) : std::nullopt;
    if (auto no =
            Refuse(who, Action::kSitRepWrite, Action::kSitRepRead, shown, "situation report", id))
      return reply(std::move(*no));
    report = std::move(*current);
    if (at) return reply(ErrorResponse(InvalidArgument("a report keeps its moment", "at")));
  } else {
    report.agency = who.agency;
    report.plan = plan.value_or(0) > 0 ? static_cast<uint64_t>(*plan) : 0;
  }
  if (!title.empty()) report.title = std::move(title);
  if (parsed->contains("narrative")) report.narrative = std::move(narrative);
  if (audience_given) report.shared_with = std::move(audience);
  if (!label.empty()) {
    auto c = ParseClassification(label);
    if (!c)
      return reply(ErrorResponse(
          InvalidArgument("must be public, restricted, confidential or secret", "classification")));
    report.classification = *c;
  }
  auth::RecordLabel own{who.agency, report.classification, {}};
  if (Status s = auth::Authorize(who, Action::kSitRepWrite, &own); !s.ok())
    return reply(ErrorResponse(s));
  if (Status s = Generate(who, report, at); !s.ok()) return reply(ErrorResponse(s));
  Submit(r, DraftSitRep{std::move(report)}, who, std::move(reply), id ? Applied : Created);
}

void SitRepRoutes::ListRoute(Who who, Reply reply) {
  RecordAccess audited{{}, "GET /api/v1/sitreps", {}, {}};
  json items = engine_.Read([&](const World& w) {
    json out = json::array();
    for (const SitRep& s : w.sitreps()) {
      if (!auth::CanSee(who, LabelOf(s), Action::kSitRepRead)) continue;
      out.push_back(Summary(s));
      if (Audited(s)) audited.sitreps.push_back(s.id);
    }
    return out;
  });
  ReplyAfterAudit(std::move(audited), who, std::move(reply),
                  JsonResponse(200, {{"items", std::move(items)}}));
}

void SitRepRoutes::ShowRoute(uint64_t id, Who who, Reply reply, std::string_view view) {
  bool audit = false;
  std::string pdf_html;
  auto answer = engine_.Read([&](const World& w) -> std::optional<HttpResponse> {
    const SitRep* s = w.FindSitRep(id);
    if (!s || !auth::CanSee(who, LabelOf(*s), Action::kSitRepRead)) return std::nullopt;
    audit = Audited(*s);
    if (view == "/report.pdf") {
      pdf_html = plan::SitRepHtml(*s, w);
      return HttpResponse{};
    }
    return view == "/report.html" ? HtmlPage(plan::SitRepHtml(*s, w))
                                  : JsonResponse(200, plan::SitRepJson(*s));
  });
  if (!answer)
    return reply(ErrorResponse(NotFound("no situation report " + std::to_string(id), "id")));
  RecordAccess audited{{}, "GET /api/v1/sitreps/{id}" + std::string(view), {}, {}};
  if (audit) audited.sitreps.push_back(id);
  if (!pdf_html.empty())
    return ReplyPdf(core_, std::move(pdf_html), "sitrep-" + std::to_string(id) + ".pdf",
                    std::move(audited), who, std::move(reply));
  ReplyAfterAudit(std::move(audited), who, std::move(reply), std::move(*answer));
}

void SitRepRoutes::ApproveRoute(const HttpRequest& r, uint64_t id, Who who, Reply reply) {
  auto parsed = ParseJsonBody(r.body);
  if (!parsed.ok()) return reply(ErrorResponse(AsMalformed(parsed.status())));
  FieldReader f(*parsed, {"revision"});
  auto revision = f.Integer("revision", true);
  if (!f.ok()) return reply(ErrorResponse(AsMalformed(f.status())));
  auto label = engine_.Read([&](const World& w) -> std::optional<auth::RecordLabel> {
    const SitRep* s = w.FindSitRep(id);
    return s ? std::optional(LabelOf(*s)) : std::nullopt;
  });
  if (auto no =
          Refuse(who, Action::kSitRepApprove, Action::kSitRepRead, label, "situation report", id))
    return reply(std::move(*no));
  uint32_t rev = *revision > 0 && *revision < (1LL << 31) ? static_cast<uint32_t>(*revision) : 0;
  Submit(r, ApproveSitRep{id, rev}, who, std::move(reply), Applied);
}

}  // namespace ncc
