// decide for situation reports: a draft is the author agency's until a supervisor there
// approves the revision they read; an approved report is final. Pure, like decide.cc.
#include <algorithm>

#include "core/decide_internal.h"

namespace ncc {

StatusOr<Decision> On(const DraftSitRep& c, const World& world, const CommandContext& ctx) {
  SitRep r = c.report;
  const SitRep* before = r.id ? world.FindSitRep(r.id) : nullptr;
  if (r.id && !before) return NotFound("no situation report " + std::to_string(r.id), "id");
  if (before && before->agency != ctx.agency)
    return Status(StatusCode::kPermissionDenied, "the report is " + before->agency + "'s", "id");
  if (before && before->status != "draft")
    return FailedPrecondition("the report is approved; write a new one", "id");
  if (!before) r.id = world.NextSitRepId();
  NCC_RETURN_IF_ERROR(CheckText(r.title, Limits::kShortText, "title", true));
  NCC_RETURN_IF_ERROR(CheckText(r.narrative, Limits::kSitRepNarrative, "narrative", false));
  if (r.figures.size() > Limits::kSitRepFigures)
    return InvalidArgument("the figures are too large", "figures");
  if (r.at > ctx.now) return InvalidArgument("is after now", "at");
  if (r.at_seq > world.last_seq().value) return InvalidArgument("is beyond the log", "at");
  if (r.plan && !world.FindPlan(r.plan))
    return NotFound("no plan " + std::to_string(r.plan), "plan");
  if (r.shared_with.size() > Limits::kPlanAgencies)
    return InvalidArgument("at most " + std::to_string(Limits::kPlanAgencies) + " agencies",
                           "shared_with");
  for (size_t k = 0; k < r.shared_with.size(); ++k) {
    const std::string field = "shared_with[" + std::to_string(k) + "]";
    if (!world.FindAgency(r.shared_with[k]))
      return NotFound("no agency " + r.shared_with[k], field);
    if (r.shared_with[k] == ctx.agency)
      return InvalidArgument("the report is your own agency's already", field);
    if (std::count(r.shared_with.begin(), r.shared_with.end(), r.shared_with[k]) > 1)
      return InvalidArgument(r.shared_with[k] + " is named twice", field);
  }
  Decision d;
  d.created_id = r.id;
  Classification label = r.classification;
  d.events.push_back({SitRepDrafted{std::move(r)}, ctx.agency, label});
  return d;
}

StatusOr<Decision> On(const ApproveSitRep& c, const World& world, const CommandContext& ctx) {
  const SitRep* r = world.FindSitRep(c.id);
  if (!r) return NotFound("no situation report " + std::to_string(c.id), "id");
  if (r->agency != ctx.agency)
    return Status(StatusCode::kPermissionDenied, "the report is " + r->agency + "'s", "id");
  if (r->status != "draft") return FailedPrecondition("the report is approved already", "id");
  if (c.revision != r->revision)
    return FailedPrecondition("the report is at revision " + std::to_string(r->revision) +
                                  "; read it again before approving",
                              "revision");
  Decision d;
  d.created_id = r->id;
  d.events.push_back({SitRepApproved{r->id, r->revision}, r->agency, r->classification});
  return d;
}

}  // namespace ncc
