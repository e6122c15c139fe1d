#include "store/tls_transport.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "store/socket_connect.hpp"

namespace snf::store {

namespace {

using Clock = std::chrono::steady_clock;

int remaining_ms(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left > 0 ? static_cast<int>(left) : 0;
}

// The OpenSSL error queue's oldest entry, and the queue cleared so the next call starts clean.
std::string ssl_error(const char* what) {
  unsigned long e = ERR_get_error();
  std::string out = what;
  if (e != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    out += ": ";
    out += buf;
  }
  ERR_clear_error();
  return out;
}

bool is_ip_literal(const std::string& s) {
  in6_addr a6;
  in_addr a4;
  return ::inet_pton(AF_INET, s.c_str(), &a4) == 1 || ::inet_pton(AF_INET6, s.c_str(), &a6) == 1;
}

}  // namespace

void TlsTransport::CtxFree::operator()(ssl_ctx_st* c) const { SSL_CTX_free(c); }
void TlsTransport::SslFree::operator()(ssl_st* s) const { SSL_free(s); }

TlsTransport::~TlsTransport() {
  // A close_notify when the peer is still there; never wait for its answer.
  if (ssl_ && fd_ >= 0) {
    SSL_shutdown(ssl_.get());
    ERR_clear_error();
  }
  ssl_.reset();
  if (fd_ >= 0) ::close(fd_);
}

std::unique_ptr<TlsTransport> TlsTransport::connect(const std::string& host, uint16_t port, const TlsOptions& options,
                                                    std::string* err) {
  std::string scratch;
  if (err == nullptr) err = &scratch;
  if (options.ca_file.empty()) {
    *err = "tls: ca_file is required (the store's certificate is verified against the deployment CA)";
    return nullptr;
  }
  const auto deadline = Clock::now() + std::chrono::milliseconds(options.connect_timeout_ms);
  std::unique_ptr<TlsTransport> t(new TlsTransport());

  t->ctx_.reset(SSL_CTX_new(TLS_client_method()));
  if (!t->ctx_) {
    *err = ssl_error("tls: SSL_CTX_new");
    return nullptr;
  }
  SSL_CTX_set_min_proto_version(t->ctx_.get(), TLS1_2_VERSION);
  SSL_CTX_set_verify(t->ctx_.get(), SSL_VERIFY_PEER, nullptr);
  // Partial writes and a moving buffer: the caller's buffer may be reallocated between retries.
  SSL_CTX_set_mode(t->ctx_.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (SSL_CTX_load_verify_locations(t->ctx_.get(), options.ca_file.c_str(), nullptr) != 1) {
    *err = ssl_error(("tls: CA file " + options.ca_file).c_str());
    return nullptr;
  }
  if (options.cert_file.empty() != options.key_file.empty()) {
    *err = "tls: a client certificate needs both cert_file and key_file";
    return nullptr;
  }
  if (!options.cert_file.empty()) {
    if (SSL_CTX_use_certificate_chain_file(t->ctx_.get(), options.cert_file.c_str()) != 1) {
      *err = ssl_error(("tls: client certificate " + options.cert_file).c_str());
      return nullptr;
    }
    if (SSL_CTX_use_PrivateKey_file(t->ctx_.get(), options.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
      *err = ssl_error(("tls: client key " + options.key_file).c_str());
      return nullptr;
    }
    if (SSL_CTX_check_private_key(t->ctx_.get()) != 1) {
      *err = ssl_error(("tls: client key " + options.key_file + " does not match " + options.cert_file).c_str());
      return nullptr;
    }
  }

  t->fd_ = tcp_connect(host, port, remaining_ms(deadline), err);
  if (t->fd_ < 0) return nullptr;

  t->ssl_.reset(SSL_new(t->ctx_.get()));
  if (!t->ssl_ || SSL_set_fd(t->ssl_.get(), t->fd_) != 1) {
    *err = ssl_error("tls: SSL_new");
    return nullptr;
  }
  const std::string& name = options.server_name.empty() ? host : options.server_name;
  if (is_ip_literal(name)) {
    if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(t->ssl_.get()), name.c_str()) != 1) {
      *err = ssl_error("tls: server address");
      return nullptr;
    }
  } else {
    SSL_set_tlsext_host_name(t->ssl_.get(), name.c_str());
    if (SSL_set1_host(t->ssl_.get(), name.c_str()) != 1) {
      *err = ssl_error("tls: server name");
      return nullptr;
    }
  }

  for (;;) {
    int r = SSL_connect(t->ssl_.get());
    if (r == 1) break;
    int e = SSL_get_error(t->ssl_.get(), r);
    short ev = e == SSL_ERROR_WANT_READ ? POLLIN : e == SSL_ERROR_WANT_WRITE ? POLLOUT : 0;
    if (ev == 0) {
      long v = SSL_get_verify_result(t->ssl_.get());
      if (v != X509_V_OK) {
        *err = std::string("tls: certificate of ") + host + ":" + std::to_string(port) + " not trusted: " +
               X509_verify_cert_error_string(v);
        ERR_clear_error();
      } else {
        *err = ssl_error(("tls: handshake with " + host + ":" + std::to_string(port)).c_str());
      }
      return nullptr;
    }
    if (!wait_fd(t->fd_, ev, remaining_ms(deadline))) {
      *err = "tls: handshake with " + host + ":" + std::to_string(port) + " timed out after " +
             std::to_string(options.connect_timeout_ms) + " ms";
      return nullptr;
    }
  }
  return t;
}

bool TlsTransport::write_all(const char* buf, size_t len, int timeout_ms, std::string* err) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  size_t done = 0;
  while (done < len) {
    size_t n = 0;
    int r = SSL_write_ex(ssl_.get(), buf + done, len - done, &n);
    if (r == 1) {
      done += n;
      continue;
    }
    int e = SSL_get_error(ssl_.get(), r);
    short ev = e == SSL_ERROR_WANT_READ ? POLLIN : e == SSL_ERROR_WANT_WRITE ? POLLOUT : 0;
    if (ev == 0) {
      if (err) *err = e == SSL_ERROR_SYSCALL && errno != 0 ? std::string("tls write: ") + std::strerror(errno) : ssl_error("tls write");
      ERR_clear_error();
      return false;
    }
    if (!wait_fd(fd_, ev, remaining_ms(deadline))) {
      if (err) *err = "tls write: timed out after " + std::to_string(timeout_ms) + " ms";
      return false;
    }
  }
  return true;
}

