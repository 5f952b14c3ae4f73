#include "exchange/webhooks/webhook.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "exchange/webhooks/registry.h"
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
       {"http://10.0.0.5/x", "http://169.254.169.254/latest/meta-data", "https://10.0.0.5/",
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

TEST(WebhookUrl, HttpsDefaultsToPort443) {
  auto t = CheckUrl("https://localhost/in", {});
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_TRUE(t->tls);
  EXPECT_EQ(t->port, 443);
  auto p = CheckUrl("https://partner.example:8443/in", {"partner.example"});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->port, 8443);
  EXPECT_FALSE(CheckUrl("http://127.0.0.1/", {})->tls);
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

TEST(WebhookBackoff, DoublesUpToTheCeilingWithinItsJitter) {
  DeliveryOptions o;
  o.min_backoff = std::chrono::milliseconds(250);
  o.max_backoff = std::chrono::milliseconds(30'000);
  // The smallest and the largest draw bound each step: [d/2, d].
  const int64_t expected[] = {250, 500, 1000, 2000, 4000, 8000, 16000, 30000, 30000};
  for (int n = 1; n <= 9; ++n) {
    int64_t d = expected[n - 1];
    EXPECT_EQ(Backoff(n, o, 0).count(), d / 2) << n;
    EXPECT_EQ(Backoff(n, o, static_cast<uint64_t>(d - d / 2)).count(), d) << n;
    for (uint64_t r : {7ull, 123456789ull, ~0ull}) {
      auto w = Backoff(n, o, r).count();
      EXPECT_GE(w, d / 2) << n;
      EXPECT_LE(w, d) << n;
    }
  }
  EXPECT_EQ(Backoff(1000, o, ~0ull).count() <= 30000, true);  // no overflow far out
}

TEST(WebhookStore, DeadLettersAndHistorySurviveAReopen) {
  auto dir =
      std::filesystem::temp_directory_path() / ("ncc_webhooks_dl_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::string path = (dir / "webhooks.db").string();
  uint64_t id = 0;
  {
    auto store = Store::Open(path);
    ASSERT_TRUE(store.ok());
    Subscription s;
    s.url = "http://127.0.0.1:1/";
    s.principal.user = "sup";
    s.principal.agency = "police";
    s.principal.roles = {{"police", auth::Role::kSupervisor}};
    s.secret = "whsec_x";
    s.cursor = Seq(4);
    auto made = (*store)->Insert(s);
    ASSERT_TRUE(made.ok());
    id = *made;
    for (int a = 1; a <= 2; ++a)
      ASSERT_TRUE((*store)
                      ->RecordAttempt({0, id, Seq(5), "incident_created", a, Time{1000}, "failed",
                                       500, "HTTP 500"})
                      .ok());
    ASSERT_TRUE((*store)
                    ->GiveUp({0, id, Seq(5), "incident_created", 3, Time{2000}, "dead_letter", 0,
                              "cannot connect"})
                    .ok());
  }
  auto store = Store::Open(path);
  ASSERT_TRUE(store.ok());
  auto all = (*store)->All();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->front().cursor, Seq(5));  // moved past the letter, with it
  auto letters = (*store)->DeadLetters(id);
  ASSERT_TRUE(letters.ok());
  ASSERT_EQ(letters->size(), 1u);
  EXPECT_EQ((*letters)[0].seq, Seq(5));
  EXPECT_EQ((*letters)[0].attempts, 3);
  EXPECT_FALSE((*letters)[0].queued);
  auto history = (*store)->History(id, 0, 10);
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 3u);
  EXPECT_EQ((*history)[2].outcome, "dead_letter");
  auto page = (*store)->History(id, (*history)[0].id, 1);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->size(), 1u);
  EXPECT_EQ((*page)[0].attempt, 2);
  // Queued, then redelivered: gone, with its history row.
  EXPECT_EQ(*(*store)->QueueRedelivery(id, Seq(9)), 0u);
  EXPECT_EQ(*(*store)->QueueRedelivery(id, std::nullopt), 1u);
  EXPECT_TRUE((*(*store)->DeadLetters(id))[0].queued);
  ASSERT_TRUE(
      (*store)
          ->Redelivered({0, id, Seq(5), "incident_created", 4, Time{3000}, "redelivered", 200, ""})
          .ok());
  EXPECT_TRUE((*store)->DeadLetters(id)->empty());
  EXPECT_EQ((*store)->History(id, 0, 10)->back().outcome, "redelivered");
  // Removing the subscription removes its letters and history.
  ASSERT_TRUE((*store)->Delete(id).ok());
  EXPECT_TRUE((*store)->History(id, 0, 10)->empty());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace ncc::webhooks
