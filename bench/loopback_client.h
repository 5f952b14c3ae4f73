// The plain-socket client the stream benchmarks share (ncc-soak, ncc-bench-fanout): blocking
// TCP to a loopback ncc, one HTTP/1.1 request at a time on a kept-alive connection, the
// WebSocket upgrade of /api/v1/stream and the server's (unmasked) frames. Deliberately not
// Beast: the clients must cost little beside the server they measure. Bench-only, header-only;
// any thread (no shared state). Errors: Connect exits the benchmark (status 2); the others
// report a lost connection by their return value.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>

namespace ncc::bench {

// "127.0.0.1:PORT", with TCP_NODELAY.
inline int Connect(const std::string& target) {
  size_t colon = target.rfind(':');
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(std::atoi(target.c_str() + colon + 1)));
  ::inet_pton(AF_INET, target.substr(0, colon).c_str(), &a.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    std::perror(("connect " + target).c_str());
    std::exit(2);
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

inline bool SendAll(int fd, std::string_view b) {
  while (!b.empty()) {
    ssize_t n = ::send(fd, b.data(), b.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    b.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// The number just after `key` in `s` ("\"seq\":"), 0 when absent.
inline uint64_t NumberAfter(std::string_view s, std::string_view key) {
  size_t at = s.find(key);
  return at == std::string_view::npos ? 0 : std::strtoull(s.data() + at + key.size(), nullptr, 10);
}

// One request on a kept-alive connection: status and body (status 0: connection lost).
// `auth`: the whole Authorization value ("Bearer T", "ApiKey K"). `buf` keeps what was read
// past the answer.
inline std::pair<int, std::string> Http(int fd, const std::string& method, const std::string& path,
                                        const std::string& auth, const std::string& body,
                                        std::string& buf) {
  std::string req =
      method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: " + auth +
      "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\n\r\n" + body;
  if (!SendAll(fd, req)) return {0, {}};
  for (;;) {
    size_t end = buf.find("\r\n\r\n");
    if (end != std::string::npos) {
      size_t cl = buf.find("ontent-Length: ");
      if (cl == std::string::npos || cl > end) cl = buf.find("ontent-length: ");
      size_t len = cl < end ? std::strtoul(buf.c_str() + cl + 15, nullptr, 10) : 0;
      if (buf.size() >= end + 4 + len) {
        int status = std::atoi(buf.c_str() + 9);
        std::string out = buf.substr(end + 4, len);
        buf.erase(0, end + 4 + len);
        return {status, out};
      }
    }
    char tmp[65536];
    ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
    if (n <= 0) return {0, {}};
    buf.append(tmp, static_cast<size_t>(n));
  }
}

// A WebSocket on `path_and_query` (e.g. "/api/v1/stream?access_token=T"): the socket, or -1
// when the upgrade is refused; `in` keeps the bytes read past the handshake.
inline int OpenWebSocket(const std::string& target, const std::string& path_and_query,
                         std::string& in) {
  int fd = Connect(target);
  std::string req =
      "GET " + path_and_query +
      " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
  if (!SendAll(fd, req)) return ::close(fd), -1;
  while (in.find("\r\n\r\n") == std::string::npos) {
    char tmp[4096];
    ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
    if (n <= 0) return ::close(fd), -1;
    in.append(tmp, static_cast<size_t>(n));
  }
  if (in.compare(9, 3, "101") != 0) return ::close(fd), -1;
  in.erase(0, in.find("\r\n\r\n") + 4);
  return fd;
}

// Takes the whole frames off `in`: a text message (a text frame and its continuations, whole
// at the frame with FIN — the server fragments large ones) goes to on_message; false once a
// close frame came.
template <typename OnMessage>
bool DrainFrames(std::string& in, std::string& message, OnMessage on_message) {
  for (;;) {
    if (in.size() < 2) return true;
    auto b = reinterpret_cast<const unsigned char*>(in.data());
    size_t len = b[1] & 0x7F, head = 2;
    if (len == 126) {
      if (in.size() < 4) return true;
      len = (size_t{b[2]} << 8) | b[3];
      head = 4;
    } else if (len == 127) {
      if (in.size() < 10) return true;
      len = 0;
      for (int i = 0; i < 8; ++i) len = (len << 8) | b[2 + i];
      head = 10;
    }
    if (in.size() < head + len) return true;
    int opcode = b[0] & 0x0F;
    if (opcode == 0x8) return false;
    if (opcode == 0x1 || opcode == 0x0) {
      message.append(in, head, len);
      if (b[0] & 0x80) {
        on_message(std::string_view(message));
        message.clear();
      }
    }
    in.erase(0, head + len);
  }
}

}  // namespace ncc::bench
