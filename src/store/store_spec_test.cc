#include "store/store_spec.h"

#include <gtest/gtest.h>

namespace ncc {
namespace {

TEST(StoreSpec, EmptyIsSqliteInTheDataFolder) {
  auto spec = ParseStoreSpec("", "var/ncc");
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->kind, StoreSpec::Kind::kSqlite);
  EXPECT_EQ(spec->location, "var/ncc");
}

TEST(StoreSpec, SqliteFolder) {
  auto spec = ParseStoreSpec("sqlite:/srv/ncc", "var/ncc");
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->kind, StoreSpec::Kind::kSqlite);
  EXPECT_EQ(spec->location, "/srv/ncc");
}

TEST(StoreSpec, PostgresUrlAfterThePrefixOrAsItIs) {
  for (auto [text, url] :
       {std::pair{"postgres:postgresql://ncc@127.0.0.1:5432/ncc",
                  "postgresql://ncc@127.0.0.1:5432/ncc"},
        std::pair{"postgres://ncc@db:5432/ncc", "postgres://ncc@db:5432/ncc"},
        std::pair{"postgres:host=db port=5432 dbname=ncc", "host=db port=5432 dbname=ncc"}}) {
    auto spec = ParseStoreSpec(text, "var/ncc");
    ASSERT_TRUE(spec.ok()) << text;
    EXPECT_EQ(spec->kind, StoreSpec::Kind::kPostgres) << text;
    EXPECT_EQ(spec->location, url) << text;
  }
}

TEST(StoreSpec, JetStreamServers) {
  auto spec = ParseStoreSpec("jetstream:nats://127.0.0.1:4222,nats://127.0.0.1:4223", "var/ncc");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->kind, StoreSpec::Kind::kJetStream);
  EXPECT_EQ(spec->location, "nats://127.0.0.1:4222,nats://127.0.0.1:4223");
}

TEST(StoreSpec, RefusesOtherKindsAndEmptyLocationsNamingTheField) {
  for (const char* text : {"mysql:db", "sqlite:", "postgres:", "nocolon", ":x", "jetstream:",
                           "jetstream:127.0.0.1:4222", "jetstream:nats://a:1,", "jetstream:,"}) {
    auto spec = ParseStoreSpec(text, "var/ncc");
    ASSERT_FALSE(spec.ok()) << text;
    EXPECT_EQ(spec.status().code(), StatusCode::kInvalidArgument) << text;
    EXPECT_EQ(spec.status().field(), "store") << text;
  }
}

TEST(StoreSpec, SqliteHoldsOneShard) {
  StoreOptions options;
  options.shard = "north";
  auto opened = OpenEventLog({StoreSpec::Kind::kSqlite, ::testing::TempDir()}, options);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().field(), "shard");
}

}  // namespace
}  // namespace ncc
