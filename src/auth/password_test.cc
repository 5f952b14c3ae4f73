#include "auth/password.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "auth/secret.h"

namespace ncc::auth {
namespace {

TEST(AuthPassword, HashVerifiesAndIsNotThePassword) {
  StatusOr<std::string> h = HashPassword("correct horse battery staple", Argon2Params::ForTests());
  ASSERT_TRUE(h.ok()) << h.status().message();
  EXPECT_EQ(h->rfind("$argon2id$v=19$m=64,t=1,p=1$", 0), 0u) << *h;
  EXPECT_EQ(h->find("correct horse"), std::string::npos);
  EXPECT_TRUE(VerifyPasswordHash("correct horse battery staple", *h));
  EXPECT_FALSE(VerifyPasswordHash("correct horse battery stapler", *h));
  EXPECT_FALSE(VerifyPasswordHash("", *h));
}

TEST(AuthPassword, SaltMakesEachHashDifferent) {
  StatusOr<std::string> a = HashPassword("same", Argon2Params::ForTests());
  StatusOr<std::string> b = HashPassword("same", Argon2Params::ForTests());
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
}

TEST(AuthPassword, RejectsEmptyAndHugeAndForeignHashes) {
  EXPECT_EQ(HashPassword("", Argon2Params::ForTests()).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_FALSE(HashPassword(std::string(2000, 'x'), Argon2Params::ForTests()).ok());
  // An argon2i hash (weaker against side channels) is not accepted as argon2id.
  EXPECT_FALSE(VerifyPasswordHash("x", "$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaA"));
  EXPECT_FALSE(VerifyPasswordHash("x", "plain"));
}

TEST(AuthPassword, DefaultParamsAreTheRecommendedOnes) {
  Argon2Params p;
  EXPECT_EQ(p.time_cost, 2u);
  EXPECT_EQ(p.memory_kib, 19u * 1024);
  EXPECT_EQ(p.parallelism, 1u);
}

TEST(AuthSecret, GeneratedPasswordsAndTokens) {
  StatusOr<std::string> p = NewPassword();
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->size(), 20u);
  EXPECT_EQ(p->find_first_of("0O1lI"), std::string::npos);
  StatusOr<std::string> t = NewToken("ncc_at_");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->size(), 7u + 43u);  // 32 bytes -> 43 base64url characters
  EXPECT_NE(*t, *NewToken("ncc_at_"));
}

TEST(AuthSecret, HexAndBase64Url) {
  EXPECT_EQ(Hex(std::string_view("\x01\xab", 2)), "01ab");
  EXPECT_EQ(FromHex("01AB"), std::string("\x01\xab", 2));
  EXPECT_FALSE(FromHex("0g"));
  EXPECT_FALSE(FromHex("abc"));
  EXPECT_EQ(Base64Url("\xfb\xff"), "-_8");
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "ab"));
}

// Known answers (FIPS 180-2), also from several threads at once: each keeps its own context.
TEST(AuthSecret, Sha256KnownAnswers) {
  auto check = [] {
    EXPECT_EQ(Hex(Sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(Hex(Sha256("abc")),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(Hex(Sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    EXPECT_EQ(Hex(Sha256(std::string(1'000'000, 'a'))),
              "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  };
  check();
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) threads.emplace_back(check);
  for (std::thread& t : threads) t.join();
}

}  // namespace
}  // namespace ncc::auth
