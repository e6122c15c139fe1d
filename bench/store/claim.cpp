// What one NAT claim costs redis-server, by the way it is written and the tracking in force:
// the store-side price of a new flow (bench/engine's `mix` and `enterprise` are bound by it).
// A claim creates a flow's forward and reverse keys together or not at all, each with its TTL,
// and reads both back (the read is what makes CLIENT TRACKING follow them for the cache).
//
// Usage: claim --port P --variant V --tracking T [--claims N] [--pipeline B] [--ttl-ms MS]
//   variants  multi            MULTI, MSETNX, PEXPIRE NX x2, MGET, EXEC (the product's claim)
//             multi-pexpireat  the same with PEXPIREAT (Redis 7.0 rewrites PEXPIRE's arguments)
//             lua              one EVALSHA doing MSETNX, PEXPIRE x2 (when set) and MGET
//             no-ttl           MULTI, MSETNX, MGET, EXEC: keys that never expire, to size the
//                              TTLs' share (not a claim the product could use)
//   tracking  none | default (CLIENT TRACKING on REDIRECT <subscriber> NOLOOP, the product's)
//             | bcast (the same with BCAST PREFIX snf:)
// Prints one line: variant, tracking, claims, redis-server CPU µs per claim (INFO cpu deltas,
// read on a second connection), claims/s. Keys are shaped as the product's NAT keys (~60 bytes).
#include <hiredis/hiredis.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace {

struct Free {
  void operator()(redisContext* c) const { redisFree(c); }
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Conn = std::unique_ptr<redisContext, Free>;
using Reply = std::unique_ptr<redisReply, Free>;

[[noreturn]] void die(const std::string& why) {
  std::fprintf(stderr, "claim: %s\n", why.c_str());
  std::exit(2);
}

Conn connect(int port) {
  Conn c(redisConnect("127.0.0.1", port));
  if (!c || c->err) die("cannot connect to 127.0.0.1:" + std::to_string(port) + (c ? std::string(": ") + c->errstr : ""));
  return c;
}

// hiredis's argv form: pointers and lengths of the strings, which must outlive the call.
struct Argv {
  std::vector<const char*> ptr;
  std::vector<size_t> len;
  explicit Argv(const std::vector<std::string>& argv) {
    for (const std::string& s : argv) {
      ptr.push_back(s.data());
      len.push_back(s.size());
    }
  }
  int count() const { return static_cast<int>(ptr.size()); }
};

Reply call(redisContext* c, const std::vector<std::string>& argv) {
  Argv a(argv);
  Reply r(static_cast<redisReply*>(redisCommandArgv(c, a.count(), a.ptr.data(), a.len.data())));
  if (!r) die(argv[0] + ": " + c->errstr);
  if (r->type == REDIS_REPLY_ERROR) die(argv[0] + ": " + r->str);
  return r;
}

double server_cpu_s(redisContext* c) {
  Reply r = call(c, {"INFO", "cpu"});
  auto field = [&](const char* name) {
    const char* p = std::strstr(r->str, name);
    if (!p) die(std::string("INFO cpu has no ") + name);
    return std::atof(p + std::strlen(name));
  };
  return field("used_cpu_user:") + field("used_cpu_sys:");
}

const char* kLuaClaim =
    "local ok = redis.call('MSETNX', KEYS[1], ARGV[1], KEYS[2], ARGV[2]) "
    "if ok == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[3]) redis.call('PEXPIRE', KEYS[2], ARGV[3]) end "
    "return redis.call('MGET', KEYS[1], KEYS[2])";

}  // namespace

