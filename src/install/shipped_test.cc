#include "install/shipped.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace ncc::install {
namespace {

// The test binary lives under build/<preset>/src/install/, inside the checkout.
TEST(Shipped, FindsTheCheckoutsFilesAboveTheBinary) {
  std::string plans = FindShipped("config/plans");
  ASSERT_FALSE(plans.empty());
  EXPECT_TRUE(std::filesystem::is_directory(plans));
  EXPECT_TRUE(std::filesystem::path(plans).is_absolute());
  EXPECT_EQ(FindShipped("config/no-such-thing-here"), "");
}

}  // namespace
}  // namespace ncc::install