bool TlsTransport::has_pending() const { return SSL_pending(ssl_.get()) > 0; }

namespace {

std::string io_error(const char* what, int e) {
  if (e == SSL_ERROR_ZERO_RETURN) return std::string(what) + ": the server closed the connection";
  if (e == SSL_ERROR_SYSCALL) return errno != 0 ? std::string(what) + ": " + std::strerror(errno) : std::string(what) + ": connection lost";
  return ssl_error(what);
}

}  // namespace

long TlsTransport::write_some(const char* buf, size_t len, std::string* err) {
  write_wants_ = 0;
  size_t done = 0;
  while (done < len) {
    size_t n = 0;
    errno = 0;
    int r = SSL_write_ex(ssl_.get(), buf + done, len - done, &n);
    if (r == 1) {
      done += n;
      continue;
    }
    int e = SSL_get_error(ssl_.get(), r);
    if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) {
      // The next call must offer at least the same bytes again (SSL_write's retry rule): the
      // caller's buffer only grows at its end until bytes are reported written.
      write_wants_ = e == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN;
      return static_cast<long>(done);
    }
    if (err) *err = io_error("tls write", e);
    ERR_clear_error();
    return -1;
  }
  return static_cast<long>(done);
}

long TlsTransport::read_some(ByteSink& into, std::string* err) {
  read_wants_ = 0;
  long fed = 0;
  for (;;) {
    size_t n = 0;
    errno = 0;
    int r = SSL_read_ex(ssl_.get(), into.space(kReadChunk), kReadChunk, &n);
    if (r == 1) {
      into.commit(n);
      fed += static_cast<long>(n);
      continue;
    }
    int e = SSL_get_error(ssl_.get(), r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
      if (e == SSL_ERROR_WANT_WRITE) read_wants_ = POLLOUT;
      return fed;
    }
    if (err) *err = io_error("tls read", e);
    ERR_clear_error();
    return -1;
  }
}

long TlsTransport::read_into(ByteSink& into, int timeout_ms, std::string* err) {
  long fed = 0;
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    size_t n = 0;
    int r = SSL_read_ex(ssl_.get(), into.space(kReadChunk), kReadChunk, &n);
    if (r == 1) {
      into.commit(n);
      fed += static_cast<long>(n);
      continue;  // drain what is already here; stop at the first WANT_READ
    }
    int e = SSL_get_error(ssl_.get(), r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
      if (fed > 0) return fed;
      if (!wait_fd(fd_, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, remaining_ms(deadline))) return 0;
      continue;
    }
    if (err) {
      if (e == SSL_ERROR_ZERO_RETURN) *err = "tls read: the server closed the connection";
      else if (e == SSL_ERROR_SYSCALL) *err = errno != 0 ? std::string("tls read: ") + std::strerror(errno) : "tls read: connection lost";
      else *err = ssl_error("tls read");
    }
    ERR_clear_error();
    return fed > 0 ? fed : -1;
  }
}

}  // namespace snf::store
