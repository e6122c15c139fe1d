// A NAT claim as RedisStore sends it to a real redis-server (Redis 7: MULTI ... EXEC, no Lua):
// it creates both keys or neither, and with the coherent cache leaves both cached, so the
// flow's first reply reads its reverse key without a round trip and nothing is posted to warm it.
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "cmds.hpp"
#include "redis_fixture.hpp"
#include "store/redis_store.hpp"
#include "util.hpp"

using redis_fixture::options;
using redis_fixture::server;
using snf::Cmd;
using snf::Reply;

namespace {

using cmds::claim;
using cmds::get;

Reply run(snf::RedisStore& s, Cmd c) {
  std::vector<Reply> r;
  s.execute(&c, 1, r);
  return r[0];
}

}  // namespace

TEST(redis_claim_leaves_both_keys_cached) {
  REQUIRE_MSG(server().error.empty(), server().error);
  snf::RedisStore s(options(true));
  const std::string fwd = "rc:{t1}:f", rev = "rc:{t1}:r";
  Reply made = run(s, claim(fwd, rev, "203.0.113.1|40000|S|1", "10.0.0.5|5000|S|1"));
  REQUIRE(made.type == Reply::Str);
  CHECK_EQ(made.s, std::string("203.0.113.1|40000|S|1"));
  CHECK_EQ(server().get(rev), std::string("10.0.0.5|5000|S|1"));
  // Both answered from the cache: no round trip.
  uint64_t rt = s.stats().round_trips;
  CHECK_EQ(run(s, get(rev)).s, std::string("10.0.0.5|5000|S|1"));
  CHECK_EQ(run(s, get(fwd)).s, std::string("203.0.113.1|40000|S|1"));
  CHECK_EQ(s.stats().round_trips, rt);
  // The NAT's warming GET of the reverse key is not sent: the cache holds it.
  uint64_t sent = s.stats().commands;
  Cmd warm = get(rev);
  s.post(&warm, 1);
  s.send_posted();
  CHECK_EQ(s.stats().commands, sent);
  // Tracked, not just kept: another client's change reaches the cache.
  REQUIRE(server().set(rev, "changed"));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK_EQ(run(s, get(rev)).s, std::string("changed"));
}

TEST(redis_claim_of_a_taken_port_creates_nothing) {
  REQUIRE_MSG(server().error.empty(), server().error);
  snf::RedisStore s(options(true));
  const std::string fwd = "rc:{t2}:f", rev = "rc:{t2}:r";
  REQUIRE(server().set(rev, "10.0.0.9|6000|E|1"));  // the port is another flow's
  Reply lost = run(s, claim(fwd, rev, "203.0.113.1|40001|S|1", "10.0.0.5|5001|S|1"));
  CHECK(lost.type == Reply::Nil);
  CHECK_EQ(server().get(fwd), std::string("(nil)"));
  CHECK_EQ(server().get(rev), std::string("10.0.0.9|6000|E|1"));
  // The reverse key read in the transaction is the other flow's, as the store holds it.
  CHECK_EQ(run(s, get(rev)).s, std::string("10.0.0.9|6000|E|1"));
}
