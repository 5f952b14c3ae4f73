// The event log on a three-node JetStream cluster (scripts/nats start --cluster 3, loopback):
// replicas 3, the stream's leader killed with SIGKILL while a writer appends, the appends go on
// through the election, the node comes back; every acknowledged event is there exactly once and
// the chain verifies. Prints the time from the kill to the first acknowledged append after it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "store/jetstream/jetstream_event_log.h"
#include "store/test_workload.h"

namespace ncc::jetstream {
namespace {

std::string Nats(const std::string& args) {
  return std::string(NCC_SOURCE_DIR) + "/scripts/nats " + args;
}

class Cluster : public ::testing::Test {
 protected:
  std::string dir =
      (std::filesystem::temp_directory_path() / ("ncc-nats-cluster-" + std::to_string(::getpid())))
          .string();
  std::string url;
  void SetUp() override {
    ASSERT_EQ(std::system(Nats("start " + dir + " auto --cluster 3 --fresh").c_str()), 0);
    std::ifstream in(dir + "/url");
    std::getline(in, url);
    ASSERT_FALSE(url.empty());
  }
  void TearDown() override {
    (void)std::system(Nats("stop " + dir).c_str());
    std::filesystem::remove_all(dir);
  }
};

TEST_F(Cluster, KillingTheStreamLeaderLosesNoAcknowledgedAppend) {
  auto w = ncc::testing::Workload::Make(10, 300);
  JetStreamOptions options;
  options.replicas = 3;
  options.append_timeout_ms = 30'000;
  auto opened = JetStreamEventLog::Open(url, "cluster", "writer", options);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  auto& log = **opened;
  constexpr size_t kBatch = 8;
  const size_t kill_at = w.stored.size() / 3, restart_at = 2 * w.stored.size() / 3;
  std::string killed, restarted;
  std::chrono::steady_clock::time_point kill_time;
  for (size_t i = 0; i < w.stored.size(); i += kBatch) {
    if (i >= kill_at && killed.empty()) {
      auto leader = log.StreamLeader();
      ASSERT_TRUE(leader.ok()) << leader.status().ToString();
      killed = leader->substr(1);  // "n1" -> "1"
      ASSERT_EQ(std::system(Nats("kill " + dir + " " + killed).c_str()), 0);
      kill_time = std::chrono::steady_clock::now();
    }
    if (i >= restart_at && !killed.empty() && killed != "back") {
      ASSERT_EQ(std::system(Nats("restart " + dir + " " + killed + " >/dev/null").c_str()), 0);
      restarted = killed;
      killed = "back";
    }
    std::vector<StoredEvent> batch(
        w.stored.begin() + static_cast<std::ptrdiff_t>(i),
        w.stored.begin() + static_cast<std::ptrdiff_t>(std::min(i + kBatch, w.stored.size())));
    Status s = log.Append(batch);
    ASSERT_TRUE(s.ok()) << "batch at " << i << ": " << s.ToString();
    if (i >= kill_at && i < kill_at + kBatch)
      std::printf("first acknowledged append %lld ms after SIGKILL of the stream leader\n",
                  static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                             std::chrono::steady_clock::now() - kill_time)
                                             .count()));
  }
  EXPECT_EQ(killed, "back");
  auto all = log.ReadAfter(Seq(), 1'000'000);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), w.stored.size());
  for (size_t i = 0; i < all->size(); ++i) EXPECT_EQ((*all)[i].hash, w.stored[i].hash);
  Status verified = VerifyChain(log);
  EXPECT_TRUE(verified.ok()) << verified.ToString();
  // A follower that knows only the restarted node reads the same log.
  std::string only = url;
  for (int n = std::stoi(restarted); n > 0; --n) only = only.substr(only.find(',') + 1);
  only = only.substr(0, only.find(','));
  auto follower = JetStreamEventLog::Open(only, "cluster", "f", JetStreamOptions{.writer = false});
  ASSERT_TRUE(follower.ok()) << follower.status().ToString();
  EXPECT_EQ((*follower)->LastSeq(), w.stored.back().seq);
  EXPECT_TRUE(VerifyChain(**follower).ok());
}

}  // namespace
}  // namespace ncc::jetstream
