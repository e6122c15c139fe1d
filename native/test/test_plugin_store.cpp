// PluginStore: the store scripts rebuilt on a plugin's get / conditional put / delete /
// increment give the replies LocalStore's native twins of the Lua give; two stores on one
// plugin space behave as two instances on one store; expiry and the sweeper; a store that is
// gone. Runs on the ABI's reference plugin (test/plugins/memkv_plugin.cpp); the same store on
// RAMCloud is tested through the engine (test/integration/dataplane/stores-agree.test.ts).
#include <chrono>
#include <thread>

#include "cmds.hpp"
#include "store/local_store.hpp"
#include "store/plugin_store.hpp"
#include "util.hpp"

using snf::Cmd;
using snf::LocalStore;
using snf::PluginOptions;
using snf::PluginStore;
using snf::Reply;
using snf::ScriptId;
using snf::StateStore;

namespace {

int g_space = 0;
std::unique_ptr<PluginStore> memkv(const std::string& space, const std::string& extra = "") {
  std::string err;
  auto s = PluginStore::create(PluginOptions{SNF_MEMKV_PLUGIN, "space=" + space + extra}, err);
  if (!s) std::fprintf(stderr, "memkv: %s\n", err.c_str());
  return s;
}
std::string fresh_space() { return "t" + std::to_string(++g_space); }

using cmds::get;
using cmds::script;
Cmd nat_alloc(const std::string& flow, int64_t first = 20000, int64_t count = 4, int64_t ttl = 60000) {
  return script(ScriptId::NatAlloc, {"fwd:" + flow, "cur:a"},
                {"|U|1", "rev:", "in:" + flow, "198.51.100.1", std::to_string(first), std::to_string(count), "1",
                 std::to_string(ttl), "8"});
}
// A claim of `port` for the flow, as the NAT sends one from its lease.
Cmd nat_claim(const std::string& flow, int port, int64_t ttl = 60000) {
  std::string p = std::to_string(port);
  return script(ScriptId::NatClaim, {"fwd:" + flow, "rev:" + p}, {"198.51.100.1|" + p + "|U|1", "in:" + flow, std::to_string(ttl)});
}
Cmd nat_lease(int64_t n) { return script(ScriptId::NatLease, {"cur:a"}, {std::to_string(n)}); }
Cmd nat_update(const std::string& flow, const std::string& prefix, const std::string& nv, int64_t ttl = 60000) {
  return script(ScriptId::NatUpdate, {"fwd:" + flow, "rev:x"}, {prefix, nv, "in:" + flow, std::to_string(ttl)});
}
Cmd cas(const std::string& k, const std::string& want, const std::string& v, int64_t ttl = 60000) {
  return cmds::cas(k, want, v, std::to_string(ttl));
}
Cmd lb_assign(const std::string& flow, const std::string& now, const std::string& replace = "0") {
  return script(ScriptId::LbAssign, {"lb:" + flow, "load:"},
                {"wlc", flow, now, "60000", "|S|1", "vip|", replace, "b1", "1", "lbrev:b1:" + flow, "b2", "2",
                 "lbrev:b2:" + flow});
}
std::string show(const Reply& r) {
  switch (r.type) {
    case Reply::Nil: return "nil";
    case Reply::Int: return "int:" + std::to_string(r.i);
    case Reply::Str: return "str:" + r.s;
    case Reply::Err: return "err:" + r.s;
    case Reply::Unavailable: return "unavailable";
    default: return "arr";
  }
}
std::vector<std::string> run(StateStore& s, const std::vector<Cmd>& cmds) {
  std::vector<Reply> r;
  s.execute(cmds.data(), cmds.size(), r);
  std::vector<std::string> out;
  for (size_t i = 0; i < cmds.size(); i++) out.push_back(show(r[i]));
  return out;
}

std::string one(StateStore& s, const Cmd& c) { return run(s, {c})[0]; }

}  // namespace

