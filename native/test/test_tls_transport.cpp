// TlsTransport against a real TLS redis-server (Debian's redis-server is built with TLS), with
// certificates made by the openssl CLI for this run: commands and pipelines round-trip, a server
// whose certificate chains to another CA or names another host is refused, and a plain client
// on the TLS port gets no reply.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "check.hpp"
#include "free_port.hpp"
#include "store/redis_store.hpp"
#include "store/tls_transport.hpp"

extern "C" {
#include <hiredis/hiredis.h>
}

using snf::store::TlsOptions;
using snf::store::TlsTransport;
using snf::ByteSink;

namespace {

bool sh(const std::string& cmd) { return std::system(("(" + cmd + ") >/dev/null 2>&1").c_str()) == 0; }


// A CA and a server certificate for 127.0.0.1 / localhost, plus an unrelated CA, in a temp dir;
// the redis-server on a TLS-only port. Everything is killed and removed by the destructor.
struct TlsRedis {
  std::string dir;
  uint16_t port = 0;
  pid_t pid = -1;
  std::string error;

  TlsRedis() {
    char tmpl[] = "/tmp/snf-tls-test-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) {
      error = "mkdtemp";
      return;
    }
    dir = tmpl;
    const std::string d = "cd " + dir + " && ";
    const std::string ec = " -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes ";
    if (!sh(d + "printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\nbasicConstraints=CA:FALSE\\n' > ext") ||
        !sh(d + "openssl req -x509 -new" + ec + "-keyout ca.key -out ca.crt -days 2 -subj /CN=test-ca") ||
        !sh(d + "openssl req -x509 -new" + ec + "-keyout other.key -out other.crt -days 2 -subj /CN=other-ca") ||
        !sh(d + "openssl req -new" + ec + "-keyout server.key -out server.csr -subj /CN=127.0.0.1") ||
        !sh(d + "openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 2 -extfile ext")) {
      error = "openssl could not make the test certificates (is openssl installed?)";
      return;
    }
    port = free_port();
    pid = ::fork();
    if (pid == 0) {
      std::string p = std::to_string(port);
      std::string crt = dir + "/server.crt", key = dir + "/server.key", ca = dir + "/ca.crt";
      ::execlp("redis-server", "redis-server", "--port", "0", "--bind", "127.0.0.1", "--tls-port", p.c_str(),
               "--tls-cert-file", crt.c_str(), "--tls-key-file", key.c_str(), "--tls-ca-cert-file", ca.c_str(),
               "--tls-auth-clients", "no", "--save", "", "--appendonly", "no", "--dir", dir.c_str(), "--logfile",
               (dir + "/redis.log").c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    // Ready when a TLS connection completes.
    std::string err;
    for (int i = 0; i < 200; i++) {
      int status = 0;
      if (::waitpid(pid, &status, WNOHANG) == pid) {
        pid = -1;
        error = "redis-server exited at start (is redis-server with TLS installed?)";
        return;
      }
      if (TlsTransport::connect("127.0.0.1", port, ca_opts(), &err)) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    error = "redis-server did not accept TLS within 5 s: " + err;
  }
  ~TlsRedis() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
    if (!dir.empty()) sh("rm -rf " + dir);
  }
  TlsOptions ca_opts() const {
    TlsOptions o;
    o.ca_file = dir + "/ca.crt";
    return o;
  }
};

TlsRedis& server() {
  static TlsRedis r;
  return r;
}

// Feeds hiredis's reader, the tests' independent parser, from the transport.
struct ReaderSink : ByteSink {
  std::unique_ptr<redisReader, void (*)(redisReader*)> reader{redisReaderCreate(), redisReaderFree};
  char buf[16384];
  char* space(size_t n) override { return n <= sizeof buf ? buf : nullptr; }
  void commit(size_t n) override { redisReaderFeed(reader.get(), buf, n); }
};

// Sends one formatted command and reads one reply.
redisReply* round_trip(TlsTransport& t, const std::vector<std::string>& args, std::string* err) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  char* cmd = nullptr;
  int n = redisFormatCommandArgv(&cmd, static_cast<int>(args.size()), argv.data(), lens.data());
  if (n < 0) return nullptr;
  bool ok = t.write_all(cmd, static_cast<size_t>(n), 1000, err);
  redisFreeCommand(cmd);
  if (!ok) return nullptr;
  ReaderSink sink;
  void* reply = nullptr;
  while (reply == nullptr) {
    if (t.read_into(sink, 1000, err) <= 0) return nullptr;
    if (redisReaderGetReply(sink.reader.get(), &reply) != REDIS_OK) return nullptr;
  }
  return static_cast<redisReply*>(reply);
}

}  // namespace

