#include "exchange/cot/listener.h"

// Boost 1.74's asio uses std::exchange without including <utility>: include it first.
#include <utility>

#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio.hpp>
#include <deque>
#include <set>
#include <thread>
#include <vector>

#include "exchange/cot/fix_batcher.h"
#include "exchange/cot/framer.h"
#include "exchange/cot/hub.h"
#include "exchange/cot/records.h"
#include "exchange/cot/tak_proto.h"
#include "net/tls_context.h"
#include "visibility/access.h"

namespace ncc::cot {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;
using TlsSocket = net::ssl::stream<tcp::socket>;
using Steady = std::chrono::steady_clock;

constexpr std::string_view kKeyPrefix = "ncc-key ";
constexpr size_t kMaxKeyLine = 512;
constexpr size_t kFeedPage = 256;
// One socket write gathers queued documents up to these: fewer syscalls when chats pile up,
// and a write small enough that a client which reads at all finishes it well within the write
// timeout.
constexpr size_t kMaxWriteBytes = 64 * 1024;
constexpr size_t kMaxWriteChunks = 64;

// What a session has queued for its client: a document of its own, or a relayed one shared by
// every client it goes to (rendered once, never copied per client).
using Chunk = std::shared_ptr<const std::string>;

// What every session shares with the listener.
struct Shared {
  Engine& engine;
  monitor::AvlLane& lane;
  const Clock& clock;
  Authenticator authenticate;
  const ListenerOptions& options;
  Counters& counters;
  Hub& hub;
  FixBatcher& fixes;
};

// A TAK protocol control event (t-x-takp-v offer, t-x-takp-r response) around `control`.
std::string ControlEvent(std::string_view type, std::string_view uid, int64_t now_ms,
                         std::string_view control) {
  std::string out = "<event version=\"2.0\" uid=\"" + Escape(uid) + "\" type=\"" +
                    std::string(type) + "\" how=\"m-g\" time=\"" + FormatTime(now_ms) +
                    "\" start=\"" + FormatTime(now_ms) + "\" stale=\"" +
                    FormatTime(now_ms + 60'000) + "\">";
  out += "<point lat=\"0.0\" lon=\"0.0\" hae=\"0.0\" ce=\"9999999\" le=\"9999999\"/>";
  out += "<detail><TakControl>" + std::string(control) + "</TakControl></detail></event>";
  return out;
}

// Where a relayed chat or marker that names no record is seen: the sender's own agency.
auth::RecordLabel SenderLabel(const auth::Principal& who) {
  return {who.agency, Classification::kRestricted, {}};
}

// What an event that names an incident is relayed under: the incident's label, never below
// restricted (as PostMessage labels the incident's messages).
auth::RecordLabel IncidentRelayLabel(const Incident& i) {
  auth::RecordLabel label = LabelOf(i);
  label.classification = std::max(label.classification, Classification::kRestricted);
  return label;
}

// One inbound event and its XML document (as received, or made from a v1 message).
struct Inbound {
  CotEvent event;
  std::string doc;
};

// The records a page of events touched: their current state is what a TAK client wants.
void Touch(const Event& e, std::set<IncidentId>& incidents, std::set<UnitId>& units) {
  std::visit(
      [&](const auto& b) {
        using T = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<T, IncidentCreated> ||
                      std::is_same_v<T, IncidentStatusChanged> ||
                      std::is_same_v<T, IncidentShared> ||
                      std::is_same_v<T, IncidentPriorityChanged>)
          incidents.insert(b.id);
        else if constexpr (std::is_same_v<T, IncidentSplit>) {
          incidents.insert(b.from);
          incidents.insert(b.to);
        } else if constexpr (std::is_same_v<T, UnitAssigned>) {
          incidents.insert(b.incident);
          units.insert(b.unit);
        } else if constexpr (std::is_same_v<T, UnitRegistered> ||
                             std::is_same_v<T, UnitStatusChanged> || std::is_same_v<T, UnitShared>)
          units.insert(b.id);
        else if constexpr (std::is_same_v<T, UnitStale>)
          units.insert(b.unit);
        else if constexpr (std::is_same_v<T, PositionsReported>)
          for (const auto& f : b.fixes) units.insert(f.unit);
      },
      e.body);
}

bool IsOpen(const Incident& i) {
  return !IsTerminal(i.status) && i.status != IncidentStatus::kResolved;
}

template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
  using std::enable_shared_from_this<Session<Stream>>::shared_from_this;
  static constexpr bool kTls = std::is_same_v<Stream, TlsSocket>;

