// The CoT listener on a loopback port with a real engine and AVL lane: a TAK client that never
// reads is cut by the write timeout (not held, however little it has queued), while the
// others go on receiving the same relayed chats.
#include "exchange/cot/listener.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "engine/engine_test_support.h"
#include "store/sqlite/sqlite_event_log.h"

namespace ncc::cot {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;

int Connect(uint16_t port, int rcvbuf = 0) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (rcvbuf > 0) ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  ::inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  return fd;
}

bool SendAll(int fd, const std::string& data) {
  for (size_t at = 0; at < data.size();) {
    ssize_t n = ::send(fd, data.data() + at, data.size() - at, MSG_NOSIGNAL);
    if (n <= 0) return false;
    at += static_cast<size_t>(n);
  }
  return true;
}

// Reads what is there without waiting; false once the peer has closed.
bool Drain(int fd, std::string* into = nullptr) {
  char buf[65536];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n == 0) return false;
    if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK;
    if (into) into->append(buf, static_cast<size_t>(n));
  }
}

std::string Chat(int k, size_t remarks) {
  return "<event version='2.0' uid='chat-" + std::to_string(k) +
         "' type='b-t-f' how='h-g-i-g-o' time='2026-12-01T10:00:00Z' "
         "start='2026-12-01T10:00:00Z' stale='2026-12-01T10:05:00Z'><point lat='25.3' "
         "lon='51.5' hae='0' ce='9999999' le='9999999'/><detail><__chat chatroom='All Chat "
         "Rooms' id='All Chat Rooms' senderCallsign='B'/><remarks>" +
         std::string(remarks, 'x') + "</remarks></detail></event>";
}

class CotListenerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test_support::FreshTestDir("ncc-cot-listener");
    engine_ = test_support::OpenTestEngine(dir_, clock_);
    ASSERT_TRUE(engine_);
    ASSERT_TRUE(
        engine_->SubmitAndWait(RegisterAgency{{"police", "Police", "police"}}, "t", "police")
            .status.ok());
    monitor::LaneOptions lo;
    lo.track_path = dir_ + "/tracks.ncctrk";
    lo.stale_after_ms = 0;
    auto lane = monitor::AvlLane::Open(*engine_, clock_, std::move(lo));
    ASSERT_TRUE(lane.ok()) << lane.status().ToString();
    lane_ = std::move(*lane);
  }
  void TearDown() override {
    if (listener_) listener_->Stop();
    listener_.reset();
    if (lane_) lane_->Stop();
    if (engine_) engine_->Stop();
    fs::remove_all(dir_);
  }

  void Start(ListenerOptions o) {
    auto authenticate = [](std::string_view key, std::string_view,
                           std::string_view) -> StatusOr<auth::Principal> {
      if (key != "k") return Status(StatusCode::kUnauthenticated, "unknown key", "auth");
      return auth::Principal{auth::Principal::Kind::kGateway,
                             "tak",
                             "police",
                             {},
                             Classification::kRestricted,
                             {auth::Lane::kCot}};
    };
    auto l = Listener::Start(*engine_, *lane_, clock_, authenticate, std::move(o));
    ASSERT_TRUE(l.ok()) << l.status().ToString();
    listener_ = std::move(*l);
  }

  // Signed in: the TAK protocol offer has arrived.
  int SignIn(int rcvbuf = 0) {
    int fd = Connect(listener_->port(), rcvbuf);
    EXPECT_TRUE(SendAll(fd, "ncc-key k\n"));
    std::string got;
    auto deadline = Steady::now() + 20s;
    while (got.find("t-x-takp-v") == std::string::npos && Steady::now() < deadline) {
      Drain(fd, &got);
      std::this_thread::sleep_for(1ms);
    }
    EXPECT_NE(got.find("t-x-takp-v"), std::string::npos);
    return fd;
  }

  std::string dir_;
  ManualClock clock_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<monitor::AvlLane> lane_;
  std::unique_ptr<Listener> listener_;
};

TEST_F(CotListenerTest, AClientThatNeverReadsIsCutByTheWriteTimeout) {
  ListenerOptions o;
  o.write_timeout = 2s;  // the reading client drains between chats: far within it, even loaded
  o.max_queued_bytes = size_t{1} << 30;  // so that it is the timeout that cuts, not the queue
  Start(o);
  int mute = SignIn(/*rcvbuf=*/4096);  // signs in, then never reads again
  int reader = SignIn();
  int sender = SignIn();
  std::string received;
  bool cut = false;
  auto deadline = Steady::now() + 60s;
  for (int k = 0; !cut && Steady::now() < deadline; ++k) {
    ASSERT_TRUE(SendAll(sender, Chat(k, 30'000)));
    ASSERT_TRUE(Drain(reader, &received)) << "the reading client was cut";
    Drain(sender);
    cut = listener_->counters().cut_write_timeout.load() > 0;
    if (k > 200) std::this_thread::sleep_for(10ms);  // buffers full: let the timeout run
  }
  ASSERT_TRUE(cut) << "a client that never reads was not cut";
  EXPECT_EQ(listener_->counters().cut_write_timeout.load(), 1u);
  EXPECT_EQ(listener_->counters().cut_slow.load(), 1u);  // all cuts; the timeout's among them
  // The others are still served: a chat sent now reaches the reading client.
  received.clear();
  ASSERT_TRUE(SendAll(sender, Chat(-1, 10)));
  deadline = Steady::now() + 20s;
  while (received.find("uid='chat--1'") == std::string::npos && Steady::now() < deadline) {
    ASSERT_TRUE(Drain(reader, &received));
    std::this_thread::sleep_for(1ms);
  }
  EXPECT_NE(received.find("uid='chat--1'"), std::string::npos);
  deadline = Steady::now() + 20s;  // the cut session is released once its handlers are done
  while (listener_->counters().connections_open.load() != 2 && Steady::now() < deadline)
    std::this_thread::sleep_for(1ms);
  EXPECT_EQ(listener_->counters().connections_open.load(), 2u);
  ::close(mute);
  ::close(reader);
  ::close(sender);
}

}  // namespace
}  // namespace ncc::cot
