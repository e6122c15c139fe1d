// The store plugin ABI contract test (native/store/plugin_abi.h): dlopens a plugin and checks
// every promise the ABI makes, against the real store the config points at.
//
//   test_store_plugin <plugin.so> <config>                 the contract; exit 0 if every check held
//   test_store_plugin <plugin.so> <config> --unavailable <bound_ms>
//        opens, writes once, prints "ready" and waits for a line on stdin (the caller kills the
//        store meanwhile), then runs a batch of every kind: every op must come back UNAVAILABLE
//        within bound_ms.
//
// Output: one "ok - ..." / "not ok - ..." line per check, "# key value" facts (round trips,
// timings) for the caller to assert, and a last "# passed N/M" line.
//
// Not part of snf_tests (CMakeLists.txt builds it as its own program): it needs a plugin and a
// running store. test/integration/store/ramcloud-plugin.test.ts builds and runs it.

#include <dlfcn.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "store/plugin_abi.h"

namespace {

int g_checks = 0;
int g_failed = 0;

void check(bool ok, const std::string& what, const std::string& detail = "") {
  g_checks++;
  if (ok) {
    std::printf("ok - %s\n", what.c_str());
  } else {
    g_failed++;
    std::printf("not ok - %s%s%s\n", what.c_str(), detail.empty() ? "" : ": ", detail.c_str());
  }
  std::fflush(stdout);
}

const char* statusName(uint8_t s) {
  switch (s) {
    case SNF_KV_OK: return "OK";
    case SNF_KV_NOT_FOUND: return "NOT_FOUND";
    case SNF_KV_CONFLICT: return "CONFLICT";
    case SNF_KV_UNAVAILABLE: return "UNAVAILABLE";
    case SNF_KV_ERROR: return "ERROR";
    default: return "?";
  }
}

struct DlClose {
  void operator()(void* lib) const {
    if (lib) dlclose(lib);
  }
};

// One open handle; closed on scope exit.
class Store {
 public:
  Store(const snf_store_plugin* p, void* h) : p_(p), h_(h) {}
  ~Store() {
    if (h_) p_->close(h_);
  }
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  uint32_t run(std::vector<snf_kv_op>& ops) { return p_->execute(h_, ops.data(), ops.size()); }
  const char* lastError() const { return p_->last_error(h_); }
  void* handle() const { return h_; }
  const snf_store_plugin* plugin() const { return p_; }