 public:
  template <class... StreamArgs>
  explicit Session(Shared& shared, StreamArgs&&... args)
      : s_(shared),
        stream_(std::forward<StreamArgs>(args)...),
        timer_(stream_.get_executor()),
        write_timer_(stream_.get_executor()),
        framer_(shared.options.max_event_bytes),
        proto_framer_(shared.options.max_event_bytes) {
    error_code ec;
    auto ep = stream_.lowest_layer().remote_endpoint(ec);
    remote_ = ec ? "?" : ep.address().to_string();
    ++s_.counters.connections_open;
    ++s_.counters.connections_total;
  }

  ~Session() {
    if (listener_) s_.engine.feed().Unlisten(listener_);
    if (hub_id_) s_.hub.Leave(hub_id_);
    --s_.counters.connections_open;
  }

  void Start() {
    error_code ignored;
    stream_.lowest_layer().non_blocking(true, ignored);  // WriteNext's direct write never waits
    Deadline(s_.options.sign_in_timeout);
    if constexpr (kTls) {
      stream_.async_handshake(
          net::ssl::stream_base::server,
          [self = shared_from_this()](error_code ec) { self->OnHandshake(ec); });
    } else {
      Read();
    }
  }

 private:
  void OnHandshake(error_code ec) {
    if (ec) {  // not TLS, or a certificate the client CA did not sign
      ++s_.counters.handshakes_failed;
      return Close();
    }
    if constexpr (kTls) {
      std::string name = VerifiedPeerName(stream_.native_handle());
      if (!name.empty()) {
        auto who = s_.authenticate("", name, remote_);
        // A certificate that names no key leaves the key line as the way in (as HTTP's 401
        // leaves the Authorization header).
        if (who.ok() && !SignIn(std::move(who))) return;
      }
    }
    Read();
  }

  // Deadline for the next byte from the client (or for a refused client to read its error).
  // One timer: a later deadline is picked up when it fires, an earlier one re-arms it.
  void Deadline(std::chrono::seconds d) {
    deadline_ = Steady::now() + d;
    if (!timer_running_) {
      timer_running_ = true;
      return WaitTimer();
    }
    if (deadline_ < timer_.expiry()) timer_.cancel();  // its handler waits again, sooner
  }
  void WaitTimer() {
    timer_.expires_at(deadline_);
    timer_.async_wait([self = shared_from_this()](error_code ec) {
      if (self->closed_) return;
      if (!ec && Steady::now() >= self->deadline_) {
        if (!self->who_ && !self->closing_) ++self->s_.counters.sign_ins_refused;
        return self->Close();
      }
      self->WaitTimer();
    });
  }

  void Read() {
    if (closed_ || closing_) return;
    stream_.async_read_some(net::buffer(rbuf_),
                            [self = shared_from_this()](error_code ec, size_t n) {
                              if (ec) return self->Close();
                              self->OnRead(std::string_view(self->rbuf_.data(), n));
                            });
  }

  void OnRead(std::string_view data) {
    if (who_) {
      Deadline(s_.options.idle_timeout);
      return Ingest(data);
    }
    line_.append(data);
    size_t n = std::min(line_.size(), kKeyPrefix.size());
    if (line_.compare(0, n, kKeyPrefix.substr(0, n)) != 0)
      return Refuse(Status(StatusCode::kUnauthenticated,
                           "sign in first: send \"ncc-key <KEY>\" and a newline before the XML "
                           "stream, or connect with a client certificate",
                           "auth"));
    size_t nl = line_.find('\n');
    if (nl == std::string::npos) {
      if (line_.size() > kMaxKeyLine)
        return Refuse(InvalidArgument("the ncc-key line is longer than 512 bytes", "auth"));
      return Read();
    }
    std::string key = line_.substr(kKeyPrefix.size(), nl - kKeyPrefix.size());
    while (!key.empty() && (key.back() == '\r' || key.back() == ' ')) key.pop_back();
    std::string rest = line_.substr(nl + 1);
    line_.clear();
    line_.shrink_to_fit();
    if (key.empty()) return Refuse(InvalidArgument("the ncc-key line names no key", "auth"));
    if (!SignIn(s_.authenticate(key, "", remote_))) return;
    Ingest(rest);
  }

