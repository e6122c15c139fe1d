// Split phase against a real redis-server (a private one on a free loopback port, killed by the
// fixture's destructor): RedisStore's tickets finish in any order with their own replies, the
// coherent cache never keeps a value read before a change that arrived while the read was out,
// and the engine with several batches in flight hands them back in order, each only once the
// store holds what its verdicts depend on, with the verdicts of one batch at a time.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "cmds.hpp"
#include "engine/engine.hpp"
#include "free_port.hpp"
#include "engine_fixture.hpp"
#include "nf/keys.hpp"
#include "redis_fixture.hpp"
#include "store/redis_store.hpp"
#include "util.hpp"

using frames::Bytes;
using frames::tcp_frame;
using frames::udp_frame;
using snf::Cmd;
using snf::Frame;
using snf::NfKind;
using snf::Reply;
using snf::Side;

namespace {

using redis_fixture::options;
using redis_fixture::server;

using cmds::cas;
using cmds::get;

const Side IN = Side::Inside, OUT = Side::Outside;

}  // namespace

TEST(redis_store_tickets_finish_in_any_order) {
  REQUIRE_MSG(server().error.empty(), server().error);
  REQUIRE(server().set("sp:a", "A1"));
  REQUIRE(server().set("sp:b", "B1"));
  snf::RedisStore s(options(false));
  std::vector<Cmd> c1{get("sp:a")}, c2{cas("sp:c", "", "C1|x")}, c3{get("sp:b"), get("sp:c")};
  std::vector<Reply> r1, r2, r3;
  auto t1 = s.start(c1.data(), c1.size(), r1);
  auto t2 = s.start(c2.data(), c2.size(), r2);
  auto t3 = s.start(c3.data(), c3.size(), r3);
  CHECK(t1 != 0 && t2 != 0 && t3 != 0);
  s.finish(t3);  // reads the replies of 1 and 2 on the way, into theirs
  CHECK_EQ(r3[0].s, std::string("B1"));
  CHECK_EQ(r3[1].s, std::string("C1|x"));  // sent after the create: the store applied it first
  CHECK(s.ready(t1));
  s.finish(t1);
  s.finish(t2);
  CHECK_EQ(r1[0].s, std::string("A1"));
  CHECK_EQ(r2[0].s, std::string("C1|x"));
  CHECK_EQ(s.stats().round_trips, 3u);
}

// Lane A reads a key (not cached), lane B writes it while A's read is out; A finishes last.
// A's reply predates B's write: cached, it would answer the flow's next read with the old state
// (our own writes send us no invalidation).
TEST(redis_store_never_caches_a_read_older_than_a_later_write) {
  REQUIRE_MSG(server().error.empty(), server().error);
  REQUIRE(server().set("sp:k", "SS|o|A|1|0|1"));
  snf::RedisStore s(options(true));
  std::vector<Cmd> ca{get("sp:k")}, cb{cas("sp:k", "SS", "SR|o|A|1|2|2")};
  std::vector<Reply> ra, rb;
  auto ta = s.start(ca.data(), ca.size(), ra);
  auto tb = s.start(cb.data(), cb.size(), rb);
  s.finish(tb);
  s.finish(ta);
  CHECK_EQ(ra[0].s, std::string("SS|o|A|1|0|1"));
  CHECK_EQ(rb[0].s, std::string("SR|o|A|1|2|2"));
  std::vector<Cmd> again{get("sp:k")};
  std::vector<Reply> r;
  s.execute(again.data(), again.size(), r);
  CHECK_EQ(r[0].s, std::string("SR|o|A|1|2|2"));
}

// A posted write whose value the cache takes at once (Cmd::through) is still a change for a read
// that was out before it: lane A's reply, older than the write, must not be cached over the
// write's value and refill.
TEST(redis_store_through_write_still_outdates_older_reads) {
  REQUIRE_MSG(server().error.empty(), server().error);
  REQUIRE(server().set("sp:kc", "SS|o|A|1|0|1"));
  snf::RedisStore s(options(true));
  std::vector<Cmd> ca{get("sp:kc")};
  std::vector<Reply> ra;
  auto ta = s.start(ca.data(), ca.size(), ra);
  Cmd w = cas("sp:kc", "SS", "SR|o|A|1|2|2");
  w.through = 1;
  s.post(&w, 1);
  s.send_posted();
  std::vector<Cmd> other{get("sp:kc-other")};
  std::vector<Reply> ro;
  s.execute(other.data(), other.size(), ro);  // reads the write's reply (its refill) on the way
  s.finish(ta);
  CHECK_EQ(ra[0].s, std::string("SS|o|A|1|0|1"));
  std::vector<Cmd> again{get("sp:kc")};
  std::vector<Reply> r;
  s.execute(again.data(), again.size(), r);
  CHECK_EQ(r[0].s, std::string("SR|o|A|1|2|2"));
}

