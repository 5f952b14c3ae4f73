// Deciders of the channel commands (core/channel.h): open a channel, post in it (an incident's
// messages are its channel's), move a recipient's delivery and read cursors. Pure, like decide.
#include <algorithm>

#include "core/decide_internal.h"

namespace ncc {
namespace {

bool IsKind(std::string_view kind) {
  return kind == kChannelIncident || kind == kChannelOperation || kind == kChannelSector ||
         kind == kChannelAgencies;
}

// The channel a command names; NotFound naming `field`.
StatusOr<const Channel*> ExistingChannel(const World& world, uint64_t id, const char* field) {
  const Channel* c = world.FindChannel(id);
  if (!c) return NotFound("no channel " + std::to_string(id), field);
  return c;
}

// Posting is closed once the subject is: a terminal incident, a closed plan.
Status CheckOpenForMessages(const Channel& c, const World& world) {
  if (c.kind == kChannelIncident) {
    const Incident* i = world.FindIncident(c.incident);
    if (!i) return NotFound("no incident " + std::to_string(c.incident.value), "incident");
    if (IsTerminal(i->status))
      return FailedPrecondition(
          "incident is " + std::string(Name(i->status)) + "; messages are closed", "incident");
  } else if (c.kind == kChannelOperation || c.kind == kChannelSector) {
    const OperationPlan* p = world.FindPlan(c.plan);
    if (!p) return NotFound("no plan " + std::to_string(c.plan), "plan");
    if (p->status == "closed") return FailedPrecondition("plan is closed", "plan");
  }
  return Status::Ok();
}

bool IsNameChar(char ch) {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
         ch == '_' || ch == '.' || ch == '-';
}

// The "@name" words of `text`, once each, in order (a trailing '.' or '-' is punctuation).
std::vector<std::string> MentionedNames(const std::string& text) {
  std::vector<std::string> names;
  for (size_t at = 0; at < text.size(); ++at) {
    if (text[at] != '@' || (at > 0 && IsNameChar(text[at - 1]))) continue;
    size_t end = at + 1;
    while (end < text.size() && IsNameChar(text[end])) ++end;
    std::string name = text.substr(at + 1, end - at - 1);
    while (!name.empty() && (name.back() == '.' || name.back() == '-')) name.pop_back();
    if (!name.empty() && std::find(names.begin(), names.end(), name) == names.end())
      names.push_back(std::move(name));
    at = end - 1;
  }
  return names;
}

// Resolves mentions: agency code, then a unit's callsign in one of `agencies`, then an account
// named in `users`. InvalidArgument naming "text" past the limit of mentions.
StatusOr<std::vector<Mention>> ResolveMentions(const std::string& text,
                                               const std::vector<std::string>& agencies,
                                               const std::vector<std::string>& users,
                                               const World& world) {
  std::vector<Mention> out;
  for (const std::string& name : MentionedNames(text)) {
    std::optional<Mention> m;
    if (world.FindAgency(name)) {
      m = Mention{"agency", name, UnitId(), name};
    } else {
      for (const std::string& a : agencies)
        if (const Unit* u = world.FindUnitByCallsign(a, name)) {
          m = Mention{"unit", name, u->id, u->agency};
          break;
        }
      if (!m && std::find(users.begin(), users.end(), name) != users.end())
        m = Mention{"user", name, UnitId(), ""};
    }
    if (!m) continue;
    if (out.size() == Limits::kMentions)
      return InvalidArgument("names more than " + std::to_string(Limits::kMentions) + " mentions",
                             "text");
    out.push_back(std::move(*m));
  }
  return out;
}

// The message event of a post in `c` (which may be about to be opened by the same decision).
StatusOr<EventDraft> PostIn(const Channel& c, const World& world, const CommandContext& ctx,
                            const PostChannelMessage& p) {
  NCC_RETURN_IF_ERROR(CheckText(p.text, Limits::kMessage, "text", true));
  NCC_RETURN_IF_ERROR(CheckOpenForMessages(c, world));
  World::SubjectLabel subject = world.LabelOfSubject(c);
  // Everyone of the channel, as the default audience and as the bound of `to`.
  std::vector<std::string> working{subject.agency};
  working.insert(working.end(), subject.shared_with.begin(), subject.shared_with.end());
  auto works = [&](const std::string& a) {
    return std::find(working.begin(), working.end(), a) != working.end();
  };
  std::vector<std::string> to;
  if (p.to.empty()) {
    for (const std::string& a : working)
      if (a != ctx.agency) to.push_back(a);
  } else {
    for (size_t k = 0; k < p.to.size(); ++k) {
      const std::string field = "to[" + std::to_string(k) + "]";
      if (!world.FindAgency(p.to[k])) return NotFound("no agency " + p.to[k], field);
      if (!works(p.to[k]))
        return FailedPrecondition(p.to[k] + " is not an agency of this channel (share it first)",
                                  field);
      if (p.to[k] != ctx.agency && std::find(to.begin(), to.end(), p.to[k]) == to.end())
        to.push_back(p.to[k]);
    }
  }
  auto mentions = ResolveMentions(p.text, working, p.users, world);
  if (!mentions.ok()) return mentions.status();
  Classification label = std::max(p.classification, subject.classification);
  return EventDraft{ChannelMessagePosted{world.NextMessageId(), c.id, label, std::move(to), p.text,
                                         std::move(*mentions), p.via},
                    ctx.agency, label};
}

// The channel of `c`'s subject as it would be opened (id: the next), or a refusal naming the
// field that does not resolve.
StatusOr<Channel> SubjectChannel(const OpenChannel& c, const World& world) {
  if (!IsKind(c.kind))
    return InvalidArgument("must be incident, operation, sector or agencies", "kind");
  Channel ch;
  ch.id = world.NextChannelId();
  ch.kind = c.kind;
  if (c.kind == kChannelIncident) {
    if (!world.FindIncident(c.incident))
      return NotFound("no incident " + std::to_string(c.incident.value), "incident");
    ch.incident = c.incident;
  } else if (c.kind == kChannelAgencies) {
    if (c.agencies.size() != 2) return InvalidArgument("must name two agencies", "agencies");
    for (size_t k = 0; k < 2; ++k)
      if (!world.FindAgency(c.agencies[k]))
        return NotFound("no agency " + c.agencies[k], "agencies[" + std::to_string(k) + "]");
    if (c.agencies[0] == c.agencies[1])
      return InvalidArgument("must be another agency than agencies[0]", "agencies[1]");
    ch.agencies = c.agencies;
    std::sort(ch.agencies.begin(), ch.agencies.end());
  } else {
    const OperationPlan* p = world.FindPlan(c.plan);
    if (!p) return NotFound("no plan " + std::to_string(c.plan), "plan");
    if (p->is_template) return FailedPrecondition("a template has no channels", "plan");
    ch.plan = p->id;
    if (c.kind == kChannelSector) {
      auto named = [&](const PlanSector& s) { return s.id == c.sector; };
      if (std::none_of(p->sectors.begin(), p->sectors.end(), named))
        return NotFound("no sector " + c.sector + " in plan " + std::to_string(p->id), "sector");
      ch.sector = c.sector;
    }
  }
  ch.name = ChannelName(ch.kind, ch.incident, ch.plan, ch.sector, ch.agencies);
  return ch;
}

EventDraft Opened(const Channel& ch, const World& world) {
  World::SubjectLabel subject = world.LabelOfSubject(ch);
  return {ChannelOpened{ch.id, ch.kind, ch.incident, ch.plan, ch.sector, ch.agencies, ch.name},
          subject.agency, subject.classification};
}

}  // namespace

StatusOr<Decision> On(const OpenChannel& c, const World& world, const CommandContext&) {
  auto ch = SubjectChannel(c, world);
  if (!ch.ok()) return ch.status();
  Decision d;
  if (const Channel* open = world.FindChannelByName(ch->name)) {
    d.created_id = open->id;
    return d;
  }
  d.created_id = ch->id;
  d.events.push_back(Opened(*ch, world));
  return d;
}

StatusOr<Decision> On(const PostChannelMessage& c, const World& world, const CommandContext& ctx) {
  auto ch = ExistingChannel(world, c.channel, "id");
  if (!ch.ok()) return ch.status();
  auto posted = PostIn(**ch, world, ctx, c);
  if (!posted.ok()) return posted.status();
  Decision d;
  d.created_id = world.NextMessageId();
  d.events.push_back(std::move(*posted));
  return d;
}

StatusOr<Decision> On(const PostMessage& c, const World& world, const CommandContext& ctx) {
  if (!world.FindIncident(c.incident))
    return NotFound("no incident " + std::to_string(c.incident.value), "id");
  auto ch =
      SubjectChannel(OpenChannel{std::string(kChannelIncident), c.incident, 0, "", {}}, world);
  if (!ch.ok()) return ch.status();
  const Channel* open = world.FindChannelByName(ch->name);
  auto posted = PostIn(open ? *open : *ch, world, ctx,
                       PostChannelMessage{0, c.text, c.classification, c.to, c.users, c.via});
  if (!posted.ok()) return posted.status();
  Decision d;
  if (!open) d.events.push_back(Opened(*ch, world));
  d.created_id = world.NextMessageId();
  d.events.push_back(std::move(*posted));
  return d;
}

StatusOr<Decision> On(const AckMessages& c, const World& world, const CommandContext& ctx) {
  auto found = ExistingChannel(world, c.channel, "id");
  if (!found.ok()) return found.status();
  const Channel& ch = **found;
  if (c.what != "delivered" && c.what != "read")
    return InvalidArgument("must be delivered or read", "what");
  if (c.up_to < 1) return InvalidArgument("must be a message id, 1 or more", "up_to");
  const std::vector<uint64_t>& messages = world.MessagesIn(ch);
  const uint64_t last = messages.empty() ? 0 : messages.back();
  if (c.up_to > last)
    return InvalidArgument("is after the channel's last message (" + std::to_string(last) + ")",
                           "up_to");
  World::SubjectLabel subject = world.LabelOfSubject(ch);
  Decision d;
  // Reading a message delivers it too: a read cursor is never ahead of the delivery cursor.
  if (CursorOf(ch, ctx.actor, "delivered") < c.up_to)
    d.events.push_back({MessagesDelivered{ch.id, c.up_to}, ctx.agency, subject.classification});
  if (c.what == "read" && CursorOf(ch, ctx.actor, "read") < c.up_to)
    d.events.push_back({MessagesRead{ch.id, c.up_to}, ctx.agency, subject.classification});
  return d;
}

}  // namespace ncc
