#include "install/shipped.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "core/temp_dir_for_tests.h"

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

// The .deb's layout: /usr/bin/ncc and /usr/share/ncc/...
TEST(Shipped, FindsAnInstalledBinarysShareFolder) {
  testing::TempDir root;
  namespace fs = std::filesystem;
  fs::create_directories(root.File("usr/bin"));
  fs::create_directories(root.File("usr/share/ncc/config/plans"));
  fs::create_directories(root.File("usr/share/ncc/web/dist"));
  EXPECT_EQ(FindShippedFrom(root.File("usr/bin/ncc"), "config/plans"),
            root.File("usr/share/ncc/config/plans"));
  EXPECT_EQ(FindShippedFrom(root.File("usr/bin/ncc"), "web/dist"),
            root.File("usr/share/ncc/web/dist"));
  EXPECT_EQ(FindShippedFrom(root.File("usr/bin/ncc"), "config/mappings"), "");
  // A folder beside the binary (a checkout's layout) comes first.
  fs::create_directories(root.File("usr/config/plans"));
  EXPECT_EQ(FindShippedFrom(root.File("usr/bin/ncc"), "config/plans"),
            root.File("usr/config/plans"));
}

}  // namespace
}  // namespace ncc::install
