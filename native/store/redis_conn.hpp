// One connection to one Redis node, as the data plane's store uses it. Commands are written as
// RESP into an output buffer and replies parsed off the input (resp.hpp) either way; the bytes
// go over the plain socket or through OpenSSL (TlsTransport), behind the same non-blocking
// calls, so the store's poll loop does not care which.
#pragma once
#include <poll.h>

#include <cstddef>
#include <memory>
#include <string>

#include "store/resp.hpp"
#include "store/tls_transport.hpp"

namespace snf {

struct ConnOptions {
  int connect_timeout_ms = 200;
  bool tls = false;
  store::TlsOptions tls_opts;  // with tls: the CA, the name to check, a client certificate
};

class RedisConn {
 public:
  /** Connects (and with TLS, completes the handshake) within the connect timeout; port 0: a
   * UNIX socket at `host`. nullptr and `err` on failure. */
  static std::unique_ptr<RedisConn> open(const std::string& host, int port, const ConnOptions& o, std::string* err);
  ~RedisConn();
  RedisConn(const RedisConn&) = delete;
  RedisConn& operator=(const RedisConn&) = delete;

  int fd() const;
  /** Formats one command into the output buffer (nothing is sent yet). */
  void append(int argc, const char** argv, const size_t* lens);
  bool has_output() const;
  /** What to poll for: POLLIN when a reply is awaited, POLLOUT while output is left, and
   * whatever a stalled TLS call needs to progress. */
  short events(bool awaiting_reply) const;
  /** Writes what the socket takes now. false and `err` when the connection failed. */
  bool flush(std::string* err);
  /** Reads what has arrived into the reply parser. false and `err` when the connection failed
   * or the server closed it. */
  bool fill(std::string* err);
  /** After poll(): writes and reads what the revents allow. false and `err` on failure. */
  bool service(short revents, std::string* err);
  /** 1: the next reply parsed into `out` (its buffers reused), 0: none complete yet, -1: a
   * protocol error. */
  int next(Reply& out, std::string* err) { return in_.next(out, err); }

 private:
  RedisConn() = default;
  int fd_ = -1;  // owned here on a plain connection, by tls_ on a TLS one
  std::unique_ptr<store::TlsTransport> tls_;
  std::string out_;  // commands not written yet start at out_[sent_]
  size_t sent_ = 0;
  RespReader in_;
};

}  // namespace snf
