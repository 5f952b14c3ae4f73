// Sharding by region, measured (docs/sharding.md): the same calls and fleet split into K shards,
// each a centre with its own log and writer that dispatches only its own units. An incident
// belongs to the shard its location lies in; a unit to the shard its quarters lie in. A slot
// the home shard cannot fill (no available unit of the kind, or none that can fill it) is asked
// of the other shards: mutual aid, filled by the same policy over their units. Run with K = 1
// it is the plain policy, so one command gives the baseline and the sharded figures side by
// side (`ncc sim --shards K`).
//
// Two rules for mutual aid (`--shard-aid`):
//   when-short  a shard dispatches its own units; only a slot it cannot fill goes to the others
//               (centres that each see only their own fleet);
//   closest     every shard sees every shard's available units (a follower of each other
//               shard's log) and sends the best, wherever it is based; a unit of another shard
//               is mutual aid (a command to that shard's writer). Its outcome is the unsharded
//               one; what it costs is the cross-shard commands it counts.
//
// Shards are bands of longitude (west to east) with equal numbers of units' quarters, so that
// every shard has a fleet of the same size; the borders are the longitudes between the bands.
//
// Owner: src/sim. Thread: the simulator's (as every Policy). Errors: MakeShardedPolicy refuses a
// shard count outside 1..16, naming `shards`,
// and an unknown aid rule, naming `shard-aid`.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <unordered_map>
#include <vector>

#include "sim/policies.h"
#include "sim/simulator.h"

namespace ncc::sim {

inline constexpr int kMaxShards = 16;
// An incident this close to a border (straight line) counts as a border incident.
inline constexpr double kBorderMeters = 1000;

enum class ShardAid { kWhenShort, kClosest };
inline constexpr std::string_view kShardAidNames[] = {"when-short", "closest"};

class ShardedPolicy final : public Policy {
 public:
  ShardedPolicy(std::unique_ptr<Policy> inner, int shards, ShardAid aid);
  std::string_view name() const override { return inner_->name(); }
  bool moves_up() const override { return inner_->moves_up(); }
  Choice Choose(const Ask& ask, std::span<const dispatch::UnitInfo> units) override;

  int shards() const { return shards_; }
  // The shard of a point, once the borders are known (after the first Choose); 0 before.
  int ShardOf(LatLon p) const;
  // Per shard and in all: units, calls, slots filled at home, by mutual aid, unfilled, border
  // incidents, and the first unit's travel (p50, p90, within 240 s) from the run's outcomes.
  nlohmann::json Figures(const SimFigures& run) const;

 private:
  struct Counts {
    size_t units = 0, asks = 0, slots = 0, home = 0, mutual_aid = 0, unfilled = 0, border = 0,
           asks_with_aid = 0;
  };
  void LearnBorders(std::span<const dispatch::UnitInfo> units);
  double MetersToBorder(LatLon p) const;

  std::unique_ptr<Policy> inner_;
  int shards_;
  ShardAid aid_;
  bool learned_ = false;
  std::vector<double> borders_;             // shards_ - 1 longitudes, west to east
  std::unordered_map<uint64_t, int> home_;  // unit id -> its shard (by its quarters)
  std::vector<Counts> counts_;              // per shard
};

StatusOr<std::unique_ptr<ShardedPolicy>> MakeShardedPolicy(std::unique_ptr<Policy> inner,
                                                           int shards, std::string_view aid);

}  // namespace ncc::sim
