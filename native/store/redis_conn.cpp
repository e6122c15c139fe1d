#include "store/redis_conn.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "store/socket_connect.hpp"

namespace snf {

namespace {
constexpr size_t kReadChunk = 16384;
}

std::unique_ptr<RedisConn> RedisConn::open(const std::string& host, int port, const ConnOptions& o, std::string* err) {
  std::unique_ptr<RedisConn> conn(new RedisConn());
  if (o.tls) {
    if (port == 0) {
      *err = "tls: a UNIX socket carries no TLS (Redis serves TLS on TCP only)";
      return nullptr;
    }
    store::TlsOptions t = o.tls_opts;
    t.connect_timeout_ms = o.connect_timeout_ms;
    conn->tls_ = store::TlsTransport::connect(host, static_cast<uint16_t>(port), t, err);
    if (!conn->tls_) return nullptr;
    conn->fd_ = conn->tls_->fd();
    return conn;
  }
  conn->fd_ = port == 0 ? unix_connect(host, o.connect_timeout_ms, err)
                        : tcp_connect(host, static_cast<uint16_t>(port), o.connect_timeout_ms, err);
  if (conn->fd_ < 0) return nullptr;
  return conn;
}

RedisConn::~RedisConn() {
  if (!tls_ && fd_ >= 0) ::close(fd_);
  tls_.reset();  // closes the socket of a TLS connection
}

int RedisConn::fd() const { return fd_; }

void RedisConn::append(int argc, const char** argv, const size_t* lens) { resp_command(out_, argc, argv, lens); }

bool RedisConn::has_output() const { return sent_ < out_.size(); }

short RedisConn::events(bool awaiting_reply) const {
  short ev = awaiting_reply ? POLLIN : 0;
  if (has_output()) ev |= POLLOUT;
  if (tls_) ev |= tls_->wants();
  return ev;
}

bool RedisConn::flush(std::string* err) {
  while (sent_ < out_.size()) {
    long n;
    if (tls_) {
      // TLS retries must offer the same bytes again: out_ only grows at its end until then.
      n = tls_->write_some(out_.data() + sent_, out_.size() - sent_, err);
      if (n < 0) return false;
      if (n == 0) break;
    } else {
      // MSG_NOSIGNAL: a node that went away is an error return, not a SIGPIPE.
      n = ::send(fd_, out_.data() + sent_, out_.size() - sent_, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        *err = std::string("write: ") + std::strerror(errno);
        return false;
      }
    }
    sent_ += static_cast<size_t>(n);
  }
  if (sent_ == out_.size()) {
    out_.clear();  // keeps its capacity: no allocation per batch once warm
    sent_ = 0;
  }
  return true;
}

bool RedisConn::fill(std::string* err) {
  if (tls_) return tls_->read_some(in_, err) >= 0;
  // Everything that has arrived: a short read means the socket is drained.
  for (;;) {
    long n = ::recv(fd_, in_.space(kReadChunk), kReadChunk, 0);
    if (n > 0) {
      in_.commit(static_cast<size_t>(n));
      if (static_cast<size_t>(n) < kReadChunk) return true;
      continue;
    }
    if (n == 0) {
      *err = "read: the server closed the connection";
      return false;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
    *err = std::string("read: ") + std::strerror(errno);
    return false;
  }
}

bool RedisConn::service(short revents, std::string* err) {
  if (revents == 0) return true;
  // A TLS call may stall on the opposite direction (see TlsTransport::wants), so with TLS both
  // are retried on any event; each returns at once when it cannot progress.
  if (has_output() && (tls_ || (revents & POLLOUT)) && !flush(err)) return false;
  if (tls_ || (revents & (POLLIN | POLLERR | POLLHUP))) return fill(err);
  return true;
}

}  // namespace snf
