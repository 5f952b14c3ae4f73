// decide for public warnings: what CAP 1.2 and ncc accept in a warning (CheckWarningContent,
// also the reader's check in src/exchange/cap), and the chain rules: an Update or a Cancel
// replaces the latest actual warning of the caller's own agency. Pure, like decide.cc.
#include <cmath>
#include <initializer_list>
#include <set>
#include <utility>

#include "core/decide_internal.h"

namespace ncc {
namespace {

bool OneOf(const std::string& v, std::initializer_list<std::string_view> allowed) {
  for (std::string_view a : allowed)
    if (v == a) return true;
  return false;
}

Status CheckGrades(const WarningContent& w) {
  struct Grade {
    const char* field;
    const std::string& value;
    std::initializer_list<std::string_view> allowed;
  };
  const Grade kGrades[] = {
      {"category",
       w.category,
       {"Geo", "Met", "Safety", "Security", "Rescue", "Fire", "Health", "Env", "Transport", "Infra",
        "CBRNE", "Other"}},
      {"urgency", w.urgency, {"Immediate", "Expected", "Future", "Past", "Unknown"}},
      {"severity", w.severity, {"Extreme", "Severe", "Moderate", "Minor", "Unknown"}},
      {"certainty", w.certainty, {"Observed", "Likely", "Possible", "Unlikely", "Unknown"}},
  };
  for (const Grade& g : kGrades) {
    if (g.value.empty()) return InvalidArgument("required", g.field);
    if (!OneOf(g.value, g.allowed))
      return InvalidArgument("not a CAP 1.2 " + std::string(g.field) + " value", g.field);
  }
  return CheckText(w.audience, Limits::kWarningArea, "audience", false);
}

Status CheckArea(const WarningArea& a) {
  if (a.description.empty() && a.polygon.empty() && !a.centre)
    return InvalidArgument("required", "area");
  NCC_RETURN_IF_ERROR(CheckText(a.description, Limits::kWarningArea, "area.description", true));
  bool polygon = !a.polygon.empty(), circle = a.centre.has_value();
  if (polygon == circle)
    return InvalidArgument("exactly one of polygon and circle", polygon ? "area.circle" : "area");
  if (circle) {
    NCC_RETURN_IF_ERROR(ValidateLatLon(*a.centre, "area.circle"));
    if (!std::isfinite(a.radius_km) || a.radius_km <= 0 || a.radius_km > 5000)
      return InvalidArgument("must be more than 0 and at most 5000", "area.circle.radius_km");
    return Status::Ok();
  }
  if (a.polygon.size() > Limits::kWarningPoints + 1)
    return InvalidArgument("at most " + std::to_string(Limits::kWarningPoints) + " points",
                           "area.polygon");
  for (size_t k = 0; k < a.polygon.size(); ++k)
    NCC_RETURN_IF_ERROR(ValidateLatLon(a.polygon[k], "area.polygon[" + std::to_string(k) + "]"));
  const LatLon &first = a.polygon.front(), &last = a.polygon.back();
  if (first.lat != last.lat || first.lon != last.lon)
    return InvalidArgument("the ring must end where it starts", "area.polygon");
  std::set<std::pair<double, double>> corners;  // the closing vertex repeats the first
  for (size_t k = 0; k + 1 < a.polygon.size(); ++k)
    corners.insert({a.polygon[k].lat, a.polygon[k].lon});
  if (corners.size() < 3)
    return InvalidArgument("a polygon needs at least 3 distinct points", "area.polygon");
  return Status::Ok();
}

Status CheckInfo(const WarningContent& w) {
  if (w.info.empty() && w.msg_type != "Cancel")
    return InvalidArgument("required: one block per language (ar, en)", "info");
  if (w.info.size() > 2) return InvalidArgument("at most one block per language (ar, en)", "info");
  std::set<std::string> languages;
  for (size_t k = 0; k < w.info.size(); ++k) {
    const WarningInfo& i = w.info[k];
    const std::string path = "info[" + std::to_string(k) + "]";
    if (!OneOf(i.language, {"ar", "en"}))
      return InvalidArgument("must be ar or en", path + ".language");
    if (!languages.insert(i.language).second)
      return InvalidArgument("a second block in " + i.language, path + ".language");
    NCC_RETURN_IF_ERROR(CheckText(i.event, Limits::kShortText, path + ".event", true));
    NCC_RETURN_IF_ERROR(CheckText(i.headline, Limits::kWarningHeadline, path + ".headline", true));
    NCC_RETURN_IF_ERROR(CheckText(i.description, Limits::kNote, path + ".description", false));
    NCC_RETURN_IF_ERROR(CheckText(i.instruction, Limits::kNote, path + ".instruction", false));
  }
  return Status::Ok();
}

}  // namespace

Status CheckWarningContent(const WarningContent& w) {
  if (!OneOf(w.msg_type, {"Alert", "Update", "Cancel"}))
    return InvalidArgument("must be Alert, Update or Cancel", "msg_type");
  if ((w.msg_type == "Alert") != (w.references == 0))
    return InvalidArgument(
        w.msg_type == "Alert" ? "an Alert references nothing" : "names the warning it replaces",
        "references");
  NCC_RETURN_IF_ERROR(CheckGrades(w));
  bool has_area = !w.area.description.empty() || !w.area.polygon.empty() || w.area.centre;
  if (has_area || w.msg_type != "Cancel" || !w.info.empty()) NCC_RETURN_IF_ERROR(CheckArea(w.area));
  return CheckInfo(w);
}

StatusOr<Decision> On(const IssueWarning& c, const World& world, const CommandContext& ctx) {
  const WarningContent& w = c.content;
  NCC_RETURN_IF_ERROR(CheckWarningContent(w));
  if (w.expires && *w.expires <= ctx.now) return InvalidArgument("is not in the future", "expires");
  if (w.references) {
    const PublicWarning* before = world.FindWarning(w.references);
    if (!before) return NotFound("no warning " + std::to_string(w.references), "references");
    if (before->agency != ctx.agency)
      return Status(StatusCode::kPermissionDenied,
                    "warning " + std::to_string(before->id) + " is " + before->agency + "'s",
                    "references");
    if (before->content.msg_type == "Cancel")
      return FailedPrecondition(
          "warning " + std::to_string(before->id) + " cancelled its chain; issue a new Alert",
          "references");
    if (before->state != "actual")
      return FailedPrecondition("warning " + std::to_string(before->id) + " is " + before->state +
                                    " by warning " + std::to_string(before->replaced_by) +
                                    "; update or cancel that one",
                                "references");
  }
  PublicWarning issued;
  issued.id = world.NextWarningId();
  issued.content = w;
  Decision d;
  d.created_id = issued.id;
  d.events.push_back({WarningIssued{std::move(issued)}, ctx.agency, Classification::kPublic});
  return d;
}

}  // namespace ncc
