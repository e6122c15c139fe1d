// A TLS byte stream to one Redis node, for the data plane's store connection. Debian 12's hiredis
// 0.14 has no TLS (hiredis_ssl came in 1.0), so the connection's bytes go through OpenSSL here
// while hiredis still formats commands (redisFormatCommandArgv) and parses replies (redisReader).
//
// Blocking calls with a deadline on a non-blocking socket: the engine's batch already has a
// deadline, and a store round trip never waits longer than the caller allows. No exceptions:
// every failure is a false / -1 return with a message in `err`.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

struct redisReader;
struct ssl_ctx_st;
struct ssl_st;

namespace snf::store {

struct TlsOptions {
  /** PEM file of the CA the server's certificate must chain to (the deployment's store CA). */
  std::string ca_file;
  /** Name the certificate must carry (DNS or IP SAN); empty: the host connected to. */
  std::string server_name;
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
   * Waits up to timeout_ms for data, then feeds everything readable without blocking into
   * `reader`. Returns the bytes fed (> 0), 0 on timeout, -1 on error or when the server closed
   * the connection (`err` says which).
   */
  long read_into(redisReader* reader, int timeout_ms, std::string* err);

  /** Decrypted bytes already buffered by OpenSSL (readable without waiting on the socket). */
  bool has_pending() const;

 private:
  TlsTransport() = default;
  struct CtxFree {
    void operator()(ssl_ctx_st* c) const;
  };
  struct SslFree {
    void operator()(ssl_st* s) const;
  };
  int fd_ = -1;
  std::unique_ptr<ssl_ctx_st, CtxFree> ctx_;
  std::unique_ptr<ssl_st, SslFree> ssl_;
};

}  // namespace snf::store
