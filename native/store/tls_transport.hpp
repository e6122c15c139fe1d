// A TLS byte stream to one Redis node, for the data plane's store connection: its bytes go
// through OpenSSL here (Debian 12's hiredis 0.14 has no TLS), while RedisConn formats the
// commands and parses the replies (resp.hpp) as it does on a plain socket.
//
// Blocking calls with a deadline on a non-blocking socket (connect, tests), and non-blocking
// ones for a poll loop over many connections (the store's batch exchange). No exceptions:
// every failure is a false / -1 return with a message in `err`.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "store/byte_sink.hpp"

struct ssl_ctx_st;
struct ssl_st;

namespace snf::store {

struct TlsOptions {
  /** PEM file of the CA the server's certificate must chain to (the deployment's store CA). */
  std::string ca_file;
  /** Name the certificate must carry (DNS or IP SAN); empty: the host connected to. */
  std::string server_name;
  /** Client certificate and key (PEM), for a server that checks clients (tls-auth-clients yes). */
  std::string cert_file;
  std::string key_file;
  /** Deadline for TCP connect + handshake, in milliseconds. */
  int connect_timeout_ms = 1000;
};

class TlsTransport {
 public:
  /**
   * Connects to host:port (IPv4 / IPv6 literal or a name), completes the handshake and verifies
   * the certificate chain against options.ca_file and its name. nullptr and `err` on failure.
   */
  static std::unique_ptr<TlsTransport> connect(const std::string& host, uint16_t port, const TlsOptions& options,
                                               std::string* err);

  ~TlsTransport();
  TlsTransport(const TlsTransport&) = delete;
  TlsTransport& operator=(const TlsTransport&) = delete;

  /** The socket, for callers that poll several connections. */
  int fd() const { return fd_; }

  /** Writes all of buf, waiting at most timeout_ms in total. false and `err` on failure or timeout. */
  bool write_all(const char* buf, size_t len, int timeout_ms, std::string* err);

  /**
   * Waits up to timeout_ms for data, then reads everything readable without blocking into
   * `into`. Returns the bytes fed (> 0), 0 on timeout, -1 on error or when the server closed
   * the connection (`err` says which).
   */
  long read_into(ByteSink& into, int timeout_ms, std::string* err);

  /** Decrypted bytes already buffered by OpenSSL (readable without waiting on the socket). */
  bool has_pending() const;

  // Non-blocking forms for a caller that polls many connections (RedisStore's exchange loop).
  // OpenSSL may need the opposite direction to make progress (a key update during a write, a
  // record to send during a read): wants() says which poll events the stalled call waits for.

  /** Writes what the socket takes now: the bytes written (0: would block), -1 and `err` on failure. */
  long write_some(const char* buf, size_t len, std::string* err);

  /**
   * Reads everything readable now into `into`, until OpenSSL asks for more from the socket,
   * so nothing decrypted is left behind where poll() cannot see it (SSL_pending is 0 after a
   * call that did not fail). The bytes fed (0: nothing yet), -1 and `err` on failure or close.
   */
  long read_some(ByteSink& into, std::string* err);

  /** Poll events the last stalled write_some / read_some waits for (0: none). */
  short wants() const { return static_cast<short>(write_wants_ | read_wants_); }
 private:
  static constexpr size_t kReadChunk = 16384;  // at least one whole TLS record per SSL_read
  TlsTransport() = default;
  struct CtxFree {
    void operator()(ssl_ctx_st* c) const;
  };
  struct SslFree {
    void operator()(ssl_st* s) const;
  };
  int fd_ = -1;
  short write_wants_ = 0;
  short read_wants_ = 0;
  std::unique_ptr<ssl_ctx_st, CtxFree> ctx_;
  std::unique_ptr<ssl_st, SslFree> ssl_;
};

}  // namespace snf::store
