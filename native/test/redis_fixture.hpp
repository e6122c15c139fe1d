// A private redis-server on a free loopback port for the native tests that need a real one
// (killed by its destructor), with a second client to change keys behind the store's back,
// and the RedisStore options the tests use.
#pragma once
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "free_port.hpp"
#include "store/redis_store.hpp"

extern "C" {
#include <hiredis/hiredis.h>
}

namespace redis_fixture {

struct Redis {
  uint16_t port = 0;
  pid_t pid = -1;
  std::string error;
  Redis() {
    port = free_port();
    pid = ::fork();
    if (pid == 0) {
      std::string p = std::to_string(port);
      ::execlp("redis-server", "redis-server", "--port", p.c_str(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
               "--logfile", "/dev/null", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    for (int i = 0; i < 200; i++) {
      int status = 0;
      if (::waitpid(pid, &status, WNOHANG) == pid) {
        pid = -1;
        error = "redis-server exited at start (is redis-server installed?)";
        return;
      }
      if (redisReply* r = command({"PING"})) {
        freeReplyObject(r);
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    error = "redis-server did not answer within 5 s";
  }
  ~Redis() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
  std::string seed() const { return "127.0.0.1:" + std::to_string(port); }
  // One command on a connection of its own (another client, as far as tracking goes).
  redisReply* command(const std::vector<std::string>& args) const {
    timeval tv{1, 0};
    redisContext* c = redisConnectWithTimeout("127.0.0.1", port, tv);
    if (!c || c->err) {
      if (c) redisFree(c);
      return nullptr;
    }
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    for (const auto& a : args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    auto* r = static_cast<redisReply*>(redisCommandArgv(c, static_cast<int>(args.size()), argv.data(), lens.data()));
    redisFree(c);
    return r;
  }
  std::string get(const std::string& key) const {
    redisReply* r = command({"GET", key});
    std::string v = r && r->type == REDIS_REPLY_STRING ? std::string(r->str, r->len) : "(nil)";
    if (r) freeReplyObject(r);
    return v;
  }
  bool set(const std::string& key, const std::string& val) const {
    redisReply* r = command({"SET", key, val});
    bool ok = r && r->type == REDIS_REPLY_STATUS;
    if (r) freeReplyObject(r);
    return ok;
  }
};

inline Redis& server() {
  static Redis r;
  return r;
}

inline snf::RedisOptions options(bool cache) {
  snf::RedisOptions o;
  o.seeds = {server().seed()};
  o.timeout_ms = 1000;
  o.connect_timeout_ms = 1000;
  o.cache_bytes = cache ? size_t{1} << 20 : 0;
  o.cache_recheck_us = 0;  // drain invalidations before every exchange
  return o;
}

}  // namespace redis_fixture
