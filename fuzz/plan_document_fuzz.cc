// Operation plan documents (POST /api/v1/operations, docs/plans.md): the reader, then decide's
// whole-plan checks on a small World, then the views of an accepted plan. Any input must give
// a plan or a precise error, never a crash or a hang (dependency walks, polygons).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/commands.h"
#include "plan/plan_document.h"
#include "plan/views.h"

namespace {

// Agencies and a unit the documents may name (as the seeds do).
const ncc::World& BaseWorld() {
  static const ncc::World world = [] {
    ncc::World w;
    std::vector<ncc::Event> log;
    ncc::CommandContext ctx{"fuzz", "sffd", ncc::Time{1'790'000'000'000}};
    for (const char* a : {"sffd", "ems_private", "sfpd"})
      (void)ncc::Execute(ncc::RegisterAgency{{a, a, "other"}}, w, ctx, log);
    for (const char* u : {"E16", "T16", "E02"})
      (void)ncc::Execute(ncc::RegisterUnit{u, "sffd", "engine", {}, "", ncc::LatLon{37.8, -122.44}},
                         w, ctx, log);
    ctx.agency = "ems_private";
    (void)ncc::Execute(ncc::RegisterUnit{"KM09", "ems_private", "ambulance", {}, "", std::nullopt},
                       w, ctx, log);
    return w;
  }();
  return world;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto plan = ncc::plan::ParsePlanDocument(text);
  if (!plan.ok()) return 0;
  (void)ncc::plan::ReadPlanDocument(ncc::plan::PlanDocument(*plan));
  ncc::World w = BaseWorld();
  std::vector<ncc::Event> log;
  ncc::CommandContext ctx{"fuzz", "sffd", ncc::Time{1'790'000'000'000}};
  auto defined = ncc::Execute(ncc::DefinePlan{*plan}, w, ctx, log);
  if (!defined.ok()) return 0;
  const ncc::OperationPlan& p = *w.FindPlan(defined->created_id);
  ncc::Time later{p.end.ms + 1};
  (void)ncc::plan::MeasureProgress(p, w, later);
  (void)ncc::plan::MatrixJson(p, later);
  (void)ncc::plan::MatrixHtml(p, w, later);
  (void)ncc::plan::FormsHtml(p, w, later);
  return 0;
}
