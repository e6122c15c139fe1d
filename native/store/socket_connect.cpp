#include "store/socket_connect.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>

namespace snf {

namespace {

using Clock = std::chrono::steady_clock;

int left_ms(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left > 0 ? static_cast<int>(left) : 0;
}

// A socket closed on every early return until it is handed over.
struct FdGuard {
  int fd = -1;
  ~FdGuard() {
    if (fd >= 0) ::close(fd);
  }
  int release() {
    int f = fd;
    fd = -1;
    return f;
  }
};

// connect() on a non-blocking socket, finished within the deadline: "" or why not.
std::string finish_connect(int fd, const sockaddr* a, socklen_t len, Clock::time_point deadline) {
  if (::connect(fd, a, len) == 0) return "";
  if (errno != EINPROGRESS && errno != EAGAIN) return std::strerror(errno);
  if (!wait_fd(fd, POLLOUT, left_ms(deadline))) return "connect timed out";
  int so = 0;
  socklen_t sl = sizeof so;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so, &sl) != 0) return std::strerror(errno);
  return so == 0 ? "" : std::strerror(so);
}

}  // namespace

bool wait_fd(int fd, short events, int timeout_ms) {
  pollfd p{fd, events, 0};
  for (;;) {
    int r = ::poll(&p, 1, timeout_ms);
    if (r < 0 && errno == EINTR) continue;
    return r > 0;
  }
}

int tcp_connect(const std::string& host, uint16_t port, int timeout_ms, std::string* err) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  std::string service = std::to_string(port);
  int gai = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &res);
  if (gai != 0) {
    *err = "resolve " + host + ": " + gai_strerror(gai);
    return -1;
  }
  std::unique_ptr<addrinfo, void (*)(addrinfo*)> list(res, ::freeaddrinfo);
  std::string last = "no address";
  for (addrinfo* a = res; a != nullptr; a = a->ai_next) {
    FdGuard s{::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol)};
    if (s.fd < 0) {
      last = std::strerror(errno);
      continue;
    }
    int one = 1;
    ::setsockopt(s.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    last = finish_connect(s.fd, a->ai_addr, a->ai_addrlen, deadline);
    if (last.empty()) return s.release();
  }
  *err = "connect " + host + ":" + service + ": " + last;
  return -1;
}

int unix_connect(const std::string& path, int timeout_ms, std::string* err) {
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof a.sun_path) {
    *err = "connect unix:" + path + ": path empty or longer than " + std::to_string(sizeof a.sun_path - 1) + " bytes";
    return -1;
  }
  std::memcpy(a.sun_path, path.data(), path.size());
  FdGuard s{::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)};
  if (s.fd < 0) {
    *err = "connect unix:" + path + ": " + std::strerror(errno);
    return -1;
  }
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  std::string why = finish_connect(s.fd, reinterpret_cast<const sockaddr*>(&a), sizeof a, deadline);
  if (!why.empty()) {
    *err = "connect unix:" + path + ": " + why;
    return -1;
  }
  return s.release();
}

}  // namespace snf
