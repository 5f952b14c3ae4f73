// WebSocket /api/v1/stream?after=SEQ: catch-up from the feed or the log, then live.
//
// The session pulls: the writer only nudges it after each commit. A session that has caught
// up and then falls more than `stream_max_lag` events behind (its bounded queue would
// overflow) is closed with a reason telling it where to resume; it never slows the writer.
// A client that stops taking messages is cut when one write has waited `stream_write_timeout`
// (its socket's send buffer is bounded too), so it holds nothing for long. What an event shows
// a reader is decided once per view (agency, roles, clearance) for all streams of that view
// (SharedEventViews); the audit of what each reader was shown stays its own.
//
// With ?positions=1 the stream also carries {"type":"positions","items":[...]}: the newest
// durable fix of each unit that moved, from the LiveFeed, through the same visibility filter
// as every read (a unit the reader may not see is left out; a confidential one is audited the
// first time this stream shows it). Fixes waiting for a slow client are merged (newest wins),
// never queued. Every `stream_heartbeat` a {"type":"heartbeat","head","time"} is sent when
// nothing else is waiting.
#include <charconv>
#include <chrono>
#include <deque>
#include <set>

#include "core/json_writer.h"
#include "server/beast_common.h"
#include "server/event_pages.h"
#include "visibility/access.h"
#include "visibility/redact.h"

namespace ncc {
namespace {

constexpr size_t kPage = 256;

// One rendering of a positions batch for one view of the records.
struct RenderedPositions {
  std::shared_ptr<const std::string> message;  // null: nothing the view may see
  std::vector<UnitId> confidential;            // shown units that reading must audit
};

Time WallNow() {
  using namespace std::chrono;
  return Time{duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count()};
}

template <class NextLayer>
class StreamSession : public std::enable_shared_from_this<StreamSession<NextLayer>> {
  using std::enable_shared_from_this<StreamSession<NextLayer>>::shared_from_this;

 public:
  StreamSession(NextLayer stream, Engine& engine, const ServerOptions& options,
                StreamCounters& counters, StreamGrant grant)
      : ws_(std::move(stream)),
        recheck_(ws_.get_executor()),
        heartbeat_(ws_.get_executor()),
        write_deadline_(ws_.get_executor()),
        engine_(engine),
        options_(options),
        counters_(counters),
        who_(std::move(grant.who)),
        view_(ViewOf(who_)),
        view_id_(counters_.views.Intern(view_)),
        still_valid_(std::move(grant.still_valid)),
        slot_(std::move(grant.slot)) {}

  ~StreamSession() {
    if (listener_) engine_.feed().Unlisten(listener_);
    if (positions_listener_) options_.live_positions->Unlisten(positions_listener_);
    if (accepted_) --counters_.connected;
  }

  void Run(http::request<http::string_body> req) {
    std::string_view target(req.target().data(), req.target().size());
    size_t q = target.find('?');
    auto query = q == std::string_view::npos ? std::map<std::string, std::string>{}
                                             : ParseQuery(target.substr(q + 1));
    cursor_ = engine_.log().LastSeq();  // default: live only
    if (auto it = query.find("after"); it != query.end()) {
      uint64_t after = 0;
      auto [p, ec] =
          std::from_chars(it->second.data(), it->second.data() + it->second.size(), after);
      if (ec != std::errc() || p != it->second.data() + it->second.size())
        bad_after_ = true;
      else
        cursor_ = Seq(after);
    }
    if (auto it = query.find("positions"); it != query.end())
      want_positions_ = it->second == "1" || it->second == "true";
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().set_option(
        net::socket_base::send_buffer_size(options_.stream_send_buffer), ignored);
    ws_.read_message_max(64 * 1024);
    ws_.async_accept(req, beast::bind_front_handler(&StreamSession::OnAccept, shared_from_this()));
  }

 private:
  void OnAccept(beast::error_code ec) {
    if (ec) return;
    accepted_ = true;
    ++counters_.connected;
    ++counters_.opened;
    if (bad_after_)
      return CloseWith(websocket::close_code::policy_error, "after must be a non-negative integer");
    std::weak_ptr<StreamSession> weak = shared_from_this();
    auto executor = ws_.get_executor();
    listener_ = engine_.feed().Listen([weak, executor] {
      auto self = weak.lock();
      if (!self || self->wake_pending_.exchange(true)) return;
      net::post(executor, [self] {
        self->wake_pending_ = false;
        self->Pump();
      });
    });
    nlohmann::json hello = {{"type", "stream_hello"},
                            {"after", cursor_.value},
                            {"head", engine_.log().LastSeq().value}};
    hello["positions"] = want_positions_ && options_.live_positions;
    out_.push_back(std::make_shared<const std::string>(hello.dump()));
    if (want_positions_ && options_.live_positions) ListenForPositions();
    Read();
    Pump();
    Recheck();
    Heartbeat();
  }

