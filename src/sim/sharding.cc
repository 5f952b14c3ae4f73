#include "sim/sharding.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace ncc::sim {

using dispatch::UnitInfo;

ShardedPolicy::ShardedPolicy(std::unique_ptr<Policy> inner, int shards, ShardAid aid)
    : inner_(std::move(inner)), shards_(shards), aid_(aid), counts_(static_cast<size_t>(shards)) {}

StatusOr<std::unique_ptr<ShardedPolicy>> MakeShardedPolicy(std::unique_ptr<Policy> inner,
                                                           int shards, std::string_view aid) {
  if (shards < 1 || shards > kMaxShards)
    return InvalidArgument(
        "shards must be 1 to " + std::to_string(kMaxShards) + ", not " + std::to_string(shards),
        "shards");
  ShardAid rule;
  if (aid == kShardAidNames[0]) {
    rule = ShardAid::kWhenShort;
  } else if (aid == kShardAidNames[1]) {
    rule = ShardAid::kClosest;
  } else {
    return InvalidArgument(
        "unknown shard-aid '" + std::string(aid) + "' (known: when-short, closest)", "shard-aid");
  }
  return std::make_unique<ShardedPolicy>(std::move(inner), shards, rule);
}

// The first dispatch sees every unit at its quarters (nothing has moved yet): the borders split
// those quarters into bands of equal counts.
void ShardedPolicy::LearnBorders(std::span<const UnitInfo> units) {
  learned_ = true;
  std::vector<double> lons;
  for (const UnitInfo& u : units)
    if (u.position) lons.push_back(u.position->lon);
  std::sort(lons.begin(), lons.end());
  for (int k = 1; k < shards_ && !lons.empty(); ++k) {
    size_t i = lons.size() * static_cast<size_t>(k) / static_cast<size_t>(shards_);
    i = std::min(std::max<size_t>(i, 1), lons.size() - 1);
    borders_.push_back((lons[i - 1] + lons[i]) / 2);  // between two quarters, never on one
  }
}

int ShardedPolicy::ShardOf(LatLon p) const {
  return static_cast<int>(std::upper_bound(borders_.begin(), borders_.end(), p.lon) -
                          borders_.begin());
}

double ShardedPolicy::MetersToBorder(LatLon p) const {
  double best = std::numeric_limits<double>::infinity();
  constexpr double kMetersPerDegree = 111'320;
  const double per_lon = kMetersPerDegree * std::cos(p.lat * M_PI / 180);
  for (double b : borders_) best = std::min(best, std::abs(p.lon - b) * per_lon);
  return best;
}

Choice ShardedPolicy::Choose(const Ask& ask, std::span<const UnitInfo> units) {
  if (!learned_) LearnBorders(units);
  const int shard = ShardOf(ask.incident.location);
  std::vector<UnitInfo> local, others;
  for (const UnitInfo& u : units) {
    auto [it, added] = home_.try_emplace(u.id.value, 0);
    if (added) {
      it->second = u.position ? ShardOf(*u.position) : 0;
      ++counts_[static_cast<size_t>(it->second)].units;
    }
    (it->second == shard ? local : others).push_back(u);
  }
  Counts& c = counts_[static_cast<size_t>(shard)];
  ++c.asks;
  c.slots += ask.kinds.size();
  if (MetersToBorder(ask.incident.location) <= kBorderMeters) ++c.border;

  if (aid_ == ShardAid::kClosest) {
    Choice choice = inner_->Choose(ask, units);
    for (const std::optional<UnitId>& u : choice.units) {
      if (!u) {
        ++c.unfilled;
      } else if (home_.at(u->value) == shard) {
        ++c.home;
      } else {
        ++c.mutual_aid;
      }
    }
    c.asks_with_aid += std::any_of(choice.units.begin(), choice.units.end(),
                                   [&](const auto& u) { return u && home_.at(u->value) != shard; });
    return choice;
  }
  Choice choice = inner_->Choose(ask, local);
  Ask aid;  // the slots home could not fill, asked of the other shards
  aid.incident = ask.incident;
  std::vector<size_t> open;
  for (size_t s = 0; s < choice.units.size(); ++s) {
    if (choice.units[s]) continue;
    open.push_back(s);
    aid.kinds.push_back(ask.kinds[s]);
    aid.real_units.push_back(ask.real_units[s]);
  }
  c.home += ask.kinds.size() - open.size();
  if (!open.empty() && !others.empty()) {
    // The aiding shard logs its own recommendation in its own log; this run's single log
    // keeps the home shard's, and the assignment names every unit that went.
    Choice lent = inner_->Choose(aid, others);
    choice.substituted += lent.substituted;
    size_t filled = 0;
    for (size_t j = 0; j < open.size(); ++j)
      if (lent.units[j]) {
        choice.units[open[j]] = lent.units[j];
        ++filled;
      }
    c.mutual_aid += filled;
    c.asks_with_aid += filled > 0;
    c.unfilled += open.size() - filled;
  } else {
    c.unfilled += open.size();
  }
  return choice;
}