  // False when refused (the connection is closing).
  bool SignIn(StatusOr<auth::Principal> who) {
    if (who.ok()) {
      Status may = auth::Authorize(*who, auth::Action::kCotIngest, nullptr);
      if (!may.ok()) who = Status(may.code(), may.message(), "auth");
    }
    if (!who.ok()) {
      Refuse(Status(who.status().code(), who.status().message(), "auth"));
      return false;
    }
    who_ = std::move(*who);
    Deadline(s_.options.idle_timeout);
    JoinHub();
    // TAK protocol negotiation, step 3: ncc offers version 1 once per connection.
    Send(ControlEvent("t-x-takp-v", "ncc-takp-" + std::to_string(hub_id_), s_.clock.Now().ms,
                      "<TakProtocolSupport version=\"1\"/>"));
    StartFeed();
    return true;
  }

  void Refuse(Status why) {
    ++s_.counters.sign_ins_refused;
    SendErrorAndClose(why);
  }

  // Frames, parses and maps what arrived (XML, or v1 once negotiated); submits the fixes and
  // the hub's work of this read as one batch.
  void Ingest(std::string_view data) {
    if (proto_)
      proto_framer_.Append(data);
    else
      framer_.Append(data);
    std::vector<Inbound> events;
    Status fatal;
    while (fatal.ok()) {
      auto next = proto_ ? proto_framer_.Next() : framer_.Next();
      if (!next.ok()) {
        fatal = next.status();
        s_.counters.Count(fatal.code() == StatusCode::kResourceExhausted ? Outcome::kOversized
                                                                         : Outcome::kGarbage);
        break;
      }
      if (!*next) break;
      std::string doc = std::move(**next);
      if (proto_ && !FromProto(doc, fatal)) continue;
      auto event = ParseEvent(doc);
      if (event.ok()) {
        if (KindOf(*event) == Kind::kNegotiation) {
          Negotiate(*event);
          continue;
        }
        events.push_back({std::move(*event), std::move(doc)});
        continue;
      }
      // Not XML or not an event: the stream is not what it claims, stop reading it. A bad
      // value in a well-formed event only loses that event.
      if (event.status().field() == "xml" || event.status().field() == "event") {
        fatal = event.status();
        s_.counters.Count(Outcome::kMalformed);
        break;
      }
      s_.counters.Count(Outcome::kInvalid);
      spdlog::debug("CoT from {}: {}", remote_, event.status().ToString());
    }
    bool room = Submit(events);
    if (!fatal.ok()) return SendErrorAndClose(fatal);
    if (!room) return PauseReading();
    Read();
  }

  // Back-pressure: the fixes waiting for the AVL lane are at their bound, so this socket is not
  // read (its client's TCP window fills) until they have been handed to the lane.
  void PauseReading() {
    ++s_.counters.reads_paused;
    std::weak_ptr<Session> weak = shared_from_this();
    auto executor = stream_.get_executor();
    s_.fixes.WhenRoom([weak, executor] {
      net::post(executor, [weak] {
        if (auto self = weak.lock()) self->Read();
      });
    });
  }

  // A v1 payload into the XML document ParseEvent reads (in `doc`). False when there is no
  // event: a TakControl-only message, a bad value (counted, skipped), or a payload that is no
  // TakMessage or whose xmlDetail is not XML (`fatal`).
  bool FromProto(std::string& doc, Status& fatal) {
    auto xml = TakMessageToXml(doc);
    if (xml.ok()) {
      if (!*xml) return false;
      doc = std::move(**xml);
      return true;
    }
    if (xml.status().field() == "takmessage" || xml.status().field() == "xmlDetail") {
      fatal = xml.status();
      s_.counters.Count(Outcome::kMalformed);
    } else {
      s_.counters.Count(Outcome::kInvalid);
    }
    return false;
  }

  // TAK protocol negotiation, steps 5-7: a request for version 1 is accepted once; from the
  // "true" response on both directions are v1 (the bytes after the request included).
  void Negotiate(const CotEvent& e) {
    s_.counters.Count(Outcome::kNegotiation);
    if (e.type != "t-x-takp-q") return;
    bool accept = !proto_ && e.tak_request == 1;
    Send(ControlEvent(
        "t-x-takp-r", e.uid, s_.clock.Now().ms,
        accept ? "<TakResponse status=\"true\"/>" : "<TakResponse status=\"false\"/>"));
    if (!accept) return;
    proto_ = true;
    ++s_.counters.proto_clients;
    proto_framer_.Append(framer_.TakeRest());
  }

