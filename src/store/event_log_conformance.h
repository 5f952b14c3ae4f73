// The EventLog conformance suite: every backend's instantiation runs these same tests
// (memory and SQLite in event_log_conformance_test.cc, PostgreSQL in
// postgres/postgres_event_log_test.cc). A Backend opens a fresh, empty log for each test.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "store/event_log.h"
#include "store/test_workload.h"

namespace ncc {

inline std::string TempDir() {
  auto dir = std::filesystem::temp_directory_path() /
             ("ncc-store-" + std::to_string(::getpid()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

// How a backend opens an empty log for one test (`dir` is a fresh folder of its own).
struct Backend {
  std::string name;
  std::function<std::unique_ptr<EventLog>(const std::string& dir)> open;
};

class Conformance : public ::testing::TestWithParam<Backend> {
 protected:
  std::string dir = TempDir();
  std::unique_ptr<EventLog> log = GetParam().open(dir);
};

TEST_P(Conformance, AppendsAndReadsBackExactly) {
  auto w = testing::Workload::Make(5, 50);
  EXPECT_EQ(log->LastSeq(), Seq());
  ASSERT_TRUE(log->Append({w.stored.begin(), w.stored.begin() + 10}).ok());
  ASSERT_TRUE(log->Append({w.stored.begin() + 10, w.stored.end()}).ok());
  EXPECT_EQ(log->LastSeq(), w.stored.back().seq);
  auto all = log->ReadAfter(Seq(), 1'000'000);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), w.stored.size());
  for (size_t i = 0; i < all->size(); ++i) {
    EXPECT_EQ((*all)[i].hash, w.stored[i].hash);
    EXPECT_EQ((*all)[i].payload, w.stored[i].payload);
    EXPECT_EQ((*all)[i].actor, w.stored[i].actor);
  }
  auto page = log->ReadAfter(Seq(20), 5);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->size(), 5u);
  EXPECT_EQ(page->front().seq, Seq(21));
  EXPECT_TRUE(VerifyChain(*log).ok());
}

TEST_P(Conformance, RefusesGapsAndRepeats) {
  auto w = testing::Workload::Make(2, 3);
  ASSERT_TRUE(log->Append({w.stored[0], w.stored[1]}).ok());
  EXPECT_FALSE(log->Append({w.stored[1]}).ok());  // repeat
  EXPECT_FALSE(log->Append({w.stored[3]}).ok());  // gap
  EXPECT_EQ(log->LastSeq(), Seq(2));
}

TEST_P(Conformance, AnEmptyBatchStoresNothingAndReadsPastTheEndAreEmpty) {
  auto w = testing::Workload::Make(1, 2);
  ASSERT_TRUE(log->Append({}).ok());
  EXPECT_EQ(log->LastSeq(), Seq());
  ASSERT_TRUE(log->Append(w.stored).ok());
  auto past = log->ReadAfter(w.stored.back().seq, 10);
  ASSERT_TRUE(past.ok());
  EXPECT_TRUE(past->empty());
  auto none = log->ReadAfter(Seq(), 0);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

// ReadAfter from another thread while the writer appends (what followers and streams do): every
// read is a prefix of the log in seq order, never a part of a batch.
TEST_P(Conformance, ReadsFromAnotherThreadSeeWholeBatchesInOrder) {
  auto w = testing::Workload::Make(5, 100);
  constexpr size_t kBatch = 25;
  std::atomic<bool> done{false};
  std::atomic<size_t> reads{0};
  std::thread reader([&] {
    while (!done.load()) {
      auto all = log->ReadAfter(Seq(), 1'000'000);
      ASSERT_TRUE(all.ok()) << all.status().ToString();
      ASSERT_TRUE(all->size() % kBatch == 0 || all->size() == w.stored.size()) << all->size();
      for (size_t i = 0; i < all->size(); ++i) ASSERT_EQ((*all)[i].hash, w.stored[i].hash);
      ++reads;
    }
  });
  for (size_t i = 0; i < w.stored.size(); i += kBatch) {
    auto end =
        w.stored.begin() + static_cast<std::ptrdiff_t>(std::min(i + kBatch, w.stored.size()));
    ASSERT_TRUE(log->Append({w.stored.begin() + static_cast<std::ptrdiff_t>(i), end}).ok());
  }
  while (reads.load() == 0) std::this_thread::yield();
  done = true;
  reader.join();
  EXPECT_EQ(log->LastSeq(), w.stored.back().seq);
  EXPECT_TRUE(VerifyChain(*log).ok());
}

}  // namespace ncc
