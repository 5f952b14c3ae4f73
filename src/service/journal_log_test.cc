#include "service/journal_log.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sstream>

#include "core/temp_dir_for_tests.h"

namespace ncc::service {
namespace {

TEST(JournalLog, LinesCarryThePriorityAndNoTimestamp) {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
  sink->set_formatter(JournalFormatter());
  spdlog::logger logger("t", sink);
  logger.info("listening on {}", 8080);
  logger.warn("running as root");
  logger.error("anchor failed");
  logger.critical("down");
  EXPECT_EQ(out.str(), "<6>listening on 8080\n<4>running as root\n<3>anchor failed\n<2>down\n");
}

TEST(JournalLog, PrioritiesAreSyslogs) {
  EXPECT_EQ(PriorityPrefix(spdlog::level::debug), "<7>");
  EXPECT_EQ(PriorityPrefix(spdlog::level::trace), "<7>");
  EXPECT_EQ(PriorityPrefix(spdlog::level::info), "<6>");
}

TEST(JournalLog, TheStreamIsRecognisedByDeviceAndInode) {
  testing::TempDir dir;
  int fd = open(dir.File("log").c_str(), O_CREAT | O_WRONLY, 0600);
  ASSERT_GE(fd, 0);
  struct stat st {};
  ASSERT_EQ(fstat(fd, &st), 0);
  std::string mine = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
  std::string other = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino + 1);
  EXPECT_TRUE(IsJournalStream(mine.c_str(), fd));
  EXPECT_FALSE(IsJournalStream(other.c_str(), fd));
  EXPECT_FALSE(IsJournalStream(nullptr, fd));
  EXPECT_FALSE(IsJournalStream("", fd));
  EXPECT_FALSE(IsJournalStream((mine + "x").c_str(), fd));
  EXPECT_FALSE(IsJournalStream("12", fd));
  close(fd);
}

}  // namespace
}  // namespace ncc::service
