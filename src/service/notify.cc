#include "service/notify.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>

namespace ncc::service {

Status NotifySocket(const std::string& socket_path, std::string_view state) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (socket_path.empty() || socket_path.size() >= sizeof address.sun_path ||
      (socket_path[0] != '/' && socket_path[0] != '@'))
    return Unavailable("NOTIFY_SOCKET is not a socket path: " + socket_path);
  std::memcpy(address.sun_path, socket_path.data(), socket_path.size());
  if (socket_path[0] == '@') address.sun_path[0] = '\0';  // abstract namespace
  socklen_t length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket_path.size());
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Unavailable(std::string("notify socket: ") + std::strerror(errno));
  ssize_t sent = sendto(fd, state.data(), state.size(), MSG_NOSIGNAL,
                        reinterpret_cast<const sockaddr*>(&address), length);
  int error = errno;
  close(fd);
  if (sent != static_cast<ssize_t>(state.size()))
    return Unavailable("cannot notify " + socket_path + ": " + std::strerror(error));
  return Status::Ok();
}

Status Notify(std::string_view state) {
  const char* path = std::getenv("NOTIFY_SOCKET");
  if (path == nullptr || *path == '\0') return Status::Ok();
  return NotifySocket(path, state);
}

}  // namespace ncc::service
