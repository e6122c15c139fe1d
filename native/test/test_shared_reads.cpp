// Reads shared within one exchange, against a real redis-server: a GET behind a command of the
// same exchange whose reply is that key's value (a GET, a script or claim naming it first) takes
// that reply and is not sent; behind a write of the key, or an error, it goes out.
#include <hiredis/hiredis.h>

#include <string>
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

using cmds::cas;
using cmds::claim;
using cmds::get;
using cmds::script;

// The GETs redis-server has run since the last call.
long gets_run() {
  redisReply* r = server().command({"INFO", "commandstats"});
  long n = 0;
  if (r && r->type == REDIS_REPLY_STRING) {
    std::string s(r->str, r->len);
    size_t at = s.find("cmdstat_get:calls=");
    if (at != std::string::npos) n = std::stol(s.substr(at + 18));
  }
  if (r) freeReplyObject(r);
  freeReplyObject(server().command({"CONFIG", "RESETSTAT"}));
  return n;
}

std::vector<Reply> run(snf::RedisStore& s, std::vector<Cmd> cmds) {
  std::vector<Reply> r;
  s.execute(cmds.data(), cmds.size(), r);
  return r;
}

}  // namespace

TEST(shared_reads_take_the_claims_value) {
  REQUIRE_MSG(server().error.empty(), server().error);
  snf::RedisStore s(options(false));
  const std::string fwd = "sr:{t1}:f", rev = "sr:{t1}:r";
  gets_run();
  // A flow's first packets in one batch: the claim, then a read per later packet.
  auto r = run(s, {claim(fwd, rev, "203.0.113.1|40000|U|1", "10.0.0.5|5000|U|1"), get(fwd), get(fwd), get(fwd)});
  for (size_t i = 0; i < 4; i++) {
    CHECK(r[i].type == Reply::Str);
    CHECK_EQ(r[i].s, std::string("203.0.113.1|40000|U|1"));
  }
  CHECK_EQ(gets_run(), 0L);
  CHECK_EQ(s.stats().round_trips, 1u);
  // A claim that finds the flow made answers its value, and so do the reads behind it.
  r = run(s, {claim(fwd, "sr:{t1}:r2", "203.0.113.1|40001|U|2", "10.0.0.5|5000|U|2"), get(fwd)});
  CHECK_EQ(r[0].s, std::string("203.0.113.1|40000|U|1"));
  CHECK_EQ(r[1].s, std::string("203.0.113.1|40000|U|1"));
  CHECK_EQ(server().get("sr:{t1}:r2"), std::string("(nil)"));
}

TEST(shared_reads_a_get_behind_a_get_and_none) {
  REQUIRE_MSG(server().error.empty(), server().error);
  snf::RedisStore s(options(false));
  REQUIRE(server().set("sr:a", "A"));
  gets_run();
  auto r = run(s, {get("sr:a"), get("sr:none"), get("sr:a"), get("sr:none")});
  CHECK_EQ(r[0].s, std::string("A"));
  CHECK_EQ(r[2].s, std::string("A"));
  CHECK(r[1].type == Reply::Nil);
  CHECK(r[3].type == Reply::Nil);
  CHECK_EQ(gets_run(), 2L);
}

TEST(shared_reads_not_behind_a_write_of_the_key) {
  REQUIRE_MSG(server().error.empty(), server().error);
  snf::RedisStore s(options(false));
  const std::string fwd = "sr:{t2}:f", rev = "sr:{t2}:r";
  gets_run();
  // The reverse key read before the claim, then after it: the claim writes it (its second key),
  // so the second read goes out and sees the claim's value.
  auto r = run(s, {get(rev), claim(fwd, rev, "203.0.113.1|40002|U|1", "10.0.0.6|5000|U|1"), get(rev)});
  CHECK(r[0].type == Reply::Nil);
  CHECK_EQ(r[2].s, std::string("10.0.0.6|5000|U|1"));
  CHECK_EQ(gets_run(), 2L);
  // A script writing the key it names first: the read behind it takes its reply, which is
  // the value written, not the one read before it.
  // (cas reads in Lua, which commandstats counts as GETs too: count what the store sent.)
  REQUIRE(server().set("sr:c", "SS|o|A|1|0|1"));
  uint64_t sent = s.stats().commands;
  r = run(s, {get("sr:c"), cas("sr:c", "SS", "SR|o|A|1|7|2"), get("sr:c")});
  CHECK_EQ(r[0].s, std::string("SS|o|A|1|0|1"));
  CHECK_EQ(r[2].s, std::string("SR|o|A|1|7|2"));
  CHECK_EQ(s.stats().commands - sent, 2u);
}

TEST(shared_reads_behind_an_error_go_out) {
  REQUIRE_MSG(server().error.empty(), server().error);
  snf::RedisStore s(options(false));
  REQUIRE(server().set("sr:e", "ES|o|A|1|2|3"));
  uint64_t sent = s.stats().commands, trips = s.stats().round_trips;
  // cas refuses a TTL that is not a number: its error says nothing of the key, which is read,
  // in a round of its own.
  auto r = run(s, {cas("sr:e", "ES", "FO|o|A|1|2|4", "soon"), get("sr:e")});
  CHECK(r[0].type == Reply::Err);
  CHECK(r[1].type == Reply::Str);
  CHECK_EQ(r[1].s, std::string("ES|o|A|1|2|3"));
  CHECK_EQ(s.stats().commands - sent, 2u);
  CHECK_EQ(s.stats().round_trips - trips, 2u);
}

// Keys a script writes without naming them in KEYS: the reverse key of the port nat_alloc picks
// (under the prefix it is given) and lb_assign's reverse keys (in its arguments). A read of one
// behind the script goes out, and sees what the script wrote.
TEST(shared_reads_not_behind_a_script_writing_the_key_by_argument) {
  REQUIRE_MSG(server().error.empty(), server().error);
  snf::RedisStore s(options(false));
  // A fresh cursor: nat_alloc's first try is the port after `first` (its INCR gives 1).
  const std::string rev = "sr:{t3}:rev:20001";
  auto r = run(s, {get(rev),
                   script(snf::ScriptId::NatAlloc, {"sr:{t3}:fwd", "sr:{t3}:cur"},
                          {"|U|1", "sr:{t3}:rev:", "10.0.0.9|5000|U|1", "198.51.100.1", "20000", "4", "1", "60000", "8"}),
                   get(rev)});
  CHECK(r[0].type == Reply::Nil);
  CHECK_EQ(r[1].s, std::string("198.51.100.1|20001|U|1"));
  CHECK_EQ(r[2].s, std::string("10.0.0.9|5000|U|1"));
  // 'wlc' with no load: the backend of weight 2 (b2) is the least loaded by weight.
  const std::string lbrev = "sr:{t4}:lbrev:b2";
  r = run(s, {get(lbrev),
              script(snf::ScriptId::LbAssign, {"sr:{t4}:lb", "sr:{t4}:load:"},
                     {"wlc", "f1", "1000", "60000", "|S|1", "vip|", "0", "b1", "1", "sr:{t4}:lbrev:b1", "b2", "2", lbrev}),
              get(lbrev)});
  CHECK(r[0].type == Reply::Nil);
  CHECK_EQ(r[1].s, std::string("b2|S|1"));
  CHECK_EQ(r[2].s, std::string("vip|b2"));
}