namespace {

// A NAT state change as the NAT posts it: nat_update of forward and reverse, its values known
// (Cmd::through = 1: arguments 1 and 2).
Cmd nat_update_through(const std::string& fwd, const std::string& rev, const std::string& expect,
                       const std::string& fv, const std::string& rv) {
  Cmd c = cmds::script(snf::ScriptId::NatUpdate, {fwd, rev}, {expect, fv, rv, "60000"});
  c.through = 1;
  return c;
}

}  // namespace

// A posted write whose values are known answers with them at once: with Redis holding writes
// (CLIENT PAUSE WRITE), the flow's next reads cost no round trip and see the new state; once
// the write is applied its refills agree.
TEST(redis_store_through_write_answers_with_its_values_before_the_store_has_them) {
  REQUIRE_MSG(server().error.empty(), server().error);
  REQUIRE(server().set("sp:tf", "198.51.100.1|20000|E|1"));
  REQUIRE(server().set("sp:tr", "10.0.0.1|5000|E|1"));
  snf::RedisStore s(options(true));
  std::vector<Cmd> both{get("sp:tf"), get("sp:tr")};
  std::vector<Reply> r;
  s.execute(both.data(), both.size(), r);  // both cached
  redisReply* p = server().command({"CLIENT", "PAUSE", "400", "WRITE"});
  REQUIRE(p != nullptr);
  freeReplyObject(p);
  Cmd w = nat_update_through("sp:tf", "sp:tr", "198.51.100.1|20000|", "198.51.100.1|20000|F|2", "10.0.0.1|5000|F|2");
  s.post(&w, 1);
  s.send_posted();
  uint64_t rt = s.stats().round_trips;
  s.execute(both.data(), both.size(), r);
  CHECK_EQ(s.stats().round_trips, rt);
  CHECK_EQ(r[0].s, std::string("198.51.100.1|20000|F|2"));
  CHECK_EQ(r[1].s, std::string("10.0.0.1|5000|F|2"));
  CHECK_EQ(server().get("sp:tf"), std::string("198.51.100.1|20000|E|1"));  // not applied yet
  std::this_thread::sleep_for(std::chrono::milliseconds(450));
  std::vector<Cmd> other{get("sp:t-other")};
  s.execute(other.data(), other.size(), r);  // reads the refills on the way
  s.execute(both.data(), both.size(), r);
  CHECK_EQ(r[0].s, std::string("198.51.100.1|20000|F|2"));
  CHECK_EQ(r[1].s, std::string("10.0.0.1|5000|F|2"));
  CHECK_EQ(server().get("sp:tr"), std::string("10.0.0.1|5000|F|2"));
}

// ... and one the store does not apply (here the mapping is gone: nat_update answers nil) leaves
// nothing behind once its refill is in: the next read goes to the store.
TEST(redis_store_through_write_not_applied_is_taken_out_by_its_refill) {
  REQUIRE_MSG(server().error.empty(), server().error);
  snf::RedisStore s(options(true));
  std::vector<Reply> r;
  std::vector<Cmd> other{get("sp:g-other")};
  s.execute(other.data(), other.size(), r);  // connected, tracking on
  Cmd w = nat_update_through("sp:gf", "sp:gr", "198.51.100.1|20001|", "198.51.100.1|20001|F|2", "10.0.0.2|5000|F|2");
  s.post(&w, 1);
  s.send_posted();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  s.execute(other.data(), other.size(), r);  // reads the refill: nil
  uint64_t rt = s.stats().round_trips;
  std::vector<Cmd> f{get("sp:gf")};
  s.execute(f.data(), f.size(), r);
  CHECK_EQ(static_cast<int>(r[0].type), static_cast<int>(Reply::Nil));
  CHECK_EQ(s.stats().round_trips, rt + 1);
}

