// Connecting a store socket: TCP (any address the name resolves to, in order) or a UNIX
// socket, non-blocking from the start and within a deadline, so a dead node costs the connect
// timeout and never blocks the data plane longer. No exceptions: -1 and `err` on failure.
#pragma once
#include <cstdint>
#include <string>

namespace snf {

/** A connected, non-blocking TCP socket with TCP_NODELAY (commands go out as written). */
int tcp_connect(const std::string& host, uint16_t port, int timeout_ms, std::string* err);
/** A connected, non-blocking UNIX stream socket at `path`. */
int unix_connect(const std::string& path, int timeout_ms, std::string* err);
/** Waits up to timeout_ms for `events` on fd (EINTR retried); false on timeout. */
bool wait_fd(int fd, short events, int timeout_ms);

}  // namespace snf
