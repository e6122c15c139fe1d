// ClusterRouter on its own: key slots as the Redis Cluster specification computes them, a
// CLUSTER SLOTS reply becoming the slot map, and what MOVED and ASK change. The cluster tests in
// test/integration/dataplane/cluster.test.ts drive the same code against real clusters.
#include <string>

#include "check.hpp"
#include "store/cluster_router.hpp"
#include "store/script_registry.hpp"

using snf::ClusterRouter;
using snf::Reply;

namespace {

Reply str(const std::string& s) {
  Reply r;
  r.type = Reply::Str;
  r.s = s;
  return r;
}
Reply num(int64_t i) {
  Reply r;
  r.type = Reply::Int;
  r.i = i;
  return r;
}
Reply arr(std::vector<Reply> a) {
  Reply r;
  r.type = Reply::Arr;
  r.a = std::move(a);
  return r;
}
// One range of a CLUSTER SLOTS reply: [first, last, [host, port, id]].
Reply range(int64_t first, int64_t last, const std::string& host, int64_t port) {
  return arr({num(first), num(last), arr({str(host), num(port), str("0123abcd")})});
}
snf::Cmd get(const std::string& key) {
  snf::Cmd c;
  c.get(key);
  return c;
}

}  // namespace

TEST(router_key_slot_follows_the_cluster_spec) {
  // The specification's CRC16 check value, and its hash tag examples.
  CHECK_EQ(ClusterRouter::key_slot("123456789"), 0x31C3 & 16383);
  CHECK_EQ(ClusterRouter::key_slot("{user1000}.following"), ClusterRouter::key_slot("{user1000}.followers"));
  CHECK_EQ(ClusterRouter::key_slot("{user1000}.following"), ClusterRouter::key_slot("user1000"));
  // The CLUSTER KEYSLOT reference's examples.
  CHECK_EQ(ClusterRouter::key_slot("somekey"), 11058);
  CHECK_EQ(ClusterRouter::key_slot("foo{hash_tag}"), 2515);
  CHECK_EQ(ClusterRouter::key_slot("bar{hash_tag}"), 2515);
  CHECK(ClusterRouter::key_slot("foo{}{bar}") != ClusterRouter::key_slot("bar"));  // empty tag: whole key
  CHECK_EQ(ClusterRouter::key_slot("foo{{bar}}zap"), ClusterRouter::key_slot("{bar"));
  CHECK_EQ(ClusterRouter::key_slot("foo{bar}{zap}"), ClusterRouter::key_slot("bar"));
}

TEST(router_parses_node_addresses) {
  std::string h;
  int p = -1;
  CHECK(ClusterRouter::split_host_port("10.0.0.1:6379", h, p));
  CHECK_EQ(h, std::string("10.0.0.1"));
  CHECK_EQ(p, 6379);
  CHECK(ClusterRouter::split_host_port("[fd00::1]:7001", h, p));
  CHECK_EQ(h, std::string("fd00::1"));
  CHECK_EQ(p, 7001);
  CHECK(ClusterRouter::split_host_port("unix:/run/redis.sock", h, p));
  CHECK_EQ(h, std::string("/run/redis.sock"));
  CHECK_EQ(p, 0);
  CHECK(!ClusterRouter::split_host_port("10.0.0.1", h, p));
  CHECK(!ClusterRouter::split_host_port(":6379", h, p));
  CHECK(!ClusterRouter::split_host_port("10.0.0.1:0", h, p));
  CHECK(!ClusterRouter::split_host_port("10.0.0.1:65536", h, p));
}

TEST(router_without_cluster_sends_everything_to_the_first_node) {
  ClusterRouter r(false);
  CHECK_EQ(r.route(get("a")), -1);  // no node yet
  CHECK_EQ(r.node_for("127.0.0.1", 7000), 0);
  CHECK_EQ(r.node_for("127.0.0.1", 7001), 1);
  CHECK_EQ(r.node_for("127.0.0.1", 7000), 0);  // met before: same index
  CHECK_EQ(r.route(get("a")), 0);
  CHECK_EQ(r.route(get("{x}b")), 0);
  CHECK_EQ(r.shards(), 1);
  r.mark_stale();
  CHECK(!r.needs_refresh());  // nothing to refresh without a cluster
}

