#include "exchange/cap_gateway/http_client.h"

#include <gtest/gtest.h>

namespace ncc::cap_gateway {
namespace {

TEST(CapGatewayUrl, ReadsSchemeHostPortAndTarget) {
  auto u = ParseUrl("https://alerts.weather.gov/cap/us.php?x=0", "feed");
  ASSERT_TRUE(u.ok()) << u.status().message();
  EXPECT_TRUE(u->tls);
  EXPECT_EQ(u->host, "alerts.weather.gov");
  EXPECT_EQ(u->port, 443);
  EXPECT_EQ(u->target, "/cap/us.php?x=0");
  auto v6 = ParseUrl("http://[::1]:8080", "server");
  ASSERT_TRUE(v6.ok()) << v6.status().message();
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 8080);
  EXPECT_EQ(v6->target, "/");
}

TEST(CapGatewayUrl, RefusalsNameTheFlag) {
  for (const char* bad : {"ftp://x/", "http://", "http://u:p@host/", "http://host:0/",
                          "http://host:99999/", "http://[::1/", "http://host:8x/"}) {
    auto u = ParseUrl(bad, "feed");
    ASSERT_FALSE(u.ok()) << bad;
    EXPECT_EQ(u.status().field(), "feed") << bad;
  }
}

TEST(CapGatewayHttp, AnUnreachableFeedIsUnavailableNamingIt) {
  auto u = ParseUrl("http://127.0.0.1:1/feed.xml", "feed");
  ASSERT_TRUE(u.ok());
  HttpCall call;
  call.timeout = std::chrono::milliseconds(2000);
  auto a = Exchange(*u, call);
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(a.status().message().find("127.0.0.1:1/feed.xml"), std::string::npos);
}

}  // namespace
}  // namespace ncc::cap_gateway
