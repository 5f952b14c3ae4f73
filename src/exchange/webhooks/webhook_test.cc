#include "exchange/webhooks/webhook.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "exchange/webhooks/store.h"

namespace ncc::webhooks {
namespace {

TEST(WebhookUrl, LoopbackIsAllowed) {
  auto t = CheckUrl("http://127.0.0.1:8099/hooks/ncc?x=1", {});
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->host, "127.0.0.1");
  EXPECT_EQ(t->port, 8099);
  EXPECT_EQ(t->target, "/hooks/ncc?x=1");
  EXPECT_TRUE(CheckUrl("http://localhost/", {}).ok());
  auto v6 = CheckUrl("http://[::1]:9000", {});
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->target, "/");
}

TEST(WebhookUrl, EverythingElseIsRefusedNamingUrl) {
  for (const char* bad :
       {"http://10.0.0.5/x", "http://169.254.169.254/latest/meta-data", "https://127.0.0.1/",
        "ftp://127.0.0.1/", "http://user:pw@127.0.0.1/", "http://127.0.0.1:0/",
        "http://127.0.0.1:99999/", "http:///x", "http://127.0.0.1/a b", "http://[::1/",
        "http://127.0.0.1.evil.example/"}) {
    auto t = CheckUrl(bad, {});
    EXPECT_FALSE(t.ok()) << bad;
    if (!t.ok()) {
      EXPECT_EQ(t.status().field(), "url") << bad;
    }
  }
}

TEST(WebhookUrl, AllowListIsExact) {
  EXPECT_TRUE(CheckUrl("http://partner.example:8080/in", {"partner.example"}).ok());
  EXPECT_FALSE(CheckUrl("http://evil.partner.example/in", {"partner.example"}).ok());
}

TEST(WebhookSign, HmacSha256OfRfc4231) {
  EXPECT_EQ(Sign("Jefe", "what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(WebhookStore, KeepsSubscriptionsAndCursorsInAPrivateFile) {
  auto dir = std::filesystem::temp_directory_path() / ("ncc_webhooks_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::string path = (dir / "webhooks.db").string();
  {
    auto store = Store::Open(path);
    ASSERT_TRUE(store.ok());
    Subscription s;
    s.url = "http://127.0.0.1:1/";
    s.events = {"incident_created"};
    s.principal.user = "sup";
    s.principal.agency = "police";
    s.principal.roles = {{"police", auth::Role::kSupervisor}};
    s.principal.clearance = Classification::kConfidential;
    s.secret = "whsec_x";
    s.cursor = Seq(5);
    auto id = (*store)->Insert(s);
    ASSERT_TRUE(id.ok());
    ASSERT_TRUE((*store)->SaveCursor(*id, Seq(9)).ok());
    ASSERT_TRUE((*store)->SaveCursor(*id, Seq(7)).ok());  // never backwards
    EXPECT_EQ((*store)->Delete(999).code(), StatusCode::kNotFound);
  }
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto store = Store::Open(path);
  ASSERT_TRUE(store.ok());
  auto all = (*store)->All();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  const Subscription& s = all->front();
  EXPECT_EQ(s.cursor, Seq(9));
  EXPECT_EQ(s.events, std::vector<std::string>{"incident_created"});
  EXPECT_EQ(s.principal.clearance, Classification::kConfidential);
  ASSERT_EQ(s.principal.roles.size(), 1u);
  EXPECT_EQ(s.principal.roles[0].role, auth::Role::kSupervisor);
  EXPECT_EQ(s.secret, "whsec_x");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace ncc::webhooks