TEST(router_takes_the_slot_map_from_cluster_slots) {
  ClusterRouter r(true);
  int seed = r.node_for("127.0.0.1", 7000);
  CHECK(r.needs_refresh());
  CHECK_EQ(r.route(get("a")), -1);
  CHECK(!r.apply_slots(str("ERR This instance has cluster support disabled"), seed));
  CHECK(r.needs_refresh());
  // An empty host means the node asked; a malformed range is skipped.
  Reply slots = arr({range(0, 5460, "", 7000), range(5461, 10922, "127.0.0.1", 7001),
                     range(10923, 16383, "127.0.0.2", 7002), arr({num(1), num(2)})});
  CHECK(r.apply_slots(slots, seed));
  CHECK(!r.needs_refresh());
  CHECK_EQ(r.nodes(), size_t{3});
  CHECK_EQ(r.addr(2).name(), std::string("127.0.0.2:7002"));
  CHECK_EQ(r.shards(), 3);
  // "123456789" is slot 12739 (the third range), "{user1000}" slot 1649 (the first).
  CHECK_EQ(r.route(get("123456789")), 2);
  CHECK_EQ(r.route(get("{user1000}.following")), 0);
  CHECK_EQ(r.route(get("{123456789}x")), 2);
}

TEST(router_moved_moves_the_slot_and_ask_leaves_it) {
  ClusterRouter r(true);
  int seed = r.node_for("127.0.0.1", 7000);
  CHECK(r.apply_slots(arr({range(0, 16383, "127.0.0.1", 7000)}), seed));
  ClusterRouter::Redirect to;
  CHECK(!r.redirect("ERR unknown command", &to));
  CHECK(!r.redirect("NOSCRIPT No matching script", &to));

  CHECK(r.redirect("ASK 12739 127.0.0.1:7001", &to));
  CHECK(to.ask);
  CHECK_EQ(to.node, 1);
  CHECK_EQ(r.route(get("123456789")), 0);  // ASK: only this command goes elsewhere
  CHECK(!r.needs_refresh());

  CHECK(r.redirect("MOVED 12739 127.0.0.1:7001", &to));
  CHECK(!to.ask);
  CHECK_EQ(to.node, 1);
  CHECK_EQ(r.route(get("123456789")), 1);
  CHECK_EQ(r.route(get("{user1000}")), 0);  // other slots stay until the map is refreshed
  CHECK(r.needs_refresh());

  CHECK(r.redirect("MOVED 12739 nowhere", &to));  // a redirect, but nowhere to go: dropped
  CHECK_EQ(to.node, -1);
}

TEST(router_marks_the_map_stale_on_a_posted_moved) {
  ClusterRouter r(true);
  int seed = r.node_for("127.0.0.1", 7000);
  CHECK(r.apply_slots(arr({range(0, 16383, "127.0.0.1", 7000)}), seed));
  std::string e = "ERR wrong number of arguments";
  r.note_posted_error(e.data(), e.size());
  CHECK(!r.needs_refresh());
  e = "MOVED 1 127.0.0.1:7001";
  r.note_posted_error(e.data(), e.size());
  CHECK(r.needs_refresh());
}

TEST(script_registry_calls_by_sha_and_falls_back_to_the_body) {
  snf::ScriptRegistry reg;
  std::vector<std::string> loaded;
  std::string err;
  // What a node answers to SCRIPT LOAD: the body's SHA1 (any string stands for it here).
  CHECK(reg.load(
      [&](const std::vector<std::string>& argv, Reply& out) {
        loaded.push_back(argv.at(2));
        out = str("sha-" + std::to_string(loaded.size()));
        return true;
      },
      &err));
  CHECK_EQ(loaded.size(), static_cast<size_t>(snf::ScriptId::Count));
  snf::ScriptRegistry::Head h = reg.head(snf::ScriptId::Cas, false);
  CHECK_EQ(std::string(h.verb, h.verb_len), std::string("EVALSHA"));
  CHECK_EQ(std::string(h.ref, h.ref_len), "sha-" + std::to_string(static_cast<int>(snf::ScriptId::Cas) + 1));
  h = reg.head(snf::ScriptId::Cas, true);
  CHECK_EQ(std::string(h.verb, h.verb_len), std::string("EVAL"));
  CHECK_EQ(std::string(h.ref, h.ref_len), std::string(snf::script_lua(snf::ScriptId::Cas)));
  CHECK(snf::ScriptRegistry::needs_body("NOSCRIPT No matching script. Please use EVAL."));
  CHECK(!snf::ScriptRegistry::needs_body("ERR Error running script"));

  // A node that refuses (an ACL user without the scripting category) names the reason.
  CHECK(!reg.load(
      [&](const std::vector<std::string>&, Reply& out) {
        out.type = Reply::Err;
        out.s = "NOPERM this user has no permissions to run the 'script|load' command";
        return true;
      },
      &err));
  CHECK_EQ(err, std::string("SCRIPT LOAD: NOPERM this user has no permissions to run the 'script|load' command"));
}
