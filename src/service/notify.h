// Tells systemd how the service is doing (sd_notify(3), without libsystemd): one datagram such as
// "READY=1" to the AF_UNIX socket named by $NOTIFY_SOCKET ('@' first: an abstract socket). The
// unit is Type=notify, so `systemctl start ncc` returns once ncc serves (READY=1, sent when the
// listener is open), and a stop shows "deactivating" while requests drain (STOPPING=1).
// Owner: src/service. Thread: any thread of the main process (systemd accepts messages from the
// main PID only, NotifyAccess=main). Errors: Unavailable when the socket cannot take the message;
// Ok, and nothing sent, when $NOTIFY_SOCKET is unset (not started by systemd).
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace ncc::service {

// Sends `state` ("READY=1", "STOPPING=1", "STATUS=...", lines joined by '\n') to $NOTIFY_SOCKET.
Status Notify(std::string_view state);

// The same to the socket `socket_path` names (tests).
Status NotifySocket(const std::string& socket_path, std::string_view state);

}  // namespace ncc::service
