#include "exchange/cap_gateway/gateway.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace ncc::cap_gateway {
namespace {

// A feed that cannot be reached waits twice the poll period, then four times, ...
TEST(CapGateway, AFailingFeedBacksOff) {
  std::string dir = testing::TempDir() + "/capgw-backoff";
  std::filesystem::remove_all(dir);
  GatewayOptions o;
  o.server = *ParseUrl("http://127.0.0.1:1", "server");
  o.api_key = "k";
  o.feeds = {*ParseUrl("http://127.0.0.1:1/feed.xml", "feed")};
  o.state_dir = dir;
  o.every = std::chrono::seconds(60);
  auto g = Gateway::Open(o);
  ASSERT_TRUE(g.ok()) << g.status().message();
  EXPECT_EQ(g->PollOnce(0).feeds_failed, 1);
  EXPECT_EQ(g->PollOnce(119).feeds_waiting, 1);  // 60 s << 1
  EXPECT_EQ(g->PollOnce(120).feeds_failed, 1);
  EXPECT_EQ(g->PollOnce(120 + 239).feeds_waiting, 1);  // 60 s << 2
  EXPECT_EQ(g->PollOnce(120 + 240).feeds_failed, 1);
  int64_t now = 100'000;
  for (int k = 0; k < 10; ++k, now += 100'000) EXPECT_EQ(g->PollOnce(now).feeds_failed, 1);
  now -= 100'000;
  EXPECT_EQ(g->PollOnce(now + 1799).feeds_waiting, 1);
  EXPECT_EQ(g->PollOnce(now + 1800).feeds_failed, 1) << "at most 30 min between tries";
}

TEST(CapGateway, ADamagedStateFileIsNamed) {
  std::string dir = testing::TempDir() + "/capgw-damaged";
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/cap-gateway.json") << "{not json";
  GatewayOptions o;
  o.state_dir = dir;
  auto g = Gateway::Open(o);
  ASSERT_FALSE(g.ok());
  EXPECT_NE(g.status().message().find("cap-gateway.json is damaged"), std::string::npos);
}

}  // namespace
}  // namespace ncc::cap_gateway