// A posted GET whose value the NF knows (Cmd::through = 0: a reverse key its creating script
// named itself) answers with it at once; its reply, a refill, then puts what the store holds.
TEST(redis_store_posted_get_with_a_known_value_answers_before_its_reply) {
  REQUIRE_MSG(server().error.empty(), server().error);
  REQUIRE(server().set("sp:kv", "in-store"));
  snf::RedisStore s(options(true));
  std::vector<Reply> r;
  std::vector<Cmd> other{get("sp:kv-other")};
  s.execute(other.data(), other.size(), r);  // connected, tracking on
  redisReply* p = server().command({"CLIENT", "PAUSE", "300", "ALL"});  // the GET waits
  REQUIRE(p != nullptr);
  freeReplyObject(p);
  Cmd g = get("sp:kv");
  g.args = {"known"};
  g.through = 0;
  s.post(&g, 1);
  s.send_posted();
  uint64_t rt = s.stats().round_trips;
  std::vector<Cmd> k{get("sp:kv")};
  s.execute(k.data(), k.size(), r);
  CHECK_EQ(s.stats().round_trips, rt);
  CHECK_EQ(r[0].s, std::string("known"));
  std::this_thread::sleep_for(std::chrono::milliseconds(350));
  s.execute(other.data(), other.size(), r);  // reads the GET's reply on the way
  s.execute(k.data(), k.size(), r);
  CHECK_EQ(r[0].s, std::string("in-store"));
  CHECK_EQ(s.stats().round_trips, rt + 1);  // the other key's read only
}