nlohmann::json ShardedPolicy::Figures(const SimFigures& run) const {
  std::vector<std::vector<double>> travel(static_cast<size_t>(shards_));
  std::vector<double> border_travel, all;
  for (const CallOutcome& o : run.outcomes) {
    if (std::isnan(o.first_unit_travel_s)) continue;
    travel[static_cast<size_t>(ShardOf(o.location))].push_back(o.first_unit_travel_s);
    all.push_back(o.first_unit_travel_s);
    if (MetersToBorder(o.location) <= kBorderMeters) border_travel.push_back(o.first_unit_travel_s);
  }
  auto round1 = [](double v) {
    return std::isnan(v) ? nlohmann::json(nullptr) : nlohmann::json(std::round(v * 10) / 10);
  };
  auto travel_json = [&](nlohmann::json& j, const std::vector<double>& v) {
    size_t within = 0;
    for (double s : v) within += s <= 240;
    j["calls_with_arrival"] = v.size();
    j["first_unit_travel_p50_s"] = round1(Percentile(v, 0.5));
    j["first_unit_travel_p90_s"] = round1(Percentile(v, 0.9));
    j["within_240s_pct"] = round1(v.empty() ? NAN : 100.0 * within / v.size());
  };
  nlohmann::json out = nlohmann::json::object();
  out["shards"] = shards_;
  out["by"] = "longitude bands of equal counts of quarters";
  out["aid"] = kShardAidNames[static_cast<size_t>(aid_)];
  out["borders_lon"] = borders_;
  out["border_meters"] = kBorderMeters;
  Counts sum;
  nlohmann::json per = nlohmann::json::array();
  for (int k = 0; k < shards_; ++k) {
    const Counts& c = counts_[static_cast<size_t>(k)];
    nlohmann::json j = {{"shard", k},
                        {"units", c.units},
                        {"dispatches", c.asks},
                        {"slots", c.slots},
                        {"slots_home", c.home},
                        {"slots_mutual_aid", c.mutual_aid},
                        {"slots_unfilled", c.unfilled},
                        {"dispatches_with_aid", c.asks_with_aid},
                        {"border_dispatches", c.border}};
    travel_json(j, travel[static_cast<size_t>(k)]);
    per.push_back(std::move(j));
    sum.units += c.units, sum.asks += c.asks, sum.slots += c.slots, sum.home += c.home;
    sum.mutual_aid += c.mutual_aid, sum.unfilled += c.unfilled, sum.border += c.border;
    sum.asks_with_aid += c.asks_with_aid;
  }
  out["per_shard"] = std::move(per);
  out["slots"] = sum.slots;
  out["slots_mutual_aid"] = sum.mutual_aid;
  out["mutual_aid_pct"] = round1(sum.slots ? 100.0 * sum.mutual_aid / sum.slots : NAN);
  out["dispatches_with_aid"] = sum.asks_with_aid;
  out["border_dispatches"] = sum.border;
  nlohmann::json border = nlohmann::json::object();
  travel_json(border, border_travel);
  out["border_calls"] = std::move(border);
  nlohmann::json whole = nlohmann::json::object();
  travel_json(whole, all);
  out["all_calls"] = std::move(whole);
  return out;
}

}  // namespace ncc::sim