  void ListenForPositions() {
    std::weak_ptr<StreamSession> weak = shared_from_this();
    auto executor = ws_.get_executor();
    positions_listener_ = options_.live_positions->Listen(
        [weak, executor](std::shared_ptr<const monitor::LiveFeed::Batch> batch) {
          auto self = weak.lock();
          if (!self) return;
          net::post(executor, [self, batch = std::move(batch)] { self->OnPositions(batch); });
        });
  }

  // Only when nothing else waits: a stream busy with events is visibly alive.
  void Heartbeat() {
    if (closed_) return;
    heartbeat_.expires_after(options_.stream_heartbeat);
    heartbeat_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec || self->closed_) return;
      if (self->out_.empty() && !self->writing_) {
        nlohmann::json beat = {{"type", "heartbeat"},
                               {"head", self->engine_.feed().head().value},
                               {"time", FormatTime(WallNow())}};
        self->out_.push_back(std::make_shared<const std::string>(beat.dump()));
        self->Pump();
      }
      self->Heartbeat();
    });
  }

  // A stream that keeps up takes the batch's rendering for its view (shared with every console
  // of the same agency, roles and clearance); one that is still writing merges the fixes into
  // what waits for it, newest wins, and renders them itself when it gets to them.
  void OnPositions(const std::shared_ptr<const monitor::LiveBatch>& batch) {
    if (closed_) return;
    if (writing_ || !out_.empty() || !fixes_waiting_.empty()) {
      for (const PositionFix& f : batch->fixes) fixes_waiting_[f.unit.value] = f;
      return Pump();
    }
    auto shared = std::static_pointer_cast<const RenderedPositions>(batch->Memo(view_));
    if (!shared) {
      auto made = std::make_shared<const RenderedPositions>(Render(batch->fixes));
      batch->SetMemo(view_, made);
      shared = made;
    }
    Take(*shared);
    Pump();
  }

  void QueueWaitingPositions() {
    if (fixes_waiting_.empty()) return;
    std::vector<PositionFix> fixes;
    fixes.reserve(fixes_waiting_.size());
    for (const auto& [id, f] : fixes_waiting_) fixes.push_back(f);
    fixes_waiting_.clear();
    Take(Render(fixes));
  }

  // The fixes `who_` may see (the one read filter), as one message; nothing when none.
  RenderedPositions Render(std::span<const PositionFix> fixes) const {
    RenderedPositions out;
    nlohmann::json items = nlohmann::json::array();
    engine_.Read([&](const World& w) {
      for (const PositionFix& f : fixes) {
        const Unit* u = w.FindUnit(f.unit);
        if (!u || !auth::CanSee(who_, LabelOf(*u))) continue;
        if (u->classification >= Classification::kConfidential) out.confidential.push_back(f.unit);
        items.push_back({{"unit", f.unit.value},
                         {"lat", f.position.lat},
                         {"lon", f.position.lon},
                         {"time", FormatTime(f.time)},
                         {"speed", f.speed},
                         {"heading", f.heading}});
      }
    });
    if (!items.empty()) {
      nlohmann::json message = {{"type", "positions"}, {"items", std::move(items)}};
      out.message = std::make_shared<const std::string>(message.dump());
    }
    return out;
  }

  // Queues the message; a confidential unit this stream shows for the first time is audited.
  void Take(const RenderedPositions& r) {
    RecordAccess newly_read;
    for (UnitId u : r.confidential)
      if (audited_units_.insert(u.value).second) newly_read.units.push_back(u);
    if (!newly_read.units.empty()) {
      newly_read.via = "stream";
      engine_.Submit(std::move(newly_read), who_.user, who_.agency, [](CommandOutcome) {});
    }
    if (r.message) out_.push_back(r.message);
  }

  // Once a second: a stream lives only as long as the sign-in it was opened with.
  void Recheck() {
    if (!still_valid_ || closed_) return;
    recheck_.expires_after(std::chrono::seconds(1));
    recheck_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec || self->closed_) return;
      if (Status s = self->still_valid_(); !s.ok())
        return self->CloseWith(websocket::close_code::policy_error, "signed out: " + s.message());
      self->Recheck();
    });
  }

  // Client messages are not commands (yet): read them to keep control frames flowing.
  void Read() {
    ws_.async_read(in_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->Shut();
      self->in_.consume(self->in_.size());
      self->Read();
    });
  }

  void Pump() {
    if (writing_ || closed_) return;
    if (out_.empty()) QueueWaitingPositions();
    // Pages until something visible to this reader turns up, or the stream is caught up.
    while (out_.empty()) {
      uint64_t head = engine_.feed().head().value;
      if (live_ && head > cursor_.value + options_.stream_max_lag) {
        ++counters_.cut_for_lag;
        return CloseWith(websocket::close_code::policy_error,
                         "fell behind by " + std::to_string(head - cursor_.value) +
                             " events; reconnect with after=" + std::to_string(cursor_.value));
      }
      auto page = EventPage(engine_, cursor_, kPage);
      if (!page.ok())
        return CloseWith(websocket::close_code::internal_error,
                         PublicMessage(page.status()).substr(0, 100));
      if (page->empty()) {
        live_ = true;
        return;
      }
      cursor_ = page->back().event->meta.seq;
      ReadRecorder audited;
      engine_.Read([&](const World& w) {
        for (auto& item : *page) {
          // The one event filter, decided once per view for every stream of that view.
          auto text = counters_.views.Visible(who_, view_id_, item, w);
          if (!text) continue;
          audited.Add(*item.event, w);
          out_.push_back(std::move(text));
        }
      });
      // The stream does not wait for its audit record: it is written in the next group commit.
      if (!audited.empty())
        engine_.Submit(audited.Take("stream"), who_.user, who_.agency, [](CommandOutcome) {});
    }
    writing_ = true;
    ws_.text(true);
    WatchWrite();
    ws_.async_write(net::buffer(*out_.front()),
                    [self = shared_from_this()](beast::error_code ec, size_t) {
                      self->writing_ = false;
                      self->write_deadline_.cancel();
                      if (ec) return self->Shut();
                      self->out_.pop_front();
                      self->Pump();
                    });
  }

  // A write that has not finished by the deadline means the client stopped reading: the
  // socket is closed at once (a close frame would only queue behind the stuck write).
  void WatchWrite() {
    write_deadline_.expires_after(options_.stream_write_timeout);
    write_deadline_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec || !self->writing_) return;
      ++self->counters_.cut_for_stall;
      self->Shut();
      beast::error_code ignored;
      beast::get_lowest_layer(self->ws_).socket().close(ignored);
    });
  }

  void CloseWith(websocket::close_code code, std::string reason) {
    if (closed_) return;
    closed_ = true;
    websocket::close_reason why(code, reason.substr(0, 120));
    ws_.async_close(why, [self = shared_from_this()](beast::error_code) { self->Shut(); });
  }

  void Shut() {
    closed_ = true;
    recheck_.cancel();
    heartbeat_.cancel();
    write_deadline_.cancel();
    if (listener_) {
      engine_.feed().Unlisten(listener_);
      listener_ = 0;
    }
    if (positions_listener_) {
      options_.live_positions->Unlisten(positions_listener_);
      positions_listener_ = 0;
    }
    fixes_waiting_.clear();
  }

  websocket::stream<NextLayer> ws_;
  net::steady_timer recheck_;
  net::steady_timer heartbeat_;
  net::steady_timer write_deadline_;
  Engine& engine_;
  const ServerOptions& options_;
  StreamCounters& counters_;
  const auth::Principal who_;
  const std::string view_;  // ViewOf(who_): the key of shared renderings
  const uint32_t view_id_;  // the same, for the shared event filter (counters_.views)
  std::function<Status()> still_valid_;
  std::shared_ptr<void> slot_;
  beast::flat_buffer in_;
  std::deque<std::shared_ptr<const std::string>> out_;
  Seq cursor_;
  uint64_t listener_ = 0;
  std::atomic<bool> wake_pending_{false};
  bool accepted_ = false, bad_after_ = false, live_ = false, writing_ = false, closed_ = false;
  bool want_positions_ = false;
  uint64_t positions_listener_ = 0;
  std::map<uint64_t, PositionFix> fixes_waiting_;  // by unit: the newest not yet sent
  std::set<uint64_t> audited_units_;               // confidential units this stream has shown
};

}  // namespace

void StartStreamSession(beast::tcp_stream stream, http::request<http::string_body> request,
                        Engine& engine, const ServerOptions& options, StreamCounters& counters,
                        StreamGrant grant) {
  std::make_shared<StreamSession<beast::tcp_stream>>(std::move(stream), engine, options, counters,
                                                     std::move(grant))
      ->Run(std::move(request));
}

void StartStreamSession(TlsStream stream, http::request<http::string_body> request, Engine& engine,
                        const ServerOptions& options, StreamCounters& counters, StreamGrant grant) {
  std::make_shared<StreamSession<TlsStream>>(std::move(stream), engine, options, counters,
                                             std::move(grant))
      ->Run(std::move(request));
}

}  // namespace ncc
