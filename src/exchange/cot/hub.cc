#include "exchange/cot/hub.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <vector>

#include "core/commands.h"
#include "exchange/cot/ingest.h"
#include "exchange/cot/tak_proto.h"

namespace ncc::cot {
namespace {

// "<prefix><digits>" -> the id; nullopt for anything else (a sign, a space, no digits, zero).
std::optional<IncidentId> IdAfter(std::string_view text, std::string_view prefix) {
  if (text.size() <= prefix.size() || text.substr(0, prefix.size()) != prefix) return std::nullopt;
  std::string_view digits = text.substr(prefix.size());
  uint64_t id = 0;
  auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), id);
  if (ec != std::errc() || p != digits.data() + digits.size() || id == 0 ||
      !std::isdigit(static_cast<unsigned char>(digits.front())))
    return std::nullopt;
  return IncidentId(id);
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// `text` cut to at most `limit` bytes, never inside a UTF-8 sequence.
std::string Cut(std::string text, size_t limit) {
  if (text.size() <= limit) return text;
  size_t n = limit;
  while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xc0) == 0x80) --n;
  text.resize(n);
  return text;
}

std::string Coordinate(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6f", v);
  return buf;
}

}  // namespace

std::optional<std::string> ChatMessageText(const CotEvent& e) {
  if (e.remarks.empty()) return std::nullopt;
  std::string sender = !e.chat_sender.empty() ? e.chat_sender
                       : !e.callsign.empty()  ? e.callsign
                                              : std::string("TAK");
  return Cut(sender + ": " + e.remarks, Limits::kMessage);
}

std::string MarkerNoteText(const CotEvent& e) {
  std::string text = "TAK marker \"" + (e.callsign.empty() ? e.uid : e.callsign) + "\" (" + e.type +
                     ") at " + Coordinate(e.point.lat) + "," + Coordinate(e.point.lon);
  if (!e.remarks.empty()) text += ": " + e.remarks;
  return Cut(std::move(text), Limits::kNote);
}

std::optional<IncidentId> NamedIncident(const CotEvent& e) {
  if (auto id = IdAfter(e.chatroom, "incident-")) return id;
  if (auto id = IdAfter(e.chat_id, "ncc-incident-")) return id;
  for (const std::string& uid : e.links)
    if (auto id = IdAfter(uid, "ncc-incident-")) return id;
  return std::nullopt;
}

Kind KindOf(const CotEvent& e) {
  if (e.type == "b-t-f") return Kind::kChat;
  if (StartsWith(e.type, "t-x-takp-")) return Kind::kNegotiation;
  if (IsPositionType(e.type) && IsSelfReport(e.how)) return Kind::kOwnPosition;
  if (StartsWith(e.type, "a-") || StartsWith(e.type, "b-m-p-") || StartsWith(e.type, "u-d-"))
    return Kind::kMarker;
  return Kind::kOther;
}

const std::string& Relayed::framed_proto() const {
  std::call_once(once_, [this] {
    auto payload = XmlToTakMessage(xml_);
    if (payload.ok()) proto_ = FrameTakMessage(*payload);
  });
  return proto_;
}

uint64_t Hub::Join(auth::Principal who, Deliver deliver) {
  std::lock_guard lock(mu_);
  uint64_t id = next_++;
  clients_.emplace(
      id, Client{std::move(who), std::make_shared<const Deliver>(std::move(deliver)), {}, {}});
  return id;
}

void Hub::Leave(uint64_t client) {
  std::shared_ptr<const Deliver>
      gone;  // destroyed outside the lock: it may hold the last reference to a session
  {
    std::lock_guard lock(mu_);
    auto it = clients_.find(client);
    if (it == clients_.end()) return;
    gone = std::move(it->second.deliver);
    clients_.erase(it);
  }
}

void Hub::Identify(uint64_t client, std::string uid, std::string callsign) {
  std::lock_guard lock(mu_);
  auto it = clients_.find(client);
  if (it == clients_.end()) return;
  it->second.uid = std::move(uid);
  it->second.callsign = std::move(callsign);
}

bool Hub::Addressed(const Client& c, const CotEvent& e) {
  if (e.dest_uids.empty() && e.dest_callsigns.empty()) return true;
  auto named = [](const std::vector<std::string>& list, const std::string& v) {
    return !v.empty() && std::find(list.begin(), list.end(), v) != list.end();
  };
  return named(e.dest_uids, c.uid) || named(e.dest_callsigns, c.callsign);
}

size_t Hub::Relay(uint64_t from, const auth::RecordLabel& label, const CotEvent& event,
                  std::string xml) {
  std::vector<std::shared_ptr<const Deliver>> to;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, c] : clients_)
      if (id != from && auth::CanSee(c.who, label, auth::Action::kCotIngest) && Addressed(c, event))
        to.push_back(c.deliver);
  }
  if (to.empty()) return 0;
  auto doc = std::make_shared<const Relayed>(std::move(xml));
  for (const auto& d : to) (*d)(doc);
  return to.size();
}

size_t Hub::clients() const {
  std::lock_guard lock(mu_);
  return clients_.size();
}

}  // namespace ncc::cot
