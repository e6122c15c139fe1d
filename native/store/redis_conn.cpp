#include "store/redis_conn.hpp"

extern "C" {  // hiredis 0.14's sds.h (which hiredis.h includes) has no extern "C" of its own
#include <hiredis/sds.h>
}
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace snf {

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
    // A context over the transport's socket, used only for formatting and parsing; it never
    // reads or writes the socket, and never closes it (redisFreeKeepFd).
    conn->c_ = redisConnectFd(conn->tls_->fd());
    if (!conn->c_) {
      *err = "out of memory";
      return nullptr;
    }
    return conn;
  }
  redisContext* c = port == 0 ? redisConnectUnixNonBlock(host.c_str()) : redisConnectNonBlock(host.c_str(), port);
  if (!c || c->err) {
    *err = c ? std::string("connect: ") + c->errstr : "out of memory";
    if (c) redisFree(c);
    return nullptr;
  }
  conn->c_ = c;
  pollfd pfd{c->fd, POLLOUT, 0};
  int soerr = 0;
  socklen_t sl = sizeof soerr;
  int pr = poll(&pfd, 1, o.connect_timeout_ms);
  if (pr != 1) {
    *err = "connect: timed out after " + std::to_string(o.connect_timeout_ms) + " ms";
    return nullptr;
  }
  if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0 || soerr != 0) {
    *err = std::string("connect: ") + std::strerror(soerr ? soerr : errno);
    return nullptr;
  }
  int one = 1;
  if (port != 0) setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return conn;
}

RedisConn::~RedisConn() {
  if (c_) {
    if (tls_) redisFreeKeepFd(c_);
    else redisFree(c_);
  }
  tls_.reset();  // closes the socket of a TLS connection
}

int RedisConn::fd() const { return c_->fd; }

void RedisConn::append(int argc, const char** argv, const size_t* lens) { redisAppendCommandArgv(c_, argc, argv, lens); }

bool RedisConn::has_output() const { return sdslen(c_->obuf) > 0; }

short RedisConn::events(bool awaiting_reply) const {
  short ev = awaiting_reply ? POLLIN : 0;
  if (has_output()) ev |= POLLOUT;
  if (tls_) ev |= tls_->wants();
  return ev;
}

bool RedisConn::flush(std::string* err) {
  if (!tls_) {
    int done = 0;
    if (redisBufferWrite(c_, &done) == REDIS_OK) return true;
    *err = std::string("write: ") + c_->errstr;
    return false;
  }
  size_t len = sdslen(c_->obuf);
  if (len == 0) return true;
  long n = tls_->write_some(c_->obuf, len, err);
  if (n < 0) return false;
  if (n > 0) sdsrange(c_->obuf, n, -1);
  return true;
}

bool RedisConn::fill(std::string* err) {
  if (!tls_) {
    if (redisBufferRead(c_) == REDIS_OK) return true;
    *err = std::string("read: ") + c_->errstr;
    return false;
  }
  return tls_->read_some(c_->reader, err) >= 0;
}

bool RedisConn::service(short revents, std::string* err) {
  if (revents == 0) return true;
  // A TLS call may stall on the opposite direction (see TlsTransport::wants), so with TLS both
  // are retried on any event; each returns at once when it cannot progress.
  if (has_output() && (tls_ || (revents & POLLOUT)) && !flush(err)) return false;
  if (tls_ || (revents & (POLLIN | POLLERR | POLLHUP))) return fill(err);
  return true;
}

int RedisConn::next(void** reply, std::string* err) {
  *reply = nullptr;
  if (redisGetReplyFromReader(c_, reply) != REDIS_OK) {
    *err = std::string("reply: ") + c_->errstr;
    return -1;
  }
  return *reply ? 1 : 0;
}

}  // namespace snf