  // What the hub does with an event that moved no unit: its outcome, the label it is relayed
  // under (nullopt: not relayed) and the command for the incident it names.
  std::optional<auth::RecordLabel> Route(const CotEvent& e, const World& w, Outcome& outcome,
                                         std::vector<Command>& commands) const {
    const Kind kind = KindOf(e);
    if (kind == Kind::kOwnPosition) return SenderLabel(*who_);  // a device that is no unit
    if (kind != Kind::kChat && kind != Kind::kMarker) return std::nullopt;
    const bool chat = kind == Kind::kChat;
    auto named = NamedIncident(e);
    if (!named && chat) {
      // A chatroom named for a channel the key may see is that channel (a TAK client is one
      // more reader and writer of it); any other room is the TAK clients' own.
      const Channel* ch = e.chatroom.empty() ? nullptr : w.FindChannelByName(e.chatroom);
      if (ch && Visible(LabelOf(*ch, w))) {
        outcome = Outcome::kChatChannel;
        if (auto text = ChatMessageText(e))
          commands.emplace_back(PostChannelMessage{
              ch->id, std::move(*text), Classification::kRestricted, {}, {}, "cot"});
        auth::RecordLabel label = LabelOf(*ch, w);
        label.classification = std::max(label.classification, Classification::kRestricted);
        return label;
      }
    }
    if (!named) {
      outcome = chat ? Outcome::kChat : Outcome::kMarker;
      return SenderLabel(*who_);
    }
    const Incident* i = w.FindIncident(*named);
    if (!i || !Visible(LabelOf(*i))) {  // as if it did not exist: nothing is said of it
      outcome = Outcome::kUnknownIncident;
      return std::nullopt;
    }
    outcome = chat ? Outcome::kChatIncident : Outcome::kMarkerIncident;
    if (!chat)
      commands.emplace_back(AddIncidentNote{i->id, MarkerNoteText(e)});
    else if (auto text = ChatMessageText(e))
      commands.emplace_back(
          PostMessage{i->id, std::move(*text), Classification::kRestricted, {}, {}, "cot"});
    return IncidentRelayLabel(*i);
  }

  // False when the fixes waiting for the lane are at their bound (stop reading).
  bool Submit(std::vector<Inbound>& events) {
    if (events.empty()) return true;
    std::vector<PositionFix> fixes;
    std::vector<Command> commands;
    std::vector<std::pair<size_t, auth::RecordLabel>> relays;  // index into events, label
    const CotEvent* own = nullptr;                             // the device's latest own report
    s_.engine.Read([&](const World& w) {
      for (size_t at = 0; at < events.size(); ++at) {
        const CotEvent& e = events[at].event;
        Mapping m = Map(e, w, who_->agency);
        if (KindOf(e) == Kind::kOwnPosition) own = &e;
        if (m.outcome == Outcome::kPosition) {
          fixes.push_back(m.fix);
          own_units_.insert(m.fix.unit);  // never sent back to the device that reports it
        } else if (auto label = Route(e, w, m.outcome, commands)) {
          relays.emplace_back(at, std::move(*label));
        }
        if (m.outcome == Outcome::kUnknownCallsign)
          s_.lane.counters().Rejected(monitor::Source::kCot, monitor::Reason::kUnknownUnit);
        s_.counters.Count(m.outcome);
      }
    });
    if (own) s_.hub.Identify(hub_id_, own->uid, own->callsign);
    for (auto& [at, label] : relays)
      s_.hub.Relay(hub_id_, label, events[at].event, std::move(events[at].doc));
    // Through the engine like every write that names a record: the log, the console, the feed.
    for (Command& c : commands)
      s_.engine.Submit(std::move(c), who_->user, who_->agency, [](CommandOutcome o) {
        if (!o.status.ok()) spdlog::warn("CoT to an incident not stored: {}", o.status.ToString());
      });
    // With every other read's fixes, as one lane batch per key (fix_batcher.h). Refusals are
    // counted by the lane per reason (source "cot") and by the batcher; TAK has no acks.
    return s_.fixes.Add(*who_, std::move(fixes));
  }

  // --- The hub -------------------------------------------------------------------------------