TEST(tls_transport_round_trips_commands_and_a_pipeline) {
  ::signal(SIGPIPE, SIG_IGN);  // as in node, which ignores it: a dead peer is an error return
  TlsRedis& r = server();
  if (!r.error.empty()) std::fprintf(stderr, "  %s\n", r.error.c_str());
  REQUIRE(r.error.empty());
  std::string err;
  auto t = TlsTransport::connect("127.0.0.1", r.port, r.ca_opts(), &err);
  if (!t) std::fprintf(stderr, "  connect: %s\n", err.c_str());
  REQUIRE(t != nullptr);
  redisReply* pong = round_trip(*t, {"PING"}, &err);
  REQUIRE(pong != nullptr);
  CHECK_EQ(std::string(pong->str, pong->len), std::string("PONG"));
  freeReplyObject(pong);

  // 2000 SETs in one write, then the replies as they arrive: more than one TLS record each way.
  std::string batch;
  const int N = 2000;
  for (int i = 0; i < N; i++) {
    std::string k = "k" + std::to_string(i), v = std::string(64, static_cast<char>('a' + i % 26));
    const char* argv[] = {"SET", k.c_str(), v.c_str()};
    size_t lens[] = {3, k.size(), v.size()};
    char* cmd = nullptr;
    int n = redisFormatCommandArgv(&cmd, 3, argv, lens);
    batch.append(cmd, static_cast<size_t>(n));
    redisFreeCommand(cmd);
  }
  REQUIRE(t->write_all(batch.data(), batch.size(), 2000, &err));
  ReaderSink sink;
  int got = 0, ok = 0;
  while (got < N) {
    void* reply = nullptr;
    if (redisReaderGetReply(sink.reader.get(), &reply) != REDIS_OK) break;
    if (reply == nullptr) {
      if (t->read_into(sink, 2000, &err) <= 0) break;
      continue;
    }
    auto* rp = static_cast<redisReply*>(reply);
    if (rp->type == REDIS_REPLY_STATUS && std::string(rp->str, rp->len) == "OK") ok++;
    freeReplyObject(rp);
    got++;
  }
  CHECK_EQ(got, N);
  CHECK_EQ(ok, N);
  redisReply* v = round_trip(*t, {"GET", "k1999"}, &err);
  REQUIRE(v != nullptr);
  CHECK_EQ(std::string(v->str, v->len), std::string(64, static_cast<char>('a' + 1999 % 26)));
  freeReplyObject(v);
}

TEST(tls_transport_refuses_an_untrusted_or_misnamed_server) {
  TlsRedis& r = server();
  REQUIRE(r.error.empty());
  std::string err;
  TlsOptions other;
  other.ca_file = r.dir + "/other.crt";
  CHECK(TlsTransport::connect("127.0.0.1", r.port, other, &err) == nullptr);
  CHECK_MSG(err.find("not trusted") != std::string::npos, err);

  TlsOptions misnamed = r.ca_opts();
  misnamed.server_name = "store.example";
  err.clear();
  CHECK(TlsTransport::connect("127.0.0.1", r.port, misnamed, &err) == nullptr);
  CHECK_MSG(err.find("not trusted") != std::string::npos && err.find("hostname") != std::string::npos, err);

  TlsOptions byName = r.ca_opts();
  byName.server_name = "localhost";  // in the certificate's SANs
  err.clear();
  CHECK_MSG(TlsTransport::connect("127.0.0.1", r.port, byName, &err) != nullptr, err);

  TlsOptions noCa;
  err.clear();
  CHECK(TlsTransport::connect("127.0.0.1", r.port, noCa, &err) == nullptr);
  CHECK_MSG(err.find("ca_file is required") != std::string::npos, err);

  TlsOptions missing;
  missing.ca_file = r.dir + "/absent.crt";
  err.clear();
  CHECK(TlsTransport::connect("127.0.0.1", r.port, missing, &err) == nullptr);
  CHECK_MSG(err.find("CA file") != std::string::npos, err);

  err.clear();
  CHECK(TlsTransport::connect("127.0.0.1", free_port(), r.ca_opts(), &err) == nullptr);
  CHECK_MSG(err.find("Connection refused") != std::string::npos, err);
}

TEST(tls_port_gives_a_plain_client_no_reply) {
  TlsRedis& r = server();
  REQUIRE(r.error.empty());
  redisContext* c = redisConnect("127.0.0.1", r.port);
  REQUIRE(c != nullptr);
  std::unique_ptr<redisContext, void (*)(redisContext*)> guard(c, redisFree);
  timeval tv{1, 0};
  redisSetTimeout(c, tv);
  auto* reply = static_cast<redisReply*>(redisCommand(c, "PING"));
  bool pong = reply != nullptr && reply->type == REDIS_REPLY_STATUS && std::string(reply->str) == "PONG";
  if (reply) freeReplyObject(reply);
  CHECK(!pong);
  CHECK(c->err != 0);
}

