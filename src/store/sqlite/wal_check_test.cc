#include "store/sqlite/wal_check.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>

namespace ncc {
namespace {

namespace fs = std::filesystem;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
void WriteAll(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

// A WAL as a kill -9 leaves it: ten committed transactions, never checkpointed.
class WalCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_ + "/t.db").c_str(), &db), SQLITE_OK);
    for (const char* sql :
         {"PRAGMA journal_mode=WAL", "PRAGMA wal_autocheckpoint=0", "CREATE TABLE t(x BLOB)"})
      ASSERT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK);
    for (int k = 0; k < 10; ++k)
      ASSERT_EQ(
          sqlite3_exec(db, "INSERT INTO t VALUES(randomblob(3000))", nullptr, nullptr, nullptr),
          SQLITE_OK);
    wal_ = ReadAll(dir_ + "/t.db-wal");  // taken while open: as a crash leaves it
    sqlite3_close(db);
    ASSERT_GT(wal_.size(), 10'000u);
  }
  void TearDown() override { fs::remove_all(dir_); }
  Status Check(const std::string& bytes) {
    WriteAll(dir_ + "/copy-wal", bytes);
    return CheckWal(dir_ + "/copy-wal");
  }

  std::string dir_ =
      (fs::temp_directory_path() / ("ncc-wal-" + std::to_string(::getpid()))).string();
  std::string wal_;
};

TEST_F(WalCheckTest, AnIntactOrTornWalIsAccepted) {
  EXPECT_TRUE(Check(wal_).ok());
  EXPECT_TRUE(Check(wal_.substr(0, wal_.size() - 100)).ok());  // torn last frame
  EXPECT_TRUE(CheckWal(dir_ + "/missing-wal").ok());
  EXPECT_TRUE(Check("").ok());
}

TEST_F(WalCheckTest, AFlippedByteBeforeCommittedFramesIsRefused) {
  std::string damaged = wal_;
  damaged[damaged.size() / 4] ^= 0x01;  // inside an early frame; committed frames follow
  Status s = Check(damaged);
  ASSERT_EQ(s.code(), StatusCode::kDataLoss) << s.ToString();
  EXPECT_NE(s.message().find("copy-wal"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("committed frames follow"), std::string::npos) << s.message();
}

TEST_F(WalCheckTest, AFlippedByteInTheLastFrameLosesNothingAcknowledgedLater) {
  std::string damaged = wal_;
  damaged[damaged.size() - 10] ^= 0x01;  // the last frame: nothing after it
  EXPECT_TRUE(Check(damaged).ok());
}

}  // namespace
}  // namespace ncc