namespace {

// Whether the fixture's own client finds `key` holding `want` within `ms` (a write sent on the
// store's connection is applied when Redis reads it, which this client cannot order itself after).
bool store_gets(const std::string& key, const std::string& want, int ms) {
  for (int waited = 0;; waited += 5) {
    if (server().get(key) == want) return true;
    if (waited >= ms) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace

// Posts wait in their connection's output buffer for an exchange on their node, post_hold_us at
// most: the end of a batch (send_posted_due) writes them only once that long has passed, a drain
// of invalidations does not write them, an exchange carries them ahead of its own commands, and
// send_posted (the engine's flush) writes them at once.
TEST(redis_store_holds_posts_for_the_next_exchange) {
  REQUIRE_MSG(server().error.empty(), server().error);
  REQUIRE(server().set("ph:cached", "C"));
  snf::RedisOptions o = options(true);
  o.post_hold_us = 5 * 1000 * 1000;
  snf::RedisStore s(o);
  std::vector<Reply> r;
  std::vector<Cmd> cached{get("ph:cached")}, other{get("ph:other")};
  s.execute(cached.data(), cached.size(), r);  // connected, tracking on, "ph:cached" cached
  uint64_t rt = s.stats().round_trips;

  Cmd a = cas("ph:a", "", "A1|x");
  s.post(&a, 1);
  s.send_posted_due();
  s.execute(cached.data(), cached.size(), r);  // a cache hit: drains invalidations, no exchange
  CHECK_EQ(s.stats().round_trips, rt);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK_EQ(server().get("ph:a"), std::string("(nil)"));
  s.execute(other.data(), other.size(), r);  // carries the post; answered after it
  CHECK_EQ(server().get("ph:a"), std::string("A1|x"));

  Cmd b = cas("ph:b", "", "B1|x");
  s.post(&b, 1);
  s.send_posted_due();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK_EQ(server().get("ph:b"), std::string("(nil)"));
  s.send_posted();
  CHECK(store_gets("ph:b", "B1|x", 2000));
}

// An exchange that carried the held posts restarts the hold: a post queued after it waits its
// own post_hold_us, not what is left of the one before.
TEST(redis_store_holds_a_post_after_an_exchange_afresh) {
  REQUIRE_MSG(server().error.empty(), server().error);
  snf::RedisOptions o = options(false);
  o.post_hold_us = 500 * 1000;
  snf::RedisStore s(o);
  std::vector<Reply> r;
  std::vector<Cmd> other{get("ph:other")};
  s.execute(other.data(), other.size(), r);
  Cmd e = cas("ph:e", "", "E1|x");
  s.post(&e, 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  s.execute(other.data(), other.size(), r);  // carries the first post, older than the hold
  CHECK_EQ(server().get("ph:e"), std::string("E1|x"));
  Cmd f = cas("ph:f", "", "F1|x");
  s.post(&f, 1);
  s.send_posted_due();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK_EQ(server().get("ph:f"), std::string("(nil)"));
  s.send_posted();
  CHECK(store_gets("ph:f", "F1|x", 2000));
}

TEST(redis_store_writes_held_posts_once_the_hold_has_passed) {
  REQUIRE_MSG(server().error.empty(), server().error);
  snf::RedisOptions o = options(false);
  o.post_hold_us = 30 * 1000;
  snf::RedisStore s(o);
  std::vector<Reply> r;
  std::vector<Cmd> other{get("ph:other")};
  s.execute(other.data(), other.size(), r);
  Cmd c = cas("ph:c", "", "C1|x");
  s.post(&c, 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  s.send_posted_due();
  CHECK(store_gets("ph:c", "C1|x", 2000));

  o.post_hold_us = 0;  // no hold: the end of every batch writes its posts
  snf::RedisStore now(o);
  now.execute(other.data(), other.size(), r);
  Cmd d = cas("ph:d", "", "D1|x");
  now.post(&d, 1);
  now.send_posted_due();
  CHECK(store_gets("ph:d", "D1|x", 2000));
}

// The same with another instance's change: its invalidation is drained (by a later exchange)
// before the read's exchange finishes.
TEST(redis_store_never_caches_a_read_older_than_an_invalidation) {
  REQUIRE_MSG(server().error.empty(), server().error);
  REQUIRE(server().set("sp:i", "old"));
  snf::RedisStore s(options(true));
  std::vector<Cmd> warm{get("sp:i")};
  std::vector<Reply> w;
  s.execute(warm.data(), warm.size(), w);  // connects, and tracking starts
  REQUIRE(server().set("sp:i", "old2"));  // invalidates it: the next read goes to the store
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::vector<Cmd> other{get("sp:other")};
  std::vector<Reply> ro;
  s.execute(other.data(), other.size(), ro);  // drains that invalidation
  std::vector<Cmd> ca{get("sp:i")};
  std::vector<Reply> ra;
  auto ta = s.start(ca.data(), ca.size(), ra);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // the GET has run
  REQUIRE(server().set("sp:i", "new"));                       // another instance changes it
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // its invalidation is here
  std::vector<Cmd> cb{get("sp:other")};
  std::vector<Reply> rb;
  auto tb = s.start(cb.data(), cb.size(), rb);  // drains it, before A is finished
  s.finish(ta);
  s.finish(tb);
  CHECK_EQ(ra[0].s, std::string("old2"));
  std::vector<Reply> r;
  s.execute(ca.data(), ca.size(), r);
  CHECK_EQ(r[0].s, std::string("new"));
}

namespace {

std::unique_ptr<snf::Engine> redis_engine(std::vector<NfKind> chain, const std::string& vnf, bool cache, size_t inflight) {
  snf::EngineCfg cfg = fixture::config(std::move(chain));
  cfg.vnf = vnf;
  auto e = std::make_unique<snf::Engine>(cfg, std::make_unique<snf::RedisStore>(options(cache)));
  e->set_inflight(inflight);
  return e;
}

struct Batch {
  std::vector<Bytes> bytes;
  std::vector<Frame> fs;
  Batch(std::vector<Bytes> b, Side side) : bytes(std::move(b)) {
    for (auto& x : bytes) fs.push_back(Frame{x.data(), static_cast<uint32_t>(x.size()), side});
  }
};

}  // namespace

// Without the cache every read goes to the store, so a lane that waits for its reads has not
// sent its writes when the next lane's reads go out. [ACK] then [the responder's data] in
// flight together: judged against SR (the ACK's transition not written yet) the data would be
// dropped; the firewall's lanes keep their connections' order, and both leave, as one batch at
// a time.
TEST(engine_in_flight_keeps_the_firewalls_order) {
  REQUIRE_MSG(server().error.empty(), server().error);
  auto e = redis_engine({NfKind::Firewall}, "sp-fw", false, 4);
  Batch syn({tcp_frame("10.0.0.5", 40300, "203.0.113.9", 80, snf::TCP_SYN, 100)}, IN);
  e->submit(syn.fs.data(), syn.fs.size());
  CHECK(e->reap(true) != 0);
  REQUIRE(syn.fs[0].forward);
  Batch synack({tcp_frame("203.0.113.9", 80, "10.0.0.5", 40300, snf::TCP_SYN | snf::TCP_ACK, 7, 101)}, OUT);
  e->submit(synack.fs.data(), synack.fs.size());
  CHECK(e->reap(true) != 0);
  REQUIRE(synack.fs[0].forward);
  Batch ack({tcp_frame("10.0.0.5", 40300, "203.0.113.9", 80, snf::TCP_ACK, 101, 8)}, IN);
  Batch data({tcp_frame("203.0.113.9", 80, "10.0.0.5", 40300, snf::TCP_ACK | snf::TCP_PSH, 8, 101)}, OUT);
  uint64_t a = e->submit(ack.fs.data(), ack.fs.size());
  uint64_t d = e->submit(data.fs.data(), data.fs.size());
  CHECK(a != 0 && d == a + 1);
  CHECK_EQ(e->reap(true), a);
  CHECK_EQ(e->reap(true), d);
  CHECK_MSG(ack.fs[0].forward, std::string("ACK: ") + snf::drop_name(ack.fs[0].reason));
  CHECK_MSG(data.fs[0].forward, std::string("data: ") + snf::drop_name(data.fs[0].reason));
  CHECK_EQ(e->reap(true), 0u);
}

// Batches come back in the order they went in, and a batch comes back only once the store
// holds what its verdicts depend on: every new flow's NAT mapping is in Redis when its batch is
// reaped. Several lanes creating the same flow meet in the store's find-or-create: one mapping.
TEST(engine_in_flight_reaps_in_order_after_the_writes) {
  REQUIRE_MSG(server().error.empty(), server().error);
  auto e = redis_engine({NfKind::Nat}, "sp-nat", true, 4);
  std::vector<Batch> bs;
  bs.reserve(12);
  for (int k = 0; k < 12; k++) {
    std::vector<Bytes> b;
    for (int j = 0; j < 8; j++) b.push_back(udp_frame("10.0.1.1", static_cast<uint16_t>(30000 + k * 8 + j), "203.0.113.53", 53));
    b.push_back(udp_frame("10.0.2.2", 5353, "203.0.113.53", 53));  // one flow in every batch
    bs.emplace_back(std::move(b), IN);
  }
  std::vector<uint64_t> seqs;
  size_t next = 0, reaped = 0;
  std::string shared_src;
  uint16_t shared_port = 0;
  auto check_reaped = [&](uint64_t seq) {
    CHECK_EQ(seq, seqs[reaped]);
    Batch& b = bs[reaped++];
    for (size_t j = 0; j < b.fs.size(); j++) {
      REQUIRE_MSG(b.fs[j].forward, std::string("dropped: ") + snf::drop_name(b.fs[j].reason));
      snf::Packet p;
      REQUIRE(t::parse(b.bytes[j], p) == snf::Drop::None);
      const std::string inside = j + 1 == b.fs.size() ? "10.0.2.2" : "10.0.1.1";
      const uint16_t port = j + 1 == b.fs.size() ? 5353 : static_cast<uint16_t>(30000 + (reaped - 1) * 8 + j);
      std::string key = "snf:sp-nat:nat:f:{sp-nat|" + p.ip.src.str() + "|" +
                        std::to_string(snf::hash_endpoint(17, frames::A(inside.c_str()), port) % 4) + "}:17:" + inside + ":" + std::to_string(port);
      std::string v = server().get(key);
      CHECK_MSG(v.compare(0, p.ip.src.str().size() + 1, p.ip.src.str() + "|") == 0, "mapping in the store: " + key + " = " + v);
      if (j + 1 == b.fs.size()) {
        if (shared_src.empty()) {
          shared_src = p.ip.src.str();
          shared_port = p.ip.sport;
        }
        CHECK(p.ip.src.str() == shared_src && p.ip.sport == shared_port);
      }
    }
  };
  while (reaped < bs.size()) {
    if (next < bs.size() && e->in_flight() < e->inflight()) {
      seqs.push_back(e->submit(bs[next].fs.data(), bs[next].fs.size()));
      next++;
      continue;
    }
    check_reaped(e->reap(true));
  }
  CHECK_EQ(e->counters().batches, 12u);
  CHECK_EQ(e->counters().tx, 12u * 9u);
}

namespace {

// A pass-through that counts the creating commands the engine sends (create-on-read scripts
// and claims), whichever way they go out.
class CountCreates final : public snf::StateStore {
 public:
  explicit CountCreates(std::unique_ptr<snf::StateStore> s) : s_(std::move(s)) {}
  void execute(const Cmd* c, size_t n, std::vector<Reply>& r) override {
    count(c, n);
    s_->execute(c, n, r);
  }
  Ticket start(const Cmd* c, size_t n, std::vector<Reply>& r) override {
    count(c, n);
    return s_->start(c, n, r);
  }
  void finish(Ticket t) override { s_->finish(t); }
  bool ready(Ticket t) override { return s_->ready(t); }
  bool splits() const override { return s_->splits(); }
  void post(const Cmd* c, size_t n) override {
    count(c, n);
    s_->post(c, n);
  }
  void send_posted() override { s_->send_posted(); }
  void send_posted_due() override { s_->send_posted_due(); }
  const snf::StoreStats& stats() const override { return s_->stats(); }
  int shards() const override { return s_->shards(); }
  const snf::CacheStats* cache_stats() const override { return s_->cache_stats(); }
  bool cache_miss(const std::string& key) const override { return s_->cache_miss(key); }
  size_t creates = 0;

 private:
  void count(const Cmd* c, size_t n) {
    for (size_t i = 0; i < n; i++) {
      if (c[i].op != Cmd::Script) continue;
      snf::ScriptId id = c[i].script;
      bool create_cas = id == snf::ScriptId::Cas && !c[i].args.empty() && c[i].args[0].empty();
      if (id == snf::ScriptId::NatClaim || id == snf::ScriptId::NatAlloc || id == snf::ScriptId::LbAssign || create_cas)
        creates++;
    }
  }
  std::unique_ptr<snf::StateStore> s_;
};

}  // namespace

// A flow's next packet in a later batch in flight, sent before the batch holding its first
// packet has its answer, reads the flow (a GET behind the creating write, on the same
// connection) instead of creating it again: the keys an instance created lately are the
// instance's, not each lane's. Redis holds writes meanwhile (CLIENT PAUSE WRITE), so the first
// batch's answer cannot come before the second is sent. NAT (claim or allocation) and the LB
// (assignment) each sent two before; the firewall (a UDP pseudo-connection), whose lanes keep a
// connection's batches in order, creates once either way and is checked alongside.
TEST(engine_in_flight_creates_a_flow_once_across_lanes) {
  REQUIRE_MSG(server().error.empty(), server().error);
  struct Case {
    NfKind nf;
    Bytes first, next;
    Side in;
  };
  std::vector<Case> cases = {
      {NfKind::Nat, udp_frame("10.0.7.7", 5000, "203.0.113.53", 53), udp_frame("10.0.7.7", 5000, "203.0.113.53", 53), IN},
      {NfKind::Lb, tcp_frame("203.0.113.70", 41000, "192.0.2.10", 80, snf::TCP_SYN, 1),
       tcp_frame("203.0.113.70", 41000, "192.0.2.10", 80, snf::TCP_SYN, 1), OUT},
      {NfKind::Firewall, udp_frame("10.0.7.8", 5001, "203.0.113.53", 53), udp_frame("10.0.7.8", 5001, "203.0.113.53", 53), IN},
  };
  int k = 0;
  for (Case& c : cases) {
    snf::EngineCfg cfg = fixture::config({c.nf});
    cfg.vnf = "sp-once-" + std::to_string(k++) + "-" + std::to_string(::getpid());
    auto store = std::make_unique<CountCreates>(std::make_unique<snf::RedisStore>(options(true)));
    CountCreates* seen = store.get();
    snf::Engine e(cfg, std::move(store));
    e.set_inflight(2);
    Batch a({c.first}, c.in), b({c.next}, c.in);
    redisReply* p = server().command({"CLIENT", "PAUSE", "200", "WRITE"});
    REQUIRE(p != nullptr);
    freeReplyObject(p);
    uint64_t sa = e.submit(a.fs.data(), a.fs.size());
    uint64_t sb = e.submit(b.fs.data(), b.fs.size());
    REQUIRE(sa != 0 && sb == sa + 1);
    CHECK_EQ(e.reap(true), sa);
    CHECK_EQ(e.reap(true), sb);
    std::string nf = snf::nf_name(c.nf);
    CHECK_MSG(a.fs[0].forward, nf + " first: " + snf::drop_name(a.fs[0].reason));
    CHECK_MSG(b.fs[0].forward, nf + " next: " + snf::drop_name(b.fs[0].reason));
    CHECK_MSG(a.bytes[0] == b.bytes[0], nf + ": both packets leave rewritten alike");
    CHECK_MSG(seen->creates == 1, nf + ": creating commands sent: " + std::to_string(seen->creates));
  }
}
