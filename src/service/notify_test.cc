#include "service/notify.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "core/temp_dir_for_tests.h"

namespace ncc::service {
namespace {

// A datagram socket bound to `path` ('@': abstract), as systemd's notify socket is.
int Bind(const std::string& path) {
  int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.data(), path.size());
  if (path[0] == '@') address.sun_path[0] = '\0';
  socklen_t length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size());
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), length) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

std::string Receive(int fd) {
  char buffer[256];
  ssize_t n = recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
  return n > 0 ? std::string(buffer, static_cast<size_t>(n)) : std::string();
}

TEST(Notify, SendsTheStateToTheSocket) {
  testing::TempDir dir;
  std::string path = dir.File("notify");
  int fd = Bind(path);
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(NotifySocket(path, "READY=1\nSTATUS=serving").ok());
  EXPECT_EQ(Receive(fd), "READY=1\nSTATUS=serving");
  close(fd);
}

TEST(Notify, AnAbstractSocket) {
  std::string path = "@ncc-notify-test-" + std::to_string(getpid());
  int fd = Bind(path);
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(NotifySocket(path, "STOPPING=1").ok());
  EXPECT_EQ(Receive(fd), "STOPPING=1");
  close(fd);
}

TEST(Notify, FromTheEnvironmentAndWithoutIt) {
  testing::TempDir dir;
  std::string path = dir.File("notify");
  int fd = Bind(path);
  ASSERT_GE(fd, 0);
  setenv("NOTIFY_SOCKET", path.c_str(), 1);
  EXPECT_TRUE(Notify("READY=1").ok());
  EXPECT_EQ(Receive(fd), "READY=1");
  unsetenv("NOTIFY_SOCKET");
  EXPECT_TRUE(Notify("READY=1").ok());  // not under systemd: nothing to tell
  EXPECT_EQ(Receive(fd), "");
  close(fd);
}

TEST(Notify, ABadSocketIsAnError) {
  testing::TempDir dir;
  EXPECT_EQ(NotifySocket("relative", "READY=1").code(), StatusCode::kUnavailable);
  EXPECT_EQ(NotifySocket(dir.File("nobody-listens"), "READY=1").code(), StatusCode::kUnavailable);
  EXPECT_EQ(NotifySocket("/" + std::string(200, 'x'), "READY=1").code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace ncc::service