  void JoinHub() {
    std::weak_ptr<Session> weak = shared_from_this();
    auto executor = stream_.get_executor();
    hub_id_ = s_.hub.Join(*who_, [weak, executor](RelayedPtr doc) {
      net::post(executor, [weak, doc = std::move(doc)] {
        if (auto self = weak.lock()) self->Deliver(doc);
      });
    });
  }

  // The relayed document itself goes on the queue (aliasing its owner), not a copy.
  void Deliver(const RelayedPtr& doc) {
    if (closed_ || closing_) return;
    ++s_.counters.relayed;
    if (!proto_) return Queue(Chunk(doc, &doc->xml()));
    if (!doc->framed_proto().empty()) Queue(Chunk(doc, &doc->framed_proto()));
  }

  // A document of ncc's own in the protocol this client speaks.
  void Emit(std::string xml) {
    if (!proto_) return Send(std::move(xml));
    auto payload = XmlToTakMessage(xml);
    if (!payload.ok()) {
      spdlog::warn("CoT feed: not sent as TAK protocol v1: {}", payload.status().ToString());
      return;
    }
    Send(FrameTakMessage(*payload));
  }

  // --- Outbound feed -------------------------------------------------------------------------

  bool Visible(const auth::RecordLabel& label) const {
    return auth::CanSee(*who_, label, auth::Action::kCotIngest);
  }

  void StartFeed() {
    cursor_ = s_.engine.feed().head();  // before the snapshot: later changes are sent again
    std::vector<Unit> units;
    std::vector<IncidentId> incidents;
    s_.engine.Read([&](const World& w) {
      for (const Unit& u : w.units())
        if (u.position && Visible(LabelOf(u))) units.push_back(u);
      for (const Incident& i : w.incidents())
        if (IsOpen(i) && Visible(LabelOf(i))) incidents.push_back(i.id);
    });
    std::set<UnitId> unit_ids;
    for (const Unit& u : units) unit_ids.insert(u.id);
    Render({incidents.begin(), incidents.end()}, unit_ids);
    snapshot_bytes_ = queued_bytes_;  // the snapshot may exceed the live limit once
    std::weak_ptr<Session> weak = shared_from_this();
    auto executor = stream_.get_executor();
    listener_ = s_.engine.feed().Listen([weak, executor] {
      auto self = weak.lock();
      if (!self || self->wake_pending_.exchange(true)) return;
      net::post(executor, [self] {
        self->wake_pending_ = false;
        self->Pump();
      });
    });
    Pump();
  }

  void Pump() {
    if (closed_ || closing_) return;
    std::set<IncidentId> incidents;
    std::set<UnitId> units;
    std::vector<uint64_t> chats;
    for (;;) {
      std::vector<FeedItemPtr> items;
      if (!s_.engine.feed().ReadAfter(cursor_, kFeedPage, items)) {
        ++s_.counters.cut_slow;
        return SendErrorAndClose(
            Status(StatusCode::kResourceExhausted, "fell behind the live feed; reconnect", "feed"));
      }
      if (items.empty()) break;
      cursor_ = items.back()->seq();
      for (const auto& item : items) {
        Touch(item->event(), incidents, units);
        const auto* posted = std::get_if<ChannelMessagePosted>(&item->event().body);
        // A GeoChat from a TAK client was relayed by the hub already.
        if (posted && posted->via != "cot") chats.push_back(posted->id);
      }
    }
    Render(incidents, units);
    SendChats(chats);
  }

  // Channel messages as GeoChat, to a client whose key may see the message and its channel;
  // confidential and secret ones are audited, as the feed's incidents are.
  void SendChats(const std::vector<uint64_t>& ids) {
    if (ids.empty() || closed_ || closing_) return;
    const int64_t now = s_.clock.Now().ms;
    std::vector<std::string> out;
    RecordAccess audited{{}, "cot", {}, {}};
    s_.engine.Read([&](const World& w) {
      for (uint64_t id : ids) {
        const Message* m = w.FindMessage(id);
        const Channel* ch = m ? w.FindChannel(m->channel) : nullptr;
        if (!ch || !Visible(LabelOf(*ch, w)) || !Visible(LabelOf(*m))) continue;
        if (m->classification >= Classification::kConfidential) audited.messages.push_back(id);
        out.push_back(Write(ChatEvent(*m, ch->name, now)));
      }
    });
    if (!audited.messages.empty())
      s_.engine.Submit(std::move(audited), who_->user, who_->agency, [](CommandOutcome o) {
        if (!o.status.ok()) spdlog::error("CoT feed: audit record failed: {}", o.status.ToString());
      });
    for (auto& doc : out) {
      ++s_.counters.feed_events;
      Emit(std::move(doc));
      if (closed_ || closing_) return;
    }
  }

