// CowVector: copies share chunks until one changes; a change never shows in another copy.
#include "core/cow_vector.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <thread>

namespace ncc {
namespace {

using Strings = CowVector<std::string, 4>;

Strings Make(int n) {
  Strings v;
  for (int k = 0; k < n; ++k) v.push_back("r" + std::to_string(k));
  return v;
}

int SharedChunks(const Strings& a, const Strings& b) {
  std::vector<const void*> ids;
  a.ForEachChunk([&](const void* id, size_t) { ids.push_back(id); });
  int shared = 0;
  b.ForEachChunk([&](const void* id, size_t) {
    shared += std::find(ids.begin(), ids.end(), id) != ids.end();
  });
  return shared;
}

TEST(CowVector, ReadsLikeAVector) {
  Strings v = Make(10);
  ASSERT_EQ(v.size(), 10u);
  EXPECT_EQ(v.front(), "r0");
  EXPECT_EQ(v.back(), "r9");
  EXPECT_EQ(v[5], "r5");
  int k = 0;
  for (const std::string& s : v) EXPECT_EQ(s, "r" + std::to_string(k++));
  EXPECT_EQ(k, 10);
  EXPECT_EQ(*v.rbegin(), "r9");
  EXPECT_EQ(std::distance(v.rbegin(), v.rend()), 10);
  EXPECT_EQ(v.end() - v.begin(), 10);
  EXPECT_EQ(std::find(v.begin(), v.end(), "r7") - v.begin(), 7);
  v.clear();
  EXPECT_TRUE(v.empty());
}

TEST(CowVector, ACopySharesUntilAChangeAndNeverSeesIt) {
  Strings a = Make(10);  // chunks of 4: 4 + 4 + 2
  Strings b = a;
  EXPECT_EQ(SharedChunks(a, b), 3);
  b.Mutable(5) = "changed";
  EXPECT_EQ(a[5], "r5") << "the original kept its record";
  EXPECT_EQ(b[5], "changed");
  EXPECT_EQ(SharedChunks(a, b), 2) << "only the changed chunk was copied";
  b.push_back("r10");  // into the shared, partly filled last chunk
  EXPECT_EQ(a.size(), 10u);
  EXPECT_EQ(b.size(), 11u);
  EXPECT_EQ(b[10], "r10");
  a.push_back("other");
  EXPECT_EQ(a[10], "other");
  EXPECT_EQ(b[10], "r10");
  EXPECT_EQ(SharedChunks(a, b), 1);
  // A record keeps its address while its chunk is not shared: growth never moves records.
  const std::string* at = &a[9];
  for (int k = 0; k < 100; ++k) a.push_back("more");
  EXPECT_EQ(at, &a[9]);
}

// A copy changed on one thread while the original is read on another (the past picture's
// checkpoints and the Worlds built from them): the reader never sees the writer's records.
TEST(CowVector, ACopyChangedOnAnotherThreadLeavesTheOriginalAlone) {
  Strings original = Make(1000);
  std::thread writer([copy = original]() mutable {
    for (size_t k = 0; k < copy.size(); ++k) copy.Mutable(k) = "w";
  });
  size_t same = 0;
  for (int round = 0; round < 20; ++round)
    for (size_t k = 0; k < original.size(); ++k) same += original[k] == "r" + std::to_string(k);
  writer.join();
  EXPECT_EQ(same, 20u * 1000);
}

}  // namespace
}  // namespace ncc