int main(int argc, char** argv) {
  int port = 0, claims = 200000, pipeline = 32;
  long long ttl_ms = 30000;
  std::string variant, tracking;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    if (i + 1 >= argc) die("missing value after " + a);
    std::string v = argv[++i];
    if (a == "--port") port = std::atoi(v.c_str());
    else if (a == "--variant") variant = v;
    else if (a == "--tracking") tracking = v;
    else if (a == "--claims") claims = std::atoi(v.c_str());
    else if (a == "--pipeline") pipeline = std::atoi(v.c_str());
    else if (a == "--ttl-ms") ttl_ms = std::atoll(v.c_str());
    else die("unknown argument " + a);
  }
  if (port <= 0) die("--port is required");
  if (variant != "multi" && variant != "multi-pexpireat" && variant != "lua" && variant != "no-ttl")
    die("--variant must be multi, multi-pexpireat, lua or no-ttl (got '" + variant + "')");
  if (tracking != "none" && tracking != "default" && tracking != "bcast")
    die("--tracking must be none, default or bcast (got '" + tracking + "')");
  if (claims <= 0 || pipeline <= 0) die("--claims and --pipeline must be positive");

  Conn data = connect(port), side = connect(port), inval = connect(port);
  Reply id = call(inval.get(), {"CLIENT", "ID"});
  call(inval.get(), {"SUBSCRIBE", "__redis__:invalidate"});
  if (tracking == "default") call(data.get(), {"CLIENT", "TRACKING", "on", "REDIRECT", std::to_string(id->integer), "NOLOOP"});
  if (tracking == "bcast")
    call(data.get(), {"CLIENT", "TRACKING", "on", "REDIRECT", std::to_string(id->integer), "BCAST", "PREFIX", "snf:", "NOLOOP"});
  std::string sha;
  if (variant == "lua") sha = call(data.get(), {"SCRIPT", "LOAD", kLuaClaim})->str;

  const std::string ttl = std::to_string(ttl_ms);
  const std::string at = std::to_string(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count() + ttl_ms);
  auto append = [&](const std::vector<std::string>& argv) {
    Argv a(argv);
    redisAppendCommandArgv(data.get(), a.count(), a.ptr.data(), a.len.data());
  };

  double cpu0 = server_cpu_s(side.get());
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < claims; i += pipeline) {
    int replies = 0;
    for (int j = i; j < i + pipeline && j < claims; j++) {
      char ext[32], in[32], f[128], r[128], fv[64], rv[64];
      std::snprintf(ext, sizeof ext, "203.0.113.%d", j % 64);
      std::snprintf(in, sizeof in, "10.%d.%d.%d", (j >> 16) & 255, (j >> 8) & 255, j & 255);
      std::snprintf(f, sizeof f, "snf:bench:nat:f:{bench|%s|%d}:17:%s:%d", ext, (j / 64) % 16, in, 20000 + j % 16);
      std::snprintf(r, sizeof r, "snf:bench:nat:r:{bench|%s|%d}:17:%d", ext, (j / 64) % 16, 1024 + j / 64);
      std::snprintf(fv, sizeof fv, "%s|%d|U|1764500000000", ext, 1024 + j / 64);
      std::snprintf(rv, sizeof rv, "%s|%d|U|1764500000000", in, 20000 + j % 16);
      if (variant == "lua") {
        append({"EVALSHA", sha, "2", f, r, fv, rv, ttl});
        replies += 1;
        continue;
      }
      append({"MULTI"});
      append({"MSETNX", f, fv, r, rv});
      if (variant == "multi") {
        append({"PEXPIRE", f, ttl, "NX"});
        append({"PEXPIRE", r, ttl, "NX"});
      } else if (variant == "multi-pexpireat") {
        append({"PEXPIREAT", f, at, "NX"});
        append({"PEXPIREAT", r, at, "NX"});
      }
      append({"MGET", f, r});
      append({"EXEC"});
      replies += variant == "no-ttl" ? 4 : 6;
    }
    for (int k = 0; k < replies; k++) {
      void* raw = nullptr;
      if (redisGetReply(data.get(), &raw) != REDIS_OK) die(std::string("reply: ") + data->errstr);
      Reply rep(static_cast<redisReply*>(raw));
      if (rep->type == REDIS_REPLY_ERROR) die(std::string("reply: ") + rep->str);
    }
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double cpu = server_cpu_s(side.get()) - cpu0;
  std::printf("%s %s %d %.2f %.0f\n", variant.c_str(), tracking.c_str(), claims, 1e6 * cpu / claims, claims / secs);
  return 0;
}
