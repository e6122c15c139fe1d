// A fixed engine configuration (NAT, firewall, LB) over a LocalStore, shared by the end-to-end
// tests and the NF fuzzers so both exercise the same tables.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "engine/engine.hpp"
#include "frames.hpp"
#include "store/local_store.hpp"

namespace fixture {

inline snf::Prefix prefix(const char* s) {
  snf::Prefix p;
  if (!snf::Prefix::parse(s, p)) throw std::invalid_argument(s);
  return p;
}

// Inside 10.0.0.0/8 and 2001:db8:a::/48, NAT pool 198.51.100.1-2 / 2001:db8:ff::1, a firewall
// that lets the inside open anything and the outside reach only TCP 22 on 10.0.0.22, and a VIP
// 192.0.2.10:80 (TCP) plus [2001:db8:b::10]:53 (UDP).
inline snf::EngineCfg config(std::vector<snf::NfKind> chain, bool maglev = false) {
  using frames::A;
  snf::EngineCfg c;
  c.vnf = "t";
  c.instance = "i1";
  c.chain = std::move(chain);
  c.nat.inside = {prefix("10.0.0.0/8"), prefix("2001:db8:a::/48")};
  c.nat.pool4 = {A("198.51.100.1"), A("198.51.100.2")};
  c.nat.pool6 = {A("2001:db8:ff::1")};
  c.nat.port_lo = 20000;
  c.nat.port_hi = 29999;
  c.nat.shards = 4;
  snf::FwRule out;
  out.allow = true;
  out.dir = 1;
  snf::FwRule ssh;
  ssh.allow = true;
  ssh.dir = 2;
  ssh.proto = 6;
  ssh.dst = {prefix("10.0.0.22/32")};
  ssh.dports = {{22, 22}};
  c.fw.rules = {out, ssh};
  c.fw.default_allow = false;
  snf::LbVip web;
  web.id = "web";
  web.addr = A("192.0.2.10");
  web.port = 80;
  web.proto = 6;
  for (int i = 0; i < 3; i++) {
    snf::LbBackend b;
    b.id = "web-" + std::to_string(i);
    b.addr = A(("10.1.0." + std::to_string(i + 1)).c_str());
    b.port = i == 2 ? 0 : 8080;  // 0: the VIP's port
    b.weight = i + 1;
    web.backends.push_back(b);
  }
  snf::LbVip dns;
  dns.id = "dns";
  dns.addr = A("2001:db8:b::10");
  dns.port = 53;
  dns.proto = 17;
  for (int i = 0; i < 2; i++) {
    snf::LbBackend b;
    b.id = "dns-" + std::to_string(i);
    b.addr = A(("2001:db8:b::" + std::to_string(100 + i)).c_str());
    b.port = 5353;
    dns.backends.push_back(b);
  }
  c.lb.vips = {web, dns};
  c.lb.maglev = maglev;
  c.lb.table_size = 251;
  return c;
}

inline std::unique_ptr<snf::Engine> engine(const snf::EngineCfg& c) {
  return std::make_unique<snf::Engine>(c, std::make_unique<snf::LocalStore>());
}

}  // namespace fixture
