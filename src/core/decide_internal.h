// Private to decide (decide.cc, decide_plan.cc): the field checks every command shares, and
// the deciders of the operation plan commands. Pure, like decide.
#pragma once

#include <string>

#include "core/commands.h"

namespace ncc {

// Text of at most `max` bytes without control characters (newline and tab allowed);
// InvalidArgument naming `field`.
Status CheckText(const std::string& value, size_t max, const std::string& field, bool required);
// Codes are lower-case dotted words: "fire.structure", "civil_defence".
Status CheckCode(const std::string& value, size_t max, const std::string& field);

StatusOr<Decision> On(const DefinePlan& c, const World& world, const CommandContext& ctx);
StatusOr<Decision> On(const ApprovePlan& c, const World& world, const CommandContext& ctx);
StatusOr<Decision> On(const ChangePlanStatus& c, const World& world, const CommandContext& ctx);
StatusOr<Decision> On(const ChangePlanPhase& c, const World& world, const CommandContext& ctx);
StatusOr<Decision> On(const ChangePlanTask& c, const World& world, const CommandContext& ctx);
StatusOr<Decision> On(const CheckPlanTask& c, const World& world, const CommandContext& ctx);
StatusOr<Decision> On(const FireDecisionPoint& c, const World& world, const CommandContext& ctx);
StatusOr<Decision> On(const EscalatePlanTask& c, const World& world, const CommandContext& ctx);
StatusOr<Decision> On(const DraftSitRep& c, const World& world, const CommandContext& ctx);
StatusOr<Decision> On(const ApproveSitRep& c, const World& world, const CommandContext& ctx);
StatusOr<Decision> On(const IssueWarning& c, const World& world, const CommandContext& ctx);
StatusOr<Decision> On(const PostMessage& c, const World& world, const CommandContext& ctx);
StatusOr<Decision> On(const OpenChannel& c, const World& world, const CommandContext& ctx);
StatusOr<Decision> On(const PostChannelMessage& c, const World& world, const CommandContext& ctx);
StatusOr<Decision> On(const AckMessages& c, const World& world, const CommandContext& ctx);

}  // namespace ncc
