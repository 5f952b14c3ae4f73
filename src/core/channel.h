// Channels (issue 15, item 5; docs/plans.md "Channels"): where people, units and TAK clients of
// the agencies working together talk. A channel is about one subject — an incident, an
// operation plan, a sector of a plan, or a pair of agencies — and is read under that subject's
// current label (channels hold no label of their own, so a reclassified incident or a plan with
// a new participant moves its channel with it). Its messages are the World's Message records
// (records.h), each with its own label. Receipts are the recipients' cursors, kept in the log:
// "delivered up to message N" when a recipient's client has acknowledged it, "read up to N"
// when the recipient has read it. Records of the World, changed only by the events of
// core/events.h (channel_opened, channel_message_posted, messages_delivered, messages_read).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/ids.h"
#include "core/lifecycle.h"

namespace ncc {

// The kinds of channel, by subject. Stored by name.
inline constexpr std::string_view kChannelIncident = "incident";
inline constexpr std::string_view kChannelOperation = "operation";
inline constexpr std::string_view kChannelSector = "sector";
inline constexpr std::string_view kChannelAgencies = "agencies";

// One step of a recipient's cursor: `what` (delivered | read) up to message `up_to`, at `time`.
// A cursor only moves forward; its steps are kept so each message's receipt has its time.
struct ChannelReceipt {
  std::string user;
  std::string what;
  uint64_t up_to = 0;
  Time time;
  template <typename V>
  void Fields(V& v) {
    v("user", user);
    v("what", what);
    v("up_to", up_to);
    v("time", time);
  }
};

struct Channel {
  uint64_t id = 0;
  std::string kind;  // incident | operation | sector | agencies
  IncidentId incident;
  uint64_t plan = 0;
  std::string sector;                 // a sector id of `plan`
  std::vector<std::string> agencies;  // agencies: the pair, sorted
  // Unique among channels: "incident-12", "operation-3", "operation-3-sector-A",
  // "agencies-fire-police". A GeoChat chatroom of this name is this channel.
  std::string name;
  std::string opened_by;
  Time opened;
  Seq seq;                               // of the last event that changed it
  std::vector<uint64_t> messages;        // ids, oldest first (incident: see World::MessagesIn)
  std::vector<ChannelReceipt> receipts;  // oldest first
  template <typename V>
  void Fields(V& v) {
    v("id", id);
    v("kind", kind);
    v("incident", incident);
    v("plan", plan);
    v("sector", sector);
    v("agencies", agencies);
    v("name", name);
    v("opened_by", opened_by);
    v("opened", opened);
    v("seq", seq);
    v("messages", messages);
    v("receipts", receipts);
  }
};

// The name of the channel of a subject (see Channel::name).
inline std::string ChannelName(std::string_view kind, IncidentId incident, uint64_t plan,
                               std::string_view sector, const std::vector<std::string>& agencies) {
  if (kind == kChannelIncident) return "incident-" + std::to_string(incident.value);
  if (kind == kChannelOperation) return "operation-" + std::to_string(plan);
  if (kind == kChannelSector)
    return "operation-" + std::to_string(plan) + "-sector-" + std::string(sector);
  std::string name = "agencies";
  for (const std::string& a : agencies) name += "-" + a;
  return name;
}

// How far `user`'s cursor `what` (delivered | read) has come in `channel`: 0 when never moved.
inline uint64_t CursorOf(const Channel& channel, std::string_view user, std::string_view what) {
  uint64_t up_to = 0;
  for (const ChannelReceipt& r : channel.receipts)
    if (r.user == user && r.what == what && r.up_to > up_to) up_to = r.up_to;
  return up_to;
}

}  // namespace ncc