 private:
  const snf_store_plugin* p_;
  void* h_;
};

snf_kv_op get(const std::string& k) {
  snf_kv_op o{};
  o.kind = SNF_KV_GET;
  o.key = k.data();
  o.key_len = static_cast<uint16_t>(k.size());
  return o;
}
snf_kv_op put(const std::string& k, const std::string& v, uint8_t cond = SNF_KV_ANY,
              uint64_t version = 0) {
  snf_kv_op o{};
  o.kind = SNF_KV_PUT;
  o.cond = cond;
  o.key = k.data();
  o.key_len = static_cast<uint16_t>(k.size());
  o.val = v.data();
  o.val_len = static_cast<uint32_t>(v.size());
  o.version = version;
  return o;
}
snf_kv_op del(const std::string& k, uint8_t cond = SNF_KV_ANY, uint64_t version = 0) {
  snf_kv_op o{};
  o.kind = SNF_KV_DEL;
  o.cond = cond;
  o.key = k.data();
  o.key_len = static_cast<uint16_t>(k.size());
  o.version = version;
  return o;
}
snf_kv_op incr(const std::string& k, int64_t delta) {
  snf_kv_op o{};
  o.kind = SNF_KV_INCR;
  o.key = k.data();
  o.key_len = static_cast<uint16_t>(k.size());
  o.delta = delta;
  return o;
}

// Runs one op alone and returns it (with its results).
snf_kv_op one(Store& s, snf_kv_op op) {
  std::vector<snf_kv_op> v{op};
  s.run(v);
  return v[0];
}

std::string value(const snf_kv_op& o) {
  return o.out_val ? std::string(o.out_val, o.out_len) : std::string();
}

std::string got(const snf_kv_op& o) {
  std::string s = std::string("status ") + statusName(o.status);
  if (o.status == SNF_KV_OK && o.kind == SNF_KV_GET) s += ", value '" + value(o).substr(0, 40) + "'";
  return s;
}

bool expectOpenFails(const snf_store_plugin* p, const std::string& config,
                     const std::string& mustMention, const std::string& what) {
  char err[512] = {0};
  void* h = p->open(config.c_str(), err, sizeof err);
  if (h != nullptr) {
    p->close(h);
    check(false, what, "open() succeeded");
    return false;
  }
  bool ok = std::strstr(err, mustMention.c_str()) != nullptr;
  check(ok, what, std::string("err was '") + err + "', expected it to mention '" + mustMention + "'");
  return ok;
}

void contract(const snf_store_plugin* p, const std::string& config) {
  // ---- open() refuses a bad config with a reason
  expectOpenFails(p, config + ";bogus_key=1", "bogus_key", "open: unknown config key is refused");
  expectOpenFails(p, "table=x", "coordinator", "open: config without coordinator is refused");
  expectOpenFails(p, config + ";span=zero", "span", "open: malformed span is refused");

  char err[512] = {0};
  void* h = p->open(config.c_str(), err, sizeof err);
  check(h != nullptr, "open with the given config", err);
  if (h == nullptr) return;
  Store s(p, h);

  const std::string pre = "ct:" + std::to_string(getpid()) + ":";
  const std::string k1 = pre + "k1", k2 = pre + "k2", k3 = pre + "k3", kc = pre + "ctr",
                    kabs = pre + "never-written";

  // ---- GET
  snf_kv_op r = one(s, get(kabs));
  check(r.status == SNF_KV_NOT_FOUND, "get of an absent key is NOT_FOUND", got(r));

  // ---- PUT ANY, then GET sees it with the same version
  r = one(s, put(k1, "v1"));
  check(r.status == SNF_KV_OK && r.out_version != 0, "put ANY is OK with a version", got(r));
  uint64_t v1 = r.out_version;
  r = one(s, get(k1));
  check(r.status == SNF_KV_OK && value(r) == "v1" && r.out_version == v1,
        "get returns the value and version put", got(r) + " version " + std::to_string(r.out_version) +
            " (put said " + std::to_string(v1) + ")");

  // ---- PUT ABSENT
  r = one(s, put(k1, "other", SNF_KV_ABSENT));
  check(r.status == SNF_KV_CONFLICT, "put ABSENT on an existing key is CONFLICT", got(r));
  r = one(s, get(k1));
  check(value(r) == "v1" && r.out_version == v1, "a CONFLICT put changed nothing", got(r));
  r = one(s, put(k2, "fresh", SNF_KV_ABSENT));
  check(r.status == SNF_KV_OK, "put ABSENT on a new key is OK", got(r));

  // ---- PUT VERSION (compare-and-swap)
  r = one(s, put(k1, "v2", SNF_KV_VERSION, v1));
  check(r.status == SNF_KV_OK && r.out_version > v1, "put VERSION with the current version is OK",
        got(r));
  uint64_t v2 = r.out_version;
  r = one(s, put(k1, "v3", SNF_KV_VERSION, v1));
  check(r.status == SNF_KV_CONFLICT, "put VERSION with a stale version is CONFLICT", got(r));
  r = one(s, get(k1));
  check(value(r) == "v2" && r.out_version == v2, "a stale CAS changed nothing", got(r));
  r = one(s, put(kabs, "x", SNF_KV_VERSION, v2));
  check(r.status == SNF_KV_CONFLICT, "put VERSION on an absent key is CONFLICT", got(r));
  r = one(s, get(kabs));
  check(r.status == SNF_KV_NOT_FOUND, "a CONFLICT CAS on an absent key created nothing", got(r));

  // ---- DEL
  r = one(s, del(kabs));
  check(r.status == SNF_KV_OK, "del ANY of an absent key is OK", got(r));
  r = one(s, del(k1, SNF_KV_VERSION, v1));
  check(r.status == SNF_KV_CONFLICT, "del VERSION with a wrong version is CONFLICT", got(r));
  r = one(s, get(k1));
  check(r.status == SNF_KV_OK && value(r) == "v2", "a CONFLICT del left the key", got(r));
  r = one(s, del(kabs, SNF_KV_VERSION, v2));
  check(r.status == SNF_KV_CONFLICT, "del VERSION of an absent key is CONFLICT", got(r));
  r = one(s, del(k1, SNF_KV_VERSION, v2));
  check(r.status == SNF_KV_OK, "del VERSION with the current version is OK", got(r));
  r = one(s, get(k1));
  check(r.status == SNF_KV_NOT_FOUND, "the deleted key is gone", got(r));

  // ---- INCR
  r = one(s, incr(kc, 5));
  check(r.status == SNF_KV_OK && r.out_int == 5, "incr of an absent key starts from 0",
        got(r) + " out_int " + std::to_string(r.out_int) + " last_error '" + s.lastError() + "'");
  r = one(s, incr(kc, -2));
  check(r.status == SNF_KV_OK && r.out_int == 3, "incr again adds to the stored value",
        got(r) + " out_int " + std::to_string(r.out_int));
  r = one(s, get(kc));
  int64_t stored = 0;
  if (r.out_len == sizeof stored) std::memcpy(&stored, r.out_val, sizeof stored);
  check(r.status == SNF_KV_OK && r.out_len == 8 && stored == 3,
        "the counter reads back as an 8-byte integer", got(r) + " len " + std::to_string(r.out_len));

  // ---- a batch mixing every kind: each op gets its own result
  {
    const std::string kb1 = pre + "b1", kb2 = pre + "b2", kb3 = pre + "b3";
    one(s, put(kb1, "batch-one"));
    std::vector<snf_kv_op> b{get(kb1),           get(kabs),      put(kb2, "batch-two"),
                             put(kb1, "no", SNF_KV_ABSENT), del(kb3), incr(kc, 10),
                             get(k2)};
    uint32_t rt = s.run(b);
    bool ok = b[0].status == SNF_KV_OK && value(b[0]) == "batch-one" &&
              b[1].status == SNF_KV_NOT_FOUND && b[2].status == SNF_KV_OK &&
              b[3].status == SNF_KV_CONFLICT && b[4].status == SNF_KV_OK &&
              b[5].status == SNF_KV_OK && b[5].out_int == 13 && b[6].status == SNF_KV_OK &&
              value(b[6]) == "fresh";
    std::string d;
    for (auto& o : b) d += std::string(statusName(o.status)) + " ";
    check(ok, "a batch of GET, PUT, DEL and INCR returns each op's result", d);
    check(rt >= 1, "execute reports at least one round trip", std::to_string(rt));
    std::printf("# roundtrips_mixed_batch %u\n", rt);
    r = one(s, get(kb2));
    check(value(r) == "batch-two", "the batch's PUT is visible after it", got(r));

    // Twenty GETs: one multi-read, and every out_val stays valid until the next execute.
    std::vector<std::string> keys, vals;
    std::vector<snf_kv_op> w;
    for (int i = 0; i < 20; i++) {
      keys.push_back(pre + "m" + std::to_string(i));
      vals.push_back("value-" + std::to_string(i * 7919));
    }
    for (int i = 0; i < 20; i++) w.push_back(put(keys[i], vals[i]));
    s.run(w);
    std::vector<snf_kv_op> g;
    for (int i = 0; i < 20; i++) g.push_back(get(keys[i]));
    uint32_t rtg = s.run(g);
    int same = 0;
    for (int i = 0; i < 20; i++) same += (g[i].status == SNF_KV_OK && value(g[i]) == vals[i]);
    check(same == 20, "20 GETs in one batch each see their own value", std::to_string(same) + "/20");
    std::printf("# roundtrips_20_gets %u\n", rtg);
    if (p->caps & SNF_KV_CAP_MULTI_OP) check(rtg <= 20, "a MULTI_OP plugin needs no round trip per op");
  }

  // ---- values larger than any small reuse buffer, and binary bytes
  {
    std::string big(300 * 1024, '\0');
    for (size_t i = 0; i < big.size(); i++) big[i] = static_cast<char>((i * 131 + 7) & 0xff);
    const std::string kbig = pre + "big", ksmall = pre + "small";
    r = one(s, put(kbig, big));
    check(r.status == SNF_KV_OK, "put of a 300 KiB value", got(r));
    one(s, put(ksmall, "tiny"));
    std::vector<snf_kv_op> b{get(ksmall), get(kbig)};
    s.run(b);
    check(b[1].status == SNF_KV_OK && value(b[1]) == big, "get of a 300 KiB value returns every byte",
          got(b[1]) + " len " + std::to_string(b[1].out_len));
    check(value(b[0]) == "tiny", "a small value read beside it is intact", got(b[0]));
    r = one(s, get(ksmall));
    check(value(r) == "tiny", "a small read after a big one is intact", got(r));
    const std::string bink = pre + std::string("bin\0key", 7), binv("a\0b\0c", 5);
    one(s, put(bink, binv));
    r = one(s, get(bink));
    check(r.status == SNF_KV_OK && value(r) == binv, "keys and values are bytes (NULs kept)", got(r));
  }

  // ---- bad op shapes are refused with a reason, and do not stop the rest of the batch
  {
    std::vector<snf_kv_op> b{incr(kc, 1), get(k2)};
    b[0].cond = SNF_KV_ABSENT;
    s.run(b);
    check(b[0].status == SNF_KV_ERROR && std::strlen(s.lastError()) > 0,
          "an INCR with a condition is ERROR with a reason", std::string(got(b[0])) + " last_error '" + s.lastError() + "'");
    check(b[1].status == SNF_KV_OK && value(b[1]) == "fresh", "the batch's other op still ran", got(b[1]));
  }

  // ---- scan sees every key (in pages), then ends
  {
    const std::string sp = pre + "scan:";
    std::map<std::string, std::string> want;
    std::vector<std::string> keys, vals;
    for (int i = 0; i < 50; i++) {
      keys.push_back(sp + std::to_string(i));
      vals.push_back("sv" + std::to_string(i));
    }
    std::vector<snf_kv_op> w;
    for (int i = 0; i < 50; i++) {
      w.push_back(put(keys[i], vals[i]));
      want[keys[i]] = vals[i];
    }
    s.run(w);
    void* cursor = nullptr;
    std::vector<snf_kv_op> page(7);
    std::map<std::string, std::string> seen;
    size_t pages = 0, total = 0;
    bool overfull = false;
    for (;;) {
      size_t n = p->scan(s.handle(), &cursor, page.data(), page.size());
      if (n == 0) break;
      overfull |= n > page.size();
      pages++;
      total += n;
      for (size_t i = 0; i < n; i++) {
        std::string k(page[i].key, page[i].key_len);
        if (k.compare(0, sp.size(), sp) == 0) seen[k] = std::string(page[i].out_val, page[i].out_len);
      }
      if (pages > 100000) break;
    }
    check(!overfull, "scan never fills more than max");
    check(seen == want, "scan sees every key with its value",
          std::to_string(seen.size()) + " of " + std::to_string(want.size()) + " scan keys seen");
    check(cursor == nullptr, "the cursor is released when the scan ends");
    std::printf("# scan_pages %zu scan_total %zu\n", pages, total);
    // Abandoning a scan: scan_end releases it.
    void* c2 = nullptr;
    size_t n = p->scan(s.handle(), &c2, page.data(), 3);
    check(n > 0 && c2 != nullptr, "a second scan starts over", std::to_string(n));
    p->scan_end(s.handle(), c2);
  }

  // ---- the handle's buffers are reused: a warm repeat of the same batch gives the same answers
  {
    std::vector<snf_kv_op> b{get(k2), get(kc)};
    s.run(b);
    std::string first = value(b[0]);
    s.run(b);
    check(value(b[0]) == first && first == "fresh", "repeating a batch on a warm handle", got(b[0]));
  }
}

int unavailable(const snf_store_plugin* p, const std::string& config, long boundMs) {
  char err[512] = {0};
  void* h = p->open(config.c_str(), err, sizeof err);
  check(h != nullptr, "open with the given config", err);
  if (h == nullptr) return 1;
  Store s(p, h);
  const std::string pre = "ua:" + std::to_string(getpid()) + ":";
  const std::string k = pre + "k", kc = pre + "c";
  snf_kv_op r = one(s, put(k, "before"));
  check(r.status == SNF_KV_OK, "a put while the store is up", got(r));
  std::printf("ready\n");
  std::fflush(stdout);
  std::string line;
  std::getline(std::cin, line);  // the caller stops the store, then sends a line

  std::vector<snf_kv_op> b{get(k), put(pre + "n", "x"), del(k), incr(kc, 1)};
  auto t0 = std::chrono::steady_clock::now();
  s.run(b);
  long ms = static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::steady_clock::now() - t0)
                                  .count());
  int unav = 0;
  std::string d;
  for (auto& o : b) {
    unav += o.status == SNF_KV_UNAVAILABLE;
    d += std::string(statusName(o.status)) + " ";
  }
  std::printf("# unavailable_ms %ld\n", ms);
  std::printf("# last_error %s\n", s.lastError());
  check(unav == 4, "every op of a batch on a dead store is UNAVAILABLE", d);
  check(ms <= boundMs, "the batch came back within the bound",
        std::to_string(ms) + " ms > " + std::to_string(boundMs) + " ms");
  check(std::strlen(s.lastError()) > 0, "last_error says why");
  // and again: a second batch does not hang either
  t0 = std::chrono::steady_clock::now();
  r = one(s, get(k));
  ms = static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::steady_clock::now() - t0)
                             .count());
  std::printf("# unavailable_again_ms %ld\n", ms);
  check(r.status == SNF_KV_UNAVAILABLE && ms <= boundMs, "the next batch is bounded too",
        got(r) + " in " + std::to_string(ms) + " ms");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3 && !(argc == 5 && std::strcmp(argv[3], "--unavailable") == 0)) {
    std::fprintf(stderr, "usage: %s <plugin.so> <config> [--unavailable <bound_ms>]\n", argv[0]);
    return 2;
  }
  std::unique_ptr<void, DlClose> lib(dlopen(argv[1], RTLD_NOW | RTLD_LOCAL));
  if (!lib) {
    std::fprintf(stderr, "dlopen %s: %s\n", argv[1], dlerror());
    return 2;
  }
  auto entry = reinterpret_cast<snf_store_plugin_entry>(dlsym(lib.get(), SNF_STORE_PLUGIN_SYMBOL));
  check(entry != nullptr, "the plugin exports " SNF_STORE_PLUGIN_SYMBOL);
  if (!entry) return 1;
  const snf_store_plugin* p = entry();
  check(p != nullptr && p->abi_version == SNF_STORE_PLUGIN_ABI_VERSION, "the ABI version matches");
  if (!p || p->abi_version != SNF_STORE_PLUGIN_ABI_VERSION) return 1;
  check(p->open && p->close && p->execute && p->scan && p->scan_end && p->last_error && p->name,
        "every entry of the table is set");
  std::printf("# plugin %s caps %u\n", p->name, p->caps);

  if (argc == 5) {
    char* end = nullptr;
    long bound = std::strtol(argv[4], &end, 10);
    if (end == argv[4] || *end != '\0' || bound <= 0) {
      std::fprintf(stderr, "--unavailable: '%s' is not a positive number of ms\n", argv[4]);
      return 2;
    }
    unavailable(p, argv[2], bound);
  } else {
    contract(p, argv[2]);
  }
  std::printf("# passed %d/%d\n", g_checks - g_failed, g_checks);
  return g_failed == 0 ? 0 : 1;
}
