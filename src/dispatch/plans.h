// Response plans: per incident type, the units to send (capability, count, optionally which
// agency), the time targets per priority, the agencies' turnout times and which capabilities may
// stand in for which. Read from a plain-text file (docs/formats/response-plans.md) and checked
// whole at start-up; every error names the file, the line and the field.
//
// Thread: a PlanSet is immutable once parsed; any thread may read it.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace ncc::dispatch {

// One line "need = 2 engine from civil_defence".
struct Need {
  int count = 1;
  std::string capability;
  std::string agency;  // empty: any agency
  int line = 0;
  std::string Describe() const;  // "2 engine from civil_defence"
};

// Seconds allowed for each step: call -> first unit dispatched, dispatched -> en route,
// en route -> on scene.
struct Targets {
  int dispatch_s = 0, en_route_s = 0, on_scene_s = 0;
};

struct Plan {
  std::string type;  // "fire.structure", or "default"
  std::string name;
  std::vector<Need> needs;
  std::map<int, Targets> targets;  // by priority 1..5; 0 holds the "*" line
  // capability -> capabilities that may fill its slot, in addition to the global ones.
  std::map<std::string, std::vector<std::string>> substitutes;
  std::string file;
  int line = 0;
  // Targets for a priority: its own line, else "*", else the default plan's (PlanSet::TargetsFor).
  const Targets* TargetsFor(int priority) const;
};

struct PlanChoice {
  const Plan* plan = nullptr;
  std::string note;  // empty when the type has its own plan; says which fallback was used otherwise
};

class PlanSet {
 public:
  // Parses one file's text. Errors: InvalidArgument "FILE:LINE: message", field = the key.
  static StatusOr<PlanSet> Parse(std::string_view text, const std::string& file_name);
  // A file, or a folder whose *.conf files are read in name order (later files may not redefine
  // a plan). Requires a "default" plan in the end.
  static StatusOr<PlanSet> Load(const std::string& path);

  // The plan for a type: its own, else the nearest parent ("fire.structure.highrise" ->
  // "fire.structure" -> "fire"), else "default"; the note says which and why.
  PlanChoice For(std::string_view type) const;
  const Plan* Find(std::string_view type) const;
  Targets TargetsFor(const Plan& plan, int priority) const;

  // Seconds from dispatch to rolling, by agency ("*" for the rest).
  double TurnoutSeconds(const std::string& agency) const;
  double MinTurnoutSeconds() const;
  // Capabilities that may fill a `capability` slot in `plan` (global and plan-level).
  std::vector<std::string> SubstitutesFor(const Plan& plan, const std::string& capability) const;

  const std::map<std::string, Plan, std::less<>>& plans() const { return plans_; }

 private:
  Status Merge(PlanSet other, const std::string& file_name);
  Status CheckComplete(const std::string& where) const;

  std::map<std::string, Plan, std::less<>> plans_;
  std::map<std::string, double> turnout_s_;  // "*" is the fallback
  std::map<std::string, std::vector<std::string>> substitutes_;
};

}  // namespace ncc::dispatch