  // Sends the current state of the touched records `who_` may see; audits confidential ones.
  void Render(const std::set<IncidentId>& incident_ids, const std::set<UnitId>& unit_ids) {
    if (incident_ids.empty() && unit_ids.empty()) return;
    const int64_t now = s_.clock.Now().ms;
    std::vector<std::string> out;
    std::vector<Unit> units;
    std::map<UnitId, std::string> agency_kinds;
    std::vector<IncidentId> audited;
    s_.engine.Read([&](const World& w) {
      for (IncidentId id : incident_ids) {
        const Incident* i = w.FindIncident(id);
        if (!i || !Visible(LabelOf(*i))) continue;
        if (IsConfidential(*i)) audited.push_back(id);
        out.push_back(Write(IncidentEvent(*i, now, s_.options.stale_after_ms)));
      }
      for (UnitId id : unit_ids) {
        const Unit* u = w.FindUnit(id);
        if (!u || own_units_.count(id) || !Visible(LabelOf(*u))) continue;
        units.push_back(*u);
        const Agency* a = w.FindAgency(u->agency);
        agency_kinds[id] = a ? a->kind : "";
      }
    });
    // Outside the World's lock: the lane holds every accepted fix, the World only checkpoints.
    for (Unit& u : units) {
      if (auto live = s_.lane.Get(u.id); live && live->position.time >= u.position_time) {
        u.position = live->position.position;
        u.position_time = live->position.time;
        u.speed = live->position.speed;
        u.heading = live->position.heading;  // with the position it belongs to, never older
      }
      if (auto e = UnitEvent(u, now, s_.options.stale_after_ms, agency_kinds[u.id]))
        out.push_back(Write(*e));
    }
    // Like the WebSocket stream, the feed does not wait for its audit record.
    for (size_t at = 0; at < audited.size(); at += Limits::kMaxRecordsPerAccess) {
      size_t end = std::min(audited.size(), at + Limits::kMaxRecordsPerAccess);
      s_.engine.Submit(RecordAccess{{audited.begin() + at, audited.begin() + end}, "cot"},
                       who_->user, who_->agency, [](CommandOutcome o) {
                         if (!o.status.ok())
                           spdlog::error("CoT feed: audit record failed: {}", o.status.ToString());
                       });
    }
    for (auto& doc : out) {
      ++s_.counters.feed_events;
      Emit(std::move(doc));
      if (closed_ || closing_) return;
    }
  }

  // --- Writing -------------------------------------------------------------------------------

  void Send(std::string data) {
    if (closed_ || closing_) return;
    Queue(std::make_shared<const std::string>(std::move(data)));
  }

  // Bounded per client: more than max_queued_bytes unwritten (beyond what is left of its
  // sign-in snapshot) and it is cut.
  void Queue(Chunk data) {
    if (closed_ || closing_) return;
    queued_bytes_ += data->size();
    out_.push_back(std::move(data));
    if (queued_bytes_ > s_.options.max_queued_bytes + snapshot_bytes_) {
      ++s_.counters.cut_slow;
      return Close();  // the queue is what does not reach it: nothing to tell
    }
    if (!writing_) WriteNext();
  }

  // Writes what is queued, several documents per write (gathered; one buffer for TLS, whose
  // stream writes one buffer at a time). Plain TCP first tries the non-blocking socket at once:
  // when it takes everything (the usual case for a relayed chat) there is no asynchronous
  // operation and no completion handler, which is most of a fan-out's cost per client.
  void WriteNext() {
    for (;;) {
      if (out_.empty()) {
        writing_ = false;
        if (closing_) Close();
        return;
      }
      writing_ = true;
      size_t n = 0, bytes = 0;
      gather_.clear();
      for (const Chunk& c : out_) {
        if (n > 0 && (n == kMaxWriteChunks || bytes + c->size() > kMaxWriteBytes)) break;
        gather_.push_back(net::buffer(*c));
        bytes += c->size();
        ++n;
      }
      if constexpr (!kTls) {
        error_code ec;
        size_t written = stream_.write_some(gather_, ec);
        if (ec == net::error::would_block || ec == net::error::try_again)
          written = 0;
        else if (ec)
          return Close();
        if (written == bytes) {
          Written(n, bytes);
          continue;
        }
        Skip(written);  // the rest goes asynchronously
      }
      write_started_ = Steady::now();
      WatchWrite();
      auto done = [self = shared_from_this(), n, bytes](error_code ec, size_t) {
        if (ec) return self->Close();
        self->Written(n, bytes);
        self->WriteNext();
      };
      if constexpr (kTls) {
        if (n > 1) {
          linear_.clear();
          for (const auto& b : gather_)
            linear_.append(static_cast<const char*>(b.data()), b.size());
          return net::async_write(stream_, net::buffer(linear_), std::move(done));
        }
      }
      return net::async_write(stream_, gather_, std::move(done));
    }
  }

