// ncc as the hub of its TAK clients (docs/tak-hub.md): what one connected client sends that is
// not a unit's own position (GeoChat, markers, drawings, the SA of a device that is no unit) is
// relayed to the other connected clients allowed to see it, and what names an incident goes to
// that incident through the engine's commands.
//
//   Route(event)  what an inbound event is: chat, marker, a device's own position, or other; and
//                 the incident it names, by the convention of NamedIncident.
//   Hub           the connected clients and their keys; Relay delivers a document to every
//                 other client whose key may see its label (auth::CanSee with cot.ingest, the
//                 filter of the outbound feed), and, when the event carries <marti><dest>, only
//                 to the clients that reported themselves under one of those uids or callsigns.
//                 The sender never gets its own message back.
//
// Threads: any. The Hub locks its client table; Deliver callbacks run outside the lock (they
// post to the client's own strand) and get the one shared document. Route and NamedIncident are
// pure.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "auth/authorize.h"
#include "core/ids.h"
#include "exchange/cot/cot_event.h"

namespace ncc::cot {

// An incident named by a GeoChat or a marker: chatroom "incident-<id>", __chat@id
// "ncc-incident-<id>" (the uid of the incident's marker in the feed), or a <link> whose uid is
// "ncc-incident-<id>". nullopt when none names one (a room like "All Chat Rooms").
std::optional<IncidentId> NamedIncident(const CotEvent& event);

// The incident message a GeoChat becomes: "<senderCallsign>: <remarks>", cut to the message
// limit on a character boundary; nullopt when the chat has no text.
std::optional<std::string> ChatMessageText(const CotEvent& event);
// The incident note a marker or drawing becomes: "TAK marker \"<callsign>\" (<type>) at
// <lat>,<lon>[: <remarks>]", cut to the note limit.
std::string MarkerNoteText(const CotEvent& event);

enum class Kind : uint8_t {
  kChat,         // b-t-f GeoChat
  kMarker,       // a user-placed point or drawing: a-* not reported by the device itself, b-m-p-*,
                 // u-d-*
  kOwnPosition,  // a device's own position report (a-f-*, how m-g / h-e)
  kNegotiation,  // t-x-takp-*: TAK protocol negotiation (listener.cc answers it)
  kOther,        // pings (t-x-c-t) and anything else: counted, never relayed
};
Kind KindOf(const CotEvent& event);

// One relayed document; the v1 form is made once, on the first client that wants it.
class Relayed {
 public:
  explicit Relayed(std::string xml) : xml_(std::move(xml)) {}
  const std::string& xml() const { return xml_; }
  // 0xbf <length> <TakMessage>; empty when the document cannot be converted.
  const std::string& framed_proto() const;

 private:
  std::string xml_;
  mutable std::once_flag once_;
  mutable std::string proto_;
};
using RelayedPtr = std::shared_ptr<const Relayed>;

class Hub {
 public:
  using Deliver = std::function<void(RelayedPtr)>;

  uint64_t Join(auth::Principal who, Deliver deliver);
  void Leave(uint64_t client);
  // The uid and callsign a client's own position reports carry: <marti><dest> names these.
  void Identify(uint64_t client, std::string uid, std::string callsign);

  // Delivers `xml` (the document of `event`) to every client but `from` whose key may see
  // `label`, limited to the event's <marti><dest> contacts when it names any. Returns how many.
  size_t Relay(uint64_t from, const auth::RecordLabel& label, const CotEvent& event,
               std::string xml);
  size_t clients() const;

 private:
  struct Client {
    auth::Principal who;
    std::shared_ptr<const Deliver> deliver;  // shared: a relay copies a pointer, not the function
    std::string uid, callsign;
  };
  static bool Addressed(const Client& c, const CotEvent& event);

  mutable std::mutex mu_;
  uint64_t next_ = 1;
  std::map<uint64_t, Client> clients_;
};

}  // namespace ncc::cot