// RedisStore over TLS with an ACL user: a batch bigger than the socket buffers both ways (SSL
// writes that stall mid-pipeline, replies spanning many records), the coherent cache's
// invalidations arriving over a TLS subscriber, and a refused AUTH reported, not crashed on.
namespace {

snf::RedisOptions tls_store_opts(const TlsRedis& r, const std::string& user, const std::string& password) {
  snf::RedisOptions o;
  o.seeds = {"127.0.0.1:" + std::to_string(r.port)};
  o.timeout_ms = 2000;
  o.connect_timeout_ms = 1000;
  o.user = user;
  o.password = password;
  o.tls = true;
  o.tls_opts.ca_file = r.dir + "/ca.crt";
  return o;
}

bool admin(TlsRedis& r, const std::vector<std::string>& args) {
  std::string err;
  auto t = TlsTransport::connect("127.0.0.1", r.port, r.ca_opts(), &err);
  if (!t) return false;
  redisReply* rep = round_trip(*t, args, &err);
  bool ok = rep != nullptr && rep->type != REDIS_REPLY_ERROR;
  if (rep) freeReplyObject(rep);
  return ok;
}

}  // namespace

TEST(redis_store_over_tls_with_an_acl_user) {
  TlsRedis& r = server();
  REQUIRE(r.error.empty());
  REQUIRE(admin(r, {"ACL", "SETUSER", "snf-dp", "reset", "on", ">dp-password-0123456789", "~tls:*", "&*", "+@all"}));
  const int N = 3000;
  const std::string pad(300, 'k');  // ~1 MB of requests, ~3 MB of replies: more than one socket buffer
  for (int i = 0; i < N; i += 500) {
    std::vector<std::string> mset{"MSET"};
    for (int j = i; j < i + 500; j++) {
      mset.push_back("tls:" + pad + std::to_string(j));
      mset.push_back(std::string(1000, static_cast<char>('a' + j % 26)));
    }
    REQUIRE(admin(r, mset));
  }

  snf::RedisStore s(tls_store_opts(r, "snf-dp", "dp-password-0123456789"));
  std::vector<snf::Cmd> cmds(N);
  for (int i = 0; i < N; i++) cmds[i].get("tls:" + pad + std::to_string(i));
  std::vector<snf::Reply> replies;
  s.execute(cmds.data(), cmds.size(), replies);
  int right = 0;
  for (int i = 0; i < N; i++)
    if (replies[i].type == snf::Reply::Str && replies[i].s == std::string(1000, static_cast<char>('a' + i % 26))) right++;
  CHECK_MSG(right == N, std::to_string(right) + " of " + std::to_string(N) + "; " + s.stats().last_error);
  CHECK_EQ(s.stats().last_error, std::string());
  CHECK_EQ(s.stats().round_trips, 1u);

  // Another instance's write gets here as an invalidation over the TLS subscriber.
  snf::RedisOptions co = tls_store_opts(r, "snf-dp", "dp-password-0123456789");
  co.cache_bytes = 1 << 20;
  co.cache_recheck_us = 0;
  snf::RedisStore cached(co);
  snf::Cmd one;
  one.get("tls:" + pad + "7");
  cached.execute(&one, 1, replies);
  REQUIRE(replies[0].type == snf::Reply::Str);
  cached.execute(&one, 1, replies);
  REQUIRE(cached.cache_stats() != nullptr);
  CHECK_EQ(cached.cache_stats()->hits, 1u);
  REQUIRE(admin(r, {"SET", "tls:" + pad + "7", "changed"}));
  std::string seen;
  for (int i = 0; i < 200 && seen != "changed"; i++) {
    cached.execute(&one, 1, replies);
    seen = replies[0].s;
    if (seen != "changed") std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  CHECK_EQ(seen, std::string("changed"));
  CHECK(cached.cache_stats()->invalidations >= 1u);

  // A wrong password: every reply Unavailable, and the reason kept without the password in it.
  snf::RedisStore wrong(tls_store_opts(r, "snf-dp", "not-the-password-xyz"));
  wrong.execute(&one, 1, replies);
  CHECK(replies[0].type == snf::Reply::Unavailable);
  CHECK_MSG(wrong.stats().last_error.find("AUTH as snf-dp refused: WRONGPASS") != std::string::npos, wrong.stats().last_error);
  CHECK(wrong.stats().last_error.find("not-the-password") == std::string::npos);

  // An untrusted CA.
  snf::RedisOptions uo = tls_store_opts(r, "snf-dp", "dp-password-0123456789");
  uo.tls_opts.ca_file = r.dir + "/other.crt";
  snf::RedisStore untrusted(uo);
  untrusted.execute(&one, 1, replies);
  CHECK(replies[0].type == snf::Reply::Unavailable);
  CHECK_MSG(untrusted.stats().last_error.find("not trusted") != std::string::npos, untrusted.stats().last_error);
}
