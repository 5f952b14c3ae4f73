// WebSocket /api/v1/stream?after=SEQ: catch-up from the feed or the log, then live.
//
// The session pulls: the writer only nudges it after each commit. A session that has caught
// up and then falls more than `stream_max_lag` events behind (its bounded queue would
// overflow) is closed with a reason telling it where to resume; it never slows the writer.
// A client that stops taking messages is cut when one write has waited `stream_write_timeout`
// (its socket's send buffer is bounded too), so it holds nothing for long.
#include <charconv>
#include <deque>
#include <set>

#include "server/beast_common.h"
#include "server/event_pages.h"
#include "visibility/access.h"
#include "visibility/redact.h"

namespace ncc {
namespace {

constexpr size_t kPage = 256;

template <class NextLayer>
class StreamSession : public std::enable_shared_from_this<StreamSession<NextLayer>> {
  using std::enable_shared_from_this<StreamSession<NextLayer>>::shared_from_this;

 public:
  StreamSession(NextLayer stream, Engine& engine, const ServerOptions& options,
                StreamCounters& counters, StreamGrant grant)
      : ws_(std::move(stream)),
        recheck_(ws_.get_executor()),
        write_deadline_(ws_.get_executor()),
        engine_(engine),
        options_(options),
        counters_(counters),
        who_(std::move(grant.who)),
        still_valid_(std::move(grant.still_valid)),
        slot_(std::move(grant.slot)) {}

  ~StreamSession() {
    if (listener_) engine_.feed().Unlisten(listener_);
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
    out_.push_back(std::make_shared<const std::string>(hello.dump()));
    Read();
    Pump();
    Recheck();
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
                         page.status().message().substr(0, 100));
      if (page->empty()) {
        live_ = true;
        return;
      }
      cursor_ = page->back().event->meta.seq;
      ReadRecorder audited;
      engine_.Read([&](const World& w) {
        for (auto& item : *page) {
          auto text = VisibleEventJson(who_, *item.event, w, item.json);  // the one event filter
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
    write_deadline_.cancel();
    if (listener_) {
      engine_.feed().Unlisten(listener_);
      listener_ = 0;
    }
  }

  websocket::stream<NextLayer> ws_;
  net::steady_timer recheck_;
  net::steady_timer write_deadline_;
  Engine& engine_;
  const ServerOptions& options_;
  StreamCounters& counters_;
  const auth::Principal who_;
  std::function<Status()> still_valid_;
  std::shared_ptr<void> slot_;
  beast::flat_buffer in_;
  std::deque<std::shared_ptr<const std::string>> out_;
  Seq cursor_;
  uint64_t listener_ = 0;
  std::atomic<bool> wake_pending_{false};
  bool accepted_ = false, bad_after_ = false, live_ = false, writing_ = false, closed_ = false;
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