  // Drops the first `bytes` of gather_ (what a partial write took).
  void Skip(size_t bytes) {
    size_t drop = 0;
    while (drop < gather_.size() && bytes >= gather_[drop].size()) bytes -= gather_[drop++].size();
    gather_.erase(gather_.begin(), gather_.begin() + static_cast<std::ptrdiff_t>(drop));
    if (!gather_.empty()) gather_.front() += bytes;
  }

  // The first `n` queued documents (`bytes` in all) are written.
  void Written(size_t n, size_t bytes) {
    queued_bytes_ -= bytes;
    snapshot_bytes_ -= std::min(snapshot_bytes_, bytes);  // the snapshot's allowance is used up
    out_.erase(out_.begin(), out_.begin() + static_cast<std::ptrdiff_t>(n));
  }

  // A client that does not take a write within write_timeout is cut, however little it has
  // queued (a TAK client that never reads must not hold a connection and its memory). One
  // timer, re-armed only when it fires: a write that started after it was set is given its
  // own full timeout then.
  void WatchWrite() {
    if (write_timer_running_) return;
    write_timer_running_ = true;
    WaitWrite(write_started_ + s_.options.write_timeout);
  }
  void WaitWrite(Steady::time_point at) {
    write_timer_.expires_at(at);
    write_timer_.async_wait([self = shared_from_this()](error_code) {
      if (self->closed_ || !self->writing_) {
        self->write_timer_running_ = false;
        return;
      }
      Steady::time_point due = self->write_started_ + self->s_.options.write_timeout;
      if (Steady::now() < due) return self->WaitWrite(due);
      ++self->s_.counters.cut_slow;  // of which: by the timeout
      ++self->s_.counters.cut_write_timeout;
      spdlog::info("CoT client {} cut: a write waited more than {} s", self->remote_,
                   self->s_.options.write_timeout.count());
      self->Close();
    });
  }

  // "ncc-error <field>: <message>\n", then closed once written. No more reads.
  void SendErrorAndClose(const Status& why) {
    if (closed_ || closing_) return;
    std::string line = "ncc-error " + (why.field().empty() ? std::string("stream") : why.field()) +
                       ": " + why.message();
    for (char& c : line)
      if (c == '\n' || c == '\r') c = ' ';
    line += '\n';
    queued_bytes_ += line.size();
    out_.push_back(std::make_shared<const std::string>(std::move(line)));
    closing_ = true;
    if (listener_) {
      s_.engine.feed().Unlisten(listener_);
      listener_ = 0;
    }
    Deadline(std::chrono::seconds(5));  // a client that does not read its error is cut anyway
    if (!writing_) WriteNext();
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    if (hub_id_) {
      s_.hub.Leave(hub_id_);
      hub_id_ = 0;
    }
    if (listener_) {
      s_.engine.feed().Unlisten(listener_);
      listener_ = 0;
    }
    error_code ignored;
    timer_.cancel();
    write_timer_.cancel();
    stream_.lowest_layer().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.lowest_layer().close(ignored);
  }

  Shared& s_;
  Stream stream_;
  net::steady_timer timer_;
  Steady::time_point deadline_;
  bool timer_running_ = false;
  net::steady_timer write_timer_;
  Steady::time_point write_started_;  // of the write in progress
  bool write_timer_running_ = false;
  std::string remote_;
  std::array<char, 16384> rbuf_;
  std::string line_;  // the ncc-key line, until signed in
  Framer framer_;
  ProtoFramer proto_framer_;
  bool proto_ = false;  // TAK protocol v1 negotiated: both directions
  uint64_t hub_id_ = 0;
  std::optional<auth::Principal> who_;
  std::set<UnitId> own_units_;  // units this connection reports: not echoed back to it
  Seq cursor_;
  uint64_t listener_ = 0;
  std::atomic<bool> wake_pending_{false};
  std::deque<Chunk> out_;
  std::vector<net::const_buffer> gather_;  // the write in progress
  std::string linear_;                     // its bytes in one buffer (TLS)
  size_t queued_bytes_ = 0, snapshot_bytes_ = 0;
  bool writing_ = false, closing_ = false, closed_ = false;
};

}  // namespace

