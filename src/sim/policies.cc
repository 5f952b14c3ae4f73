#include "sim/policies.h"

#include <algorithm>

#include "dispatch/plans.h"

namespace ncc::sim {
namespace {

using dispatch::UnitInfo;

// The recommender over a plan made from the ask; plans are parsed once per distinct demand.
class RecommenderPolicy final : public Policy {
 public:
  RecommenderPolicy(std::string name, std::unique_ptr<dispatch::TravelTimes> travel, bool move_ups)
      : name_(std::move(name)), travel_(std::move(travel)), move_ups_(move_ups) {}
  std::string_view name() const override { return name_; }
  bool moves_up() const override { return move_ups_; }

  Choice Choose(const Ask& ask, std::span<const UnitInfo> units) override {
    Choice c;
    c.units.assign(ask.kinds.size(), std::nullopt);
    const dispatch::PlanSet* plans = PlansFor(ask);
    if (!plans) return c;
    dispatch::Recommendation r =
        dispatch::Recommend(ask.incident, units, *plans, *travel_, &straight_);
    std::vector<bool> filled(ask.kinds.size(), false);
    for (const dispatch::Candidate& cand : r.chosen)
      for (size_t s = 0; s < ask.kinds.size(); ++s)
        if (!filled[s] && ask.kinds[s] == cand.slot) {
          filled[s] = true;
          c.units[s] = cand.unit;
          break;
        }
    r.plan = "sim:" + name_;
    c.recommendation = r.ToCommand();
    return c;
  }

 private:
  const dispatch::PlanSet* PlansFor(const Ask& ask) {
    std::string text = PlanTextFor(ask);
    auto it = plans_.find(text);
    if (it == plans_.end()) {
      auto parsed = dispatch::PlanSet::Parse(text, "sim");
      if (!parsed.ok()) return nullptr;
      it = plans_.emplace(text, std::move(*parsed)).first;
    }
    return &it->second;
  }

  std::string name_;
  std::unique_ptr<dispatch::TravelTimes> travel_;
  dispatch::StraightLineTravelTimes straight_;
  bool move_ups_;
  std::map<std::string, dispatch::PlanSet> plans_;
};

class HistoricalPolicy final : public Policy {
 public:
  std::string_view name() const override { return "historical"; }
  Choice Choose(const Ask& ask, std::span<const UnitInfo> units) override {
    Choice c;
    c.units.assign(ask.kinds.size(), std::nullopt);
    std::vector<bool> taken(units.size(), false);
    auto free = [&](size_t i) {
      return !taken[i] && units[i].status == UnitStatus::kAvailable && units[i].position;
    };
    for (size_t s = 0; s < ask.kinds.size(); ++s)
      for (size_t i = 0; i < units.size(); ++i)
        if (units[i].callsign == ask.real_units[s] && free(i)) {
          taken[i] = true;
          c.units[s] = units[i].id;
        }
    for (size_t s = 0; s < ask.kinds.size(); ++s) {
      if (c.units[s]) continue;
      size_t best = units.size();
      double best_m = 0;
      for (size_t i = 0; i < units.size(); ++i) {
        if (!free(i) || units[i].kind != ask.kinds[s]) continue;
        double m = DistanceMeters(*units[i].position, ask.incident.location);
        if (best == units.size() || m < best_m) best = i, best_m = m;
      }
      if (best == units.size()) continue;
      taken[best] = true;
      c.units[s] = units[best].id;
      ++c.substituted;
    }
    return c;
  }
};

}  // namespace

std::string PlanTextFor(const Ask& ask) {
  std::map<std::string, int> count;
  for (const std::string& k : ask.kinds) ++count[k];
  std::string text = "[turnout]\n* = 1s\n[substitutes]\nengine = ladder\n[plan default]\n";
  text += "name = as the call was really answered\n";
  for (const auto& [kind, n] : count) text += "need = " + std::to_string(n) + " " + kind + "\n";
  text += "target.* = 60 60 4m\n";
  return text;
}

StatusOr<std::unique_ptr<Policy>> MakePolicy(std::string_view name,
                                             const routing::RoutingService& routing) {
  if (name == "ncc" || name == "ncc+moveup")
    return std::unique_ptr<Policy>(new RecommenderPolicy(
        std::string(name), std::make_unique<dispatch::RoadTravelTimes>(routing),
        name == "ncc+moveup"));
  if (name == "nearest-straight-line")
    return std::unique_ptr<Policy>(new RecommenderPolicy(
        std::string(name), std::make_unique<dispatch::StraightLineTravelTimes>(), false));
  if (name == "historical") return std::unique_ptr<Policy>(new HistoricalPolicy());
  std::string known;
  for (std::string_view n : kPolicyNames) known += (known.empty() ? "" : ", ") + std::string(n);
  return InvalidArgument("unknown policy '" + std::string(name) + "' (known: " + known + ")",
                         "policy");
}

}  // namespace ncc::sim