TEST(plugin_store_matches_local_store) {
  LocalStore local;
  auto plug = memkv(fresh_space());
  REQUIRE(plug != nullptr);
  std::string now = std::to_string(snf::now_ms());
  // Batches as the NFs send them: reads and scripts mixed, several flows, a flow's state
  // change after its creation, a lost CAS, port exhaustion, a wlc choice moved by load.
  std::vector<std::vector<Cmd>> batches = {
      {get("fwd:f1"), nat_alloc("f1"), nat_alloc("f2")},
      {get("fwd:f1"), nat_alloc("f1"), nat_update("f1", "198.51.100.1|", "198.51.100.1|20001|E|2"),
       get("fwd:f1")},
      {nat_update("f2", "203.0.113.9|", "x"), nat_update("gone", "198.51.100.1|", "x"), get("rev:20001")},
      {nat_alloc("f3"), nat_alloc("f4"), nat_alloc("f5"), nat_alloc("f6")},  // 4 ports: f6 is exhausted
      // A lease follows the allocations' cursor; a claim of a taken port makes nothing, one of
      // an existing flow returns its mapping, one of a free port makes both keys.
      {nat_lease(8), nat_claim("f7", 20000), nat_claim("f1", 20009), nat_claim("f8", 20009), get("rev:20009"),
       nat_claim("f8", 20010), get("rev:20010"), get("fwd:f7"), get("rev:20000")},
      {cas("c", "", "SS|1"), cas("c", "", "SS|2"), cas("c", "ES", "FO|1"), cas("c", "SS", "ES|3"), cas("m", "SS", "x"),
       cas("c", "*", "FI|4"), get("c")},
      {lb_assign("l1", now), lb_assign("l2", now), lb_assign("l3", now), lb_assign("l1", now)},
      {lb_assign("l1", now, "1"), get("lb:l1"), get("lbrev:b2:l2")},
      {script(ScriptId::LbUpdate, {"lb:l2", "lbrev:b2:l2", "load:b2"}, {"b2|", "b2|E|2", "vip|b2", "60000", "l2", now}),
       script(ScriptId::LbUpdate, {"lb:l2", "lbrev:b2:l2", "load:b2"}, {"b1|", "b1|E|2", "vip|b1", "60000", "l2", now}),
       get("lb:l2")},
  };
  for (size_t b = 0; b < batches.size(); b++) {
    auto want = run(local, batches[b]);
    auto got = run(*plug, batches[b]);
    CHECK_EQ(got.size(), want.size());
    for (size_t i = 0; i < want.size() && i < got.size(); i++) {
      if (got[i] != want[i]) std::fprintf(stderr, "  batch %zu cmd %zu: plugin %s, local %s\n", b, i, got[i].c_str(), want[i].c_str());
      CHECK_EQ(got[i], want[i]);
    }
  }
  CHECK(plug->stats().round_trips > 0);
  CHECK_EQ(plug->stats().errors, 0u);
}

TEST(plugin_store_two_instances_one_mapping) {
  // The second instance to see a new flow must follow the first one's port, not allocate its own.
  std::string space = fresh_space();
  auto a = memkv(space), b = memkv(space);
  REQUIRE(a != nullptr && b != nullptr);
  auto ra = run(*a, {nat_alloc("f")});
  auto rb = run(*b, {nat_alloc("f")});
  CHECK(ra[0].rfind("str:198.51.100.1|", 0) == 0);
  CHECK_EQ(rb[0], ra[0]);
  // A CAS lost to the other instance returns the value that won.
  run(*a, {cas("k", "", "SS|a")});
  CHECK_EQ(one(*b, cas("k", "", "SS|b")), std::string("str:SS|a"));
}

TEST(plugin_store_expiry_and_sweep) {
  std::string space = fresh_space();
  auto s = memkv(space);
  REQUIRE(s != nullptr);
  run(*s, {cas("short", "", "U|1", 1), cas("long", "", "U|2", 60000), nat_alloc("f", 20000, 4, 1)});
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  CHECK_EQ(one(*s, get("short")), std::string("nil"));
  CHECK_EQ(one(*s, get("long")), std::string("str:U|2"));
  // An expired object is absent for a create: the flow gets a mapping again.
  CHECK(one(*s, cas("short", "", "U|3", 1)) == "str:U|3");
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  // short, fwd:f and its reverse key are expired; long and the NAT cursor (an integer) are not.
  size_t deleted = 0, scanned = 0;
  for (int i = 0; i < 10; i++) {
    auto r = s->sweep(snf::now_ms(), 2);
    CHECK(r.ok);
    deleted += r.deleted;
    scanned += r.scanned;
    if (r.done) break;
  }
  CHECK_EQ(deleted, 3u);
  CHECK_EQ(scanned, 5u);
  auto r = s->sweep(snf::now_ms(), 100);
  CHECK_EQ(r.scanned, 2u);
  CHECK_EQ(r.deleted, 0u);
  CHECK_EQ(one(*s, get("long")), std::string("str:U|2"));
}

TEST(plugin_store_down_and_bad_plugins) {
  auto s = memkv(fresh_space(), ";down=1");
  REQUIRE(s != nullptr);
  auto r = run(*s, {get("k"), nat_alloc("f"), cas("c", "", "x")});
  for (const auto& x : r) CHECK_EQ(x, std::string("unavailable"));
  CHECK(s->stats().errors > 0);
  CHECK(s->stats().last_error.find("memkv") != std::string::npos);

  std::string err;
  CHECK(PluginStore::create(PluginOptions{"relative.so", "space=x"}, err) == nullptr);
  CHECK(err.find("absolute path") != std::string::npos);
  CHECK(PluginStore::create(PluginOptions{"/nonexistent/plugin.so", "space=x"}, err) == nullptr);
  CHECK(err.find("cannot load") != std::string::npos);
  // A library that is not a plugin: libc has no snf_store_plugin_v1.
  CHECK(PluginStore::create(PluginOptions{"/lib/x86_64-linux-gnu/libc.so.6", "space=x"}, err) == nullptr);
  CHECK(err.find("not a StatelessNF store plugin") != std::string::npos);
  // A bad config: the store is created (it retries opening), every command Unavailable, the reason kept.
  auto bad = PluginStore::create(PluginOptions{SNF_MEMKV_PLUGIN, "colour=blue"}, err);
  REQUIRE(bad != nullptr);
  CHECK_EQ(one(*bad, get("k")), std::string("unavailable"));
  CHECK(bad->stats().last_error.find("unknown key colour") != std::string::npos);
}