struct Listener::Impl {
  ListenerOptions options;
  Counters counters;
  Hub hub;
  FixBatcher fixes;  // posts to `ioc` (declared later) only until Stop()
  Shared shared;
  std::optional<net::ssl::context> tls;  // before the sessions' io_context: they use it
  net::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::vector<std::thread> threads;

  Impl(Engine& engine, monitor::AvlLane& lane, const Clock& clock, Authenticator authenticate,
       ListenerOptions o)
      : options(std::move(o)),
        fixes(
            lane, [this](std::function<void()> f) { net::post(ioc, std::move(f)); },
            options.max_pending_fixes),
        shared{engine, lane, clock, std::move(authenticate), options, counters, hub, fixes},
        ioc(std::max(1, options.threads)) {}

  void Accept() {
    acceptor.async_accept(net::make_strand(ioc), [this](error_code ec, tcp::socket socket) {
      if (ec == net::error::operation_aborted) return;
      if (!ec) {
        if (counters.connections_open.load() >= options.max_connections) {
          ++counters.refused_busy;
          socket.close(ec);
        } else {
          socket.set_option(tcp::no_delay(true), ec);
          if (tls)
            std::make_shared<Session<TlsSocket>>(shared, std::move(socket), *tls)->Start();
          else
            std::make_shared<Session<tcp::socket>>(shared, std::move(socket))->Start();
        }
      }
      Accept();
    });
  }
};

Listener::Listener(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Listener::~Listener() {
  Stop();
}

StatusOr<std::unique_ptr<Listener>> Listener::Start(Engine& engine, monitor::AvlLane& lane,
                                                    const Clock& clock, Authenticator authenticate,
                                                    ListenerOptions options) {
  auto impl =
      std::make_unique<Impl>(engine, lane, clock, std::move(authenticate), std::move(options));
  const ListenerOptions& o = impl->options;
  if (o.tls) {
    auto ctx = MakeTlsContext(*o.tls);
    if (!ctx.ok()) return ctx.status();
    impl->tls.emplace(std::move(*ctx));
  }
  error_code ec;
  auto address = net::ip::make_address(o.host, ec);
  if (ec) return InvalidArgument("not an IP address: " + o.host, "cot");
  tcp::endpoint endpoint(address, o.port);
  auto& acceptor = impl->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec)
    return Unavailable("cannot listen for CoT on " + o.host + ":" + std::to_string(o.port) + ": " +
                       ec.message());
  impl->Accept();
  for (int i = 0; i < std::max(1, o.threads); ++i)
    impl->threads.emplace_back([ioc = &impl->ioc] { ioc->run(); });
  return std::unique_ptr<Listener>(new Listener(std::move(impl)));
}

void Listener::Stop() {
  if (!impl_) return;
  impl_->ioc.stop();
  for (auto& t : impl_->threads)
    if (t.joinable()) t.join();
  impl_->fixes.Stop();  // what was read goes to the lane; nothing is posted to ioc any more
}

uint16_t Listener::port() const {
  error_code ec;
  return impl_->acceptor.local_endpoint(ec).port();
}

bool Listener::tls() const {
  return impl_->tls.has_value();
}

const Counters& Listener::counters() const {
  return impl_->counters;
}

void Listener::RenderMetrics(std::string& out) const {
  impl_->counters.Render(out);
  const FixBatcher& f = impl_->fixes;
  auto line = [&](const char* name, const char* help, const char* type, uint64_t v) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" +
           name + " " + std::to_string(v) + "\n";
  };
  line("ncc_cot_fix_handoffs_total", "Batches of CoT fixes handed to the AVL lane (one per key)",
       "counter", f.handoffs());
  line("ncc_cot_fixes_refused_total",
       "CoT fixes in batches the AVL lane refused whole (lane stopped or full): not stored",
       "counter", f.refused());
  line("ncc_cot_fixes_pending", "CoT fixes read and waiting for the next hand-off to the lane",
       "gauge", f.pending());
}

}  // namespace ncc::cot
