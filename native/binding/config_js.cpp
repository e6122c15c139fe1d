#include "config_js.hpp"

#include <cmath>

namespace snf {
namespace {

struct Ctx {
  std::string err;
  bool fail(const std::string& path, const std::string& why) {
    if (err.empty()) err = path + ": " + why;
    return false;
  }
};

bool get_str(Ctx& c, const Napi::Object& o, const char* k, const std::string& path, std::string& out, bool required) {
  Napi::Value v = o.Get(k);
  if (v.IsUndefined() || v.IsNull()) return required ? c.fail(path + k, "is required") : true;
  if (!v.IsString()) return c.fail(path + k, "must be a string");
  out = v.As<Napi::String>().Utf8Value();
  return true;
}

bool get_int(Ctx& c, const Napi::Object& o, const char* k, const std::string& path, int64_t& out, int64_t lo,
             int64_t hi) {
  Napi::Value v = o.Get(k);
  if (v.IsUndefined() || v.IsNull()) return true;
  if (!v.IsNumber()) return c.fail(path + k, "must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (std::floor(d) != d || d < static_cast<double>(lo) || d > static_cast<double>(hi))
    return c.fail(path + k, "must be an integer in " + std::to_string(lo) + ".." + std::to_string(hi));
  out = static_cast<int64_t>(d);
  return true;
}

bool get_array(Ctx& c, const Napi::Object& o, const char* k, const std::string& path, Napi::Array& out) {
  Napi::Value v = o.Get(k);
  if (v.IsUndefined() || v.IsNull()) {
    out = Napi::Array::New(o.Env());
    return true;
  }
  if (!v.IsArray()) return c.fail(path + k, "must be an array");
  out = v.As<Napi::Array>();
  return true;
}

bool prefixes(Ctx& c, const Napi::Object& o, const char* k, const std::string& path, std::vector<Prefix>& out) {
  Napi::Array a;
  if (!get_array(c, o, k, path, a)) return false;
  for (uint32_t i = 0; i < a.Length(); i++) {
    std::string p = path + k + "[" + std::to_string(i) + "]";
    Napi::Value v = a.Get(i);
    Prefix pf;
    if (!v.IsString() || !Prefix::parse(v.As<Napi::String>().Utf8Value(), pf)) return c.fail(p, "must be an IP prefix");
    out.push_back(pf);
  }
  return true;
}

bool port_ranges(Ctx& c, const Napi::Object& o, const char* k, const std::string& path, std::vector<PortRange>& out) {
  Napi::Array a;
  if (!get_array(c, o, k, path, a)) return false;
  for (uint32_t i = 0; i < a.Length(); i++) {
    std::string p = path + k + "[" + std::to_string(i) + "]";
    Napi::Value v = a.Get(i);
    if (!v.IsArray() || v.As<Napi::Array>().Length() != 2) return c.fail(p, "must be [low, high]");
    Napi::Array r = v.As<Napi::Array>();
    Napi::Value lo = r.Get(0u), hi = r.Get(1u);
    if (!lo.IsNumber() || !hi.IsNumber()) return c.fail(p, "must be [low, high]");
    double l = lo.As<Napi::Number>().DoubleValue(), h = hi.As<Napi::Number>().DoubleValue();
    if (l < 0 || h > 65535 || l > h || std::floor(l) != l || std::floor(h) != h)
      return c.fail(p, "must be ports 0..65535 with low <= high");
    out.emplace_back(static_cast<uint16_t>(l), static_cast<uint16_t>(h));
  }
  return true;
}

bool addr(Ctx& c, const Napi::Object& o, const char* k, const std::string& path, Addr& out) {
  std::string s;
  if (!get_str(c, o, k, path, s, true)) return false;
  if (!Addr::parse(s, out)) return c.fail(path + k, "must be an IP address");
  return true;
}

bool nat_cfg(Ctx& c, const Napi::Object& o, NatCfg& n) {
  const std::string p = "nat.";
  if (!prefixes(c, o, "insidePrefixes", p, n.inside)) return false;
  Napi::Array pool;
  if (!get_array(c, o, "pool", p, pool)) return false;
  if (pool.Length() == 0) return c.fail("nat.pool", "must list at least one address");
  for (uint32_t i = 0; i < pool.Length(); i++) {
    Napi::Value v = pool.Get(i);
    Addr a;
    if (!v.IsString() || !Addr::parse(v.As<Napi::String>().Utf8Value(), a))
      return c.fail("nat.pool[" + std::to_string(i) + "]", "must be an IP address");
    (a.is_v4() ? n.pool4 : n.pool6).push_back(a);
  }
  Napi::Value pr = o.Get("portRange");
  if (!pr.IsUndefined() && !pr.IsNull()) {
    std::vector<PortRange> r;
    Napi::Object wrap = Napi::Object::New(o.Env());
    Napi::Array one = Napi::Array::New(o.Env(), 1);
    one.Set(0u, pr);
    wrap.Set("portRange", one);
    if (!port_ranges(c, wrap, "portRange", "nat.", r)) return false;
    if (r[0].first < 1) return c.fail("nat.portRange", "must start at 1 or above");
    n.port_lo = r[0].first;
    n.port_hi = r[0].second;
  }
  int64_t shards = n.shards;
  if (!get_int(c, o, "shards", p, shards, 1, 1024)) return false;
  n.shards = static_cast<int>(shards);
  return true;
}

bool fw_cfg(Ctx& c, const Napi::Object& o, FwCfg& f) {
  std::string def;
  if (!get_str(c, o, "defaultAction", "firewall.", def, false)) return false;
  if (!def.empty() && def != "allow" && def != "deny") return c.fail("firewall.defaultAction", "must be allow or deny");
  f.default_allow = def == "allow";
  Napi::Array rules;
  if (!get_array(c, o, "rules", "firewall.", rules)) return false;
  for (uint32_t i = 0; i < rules.Length(); i++) {
    std::string p = "firewall.rules[" + std::to_string(i) + "].";
    Napi::Value v = rules.Get(i);
    if (!v.IsObject()) return c.fail(p.substr(0, p.size() - 1), "must be an object");
    Napi::Object r = v.As<Napi::Object>();
    FwRule rule;
    std::string action, dir, proto;
    if (!get_str(c, r, "action", p, action, true)) return false;
    if (action != "allow" && action != "deny") return c.fail(p + "action", "must be allow or deny");
    rule.allow = action == "allow";
    if (!get_str(c, r, "direction", p, dir, false)) return false;
    if (dir.empty() || dir == "any") rule.dir = 0;
    else if (dir == "out") rule.dir = 1;
    else if (dir == "in") rule.dir = 2;
    else return c.fail(p + "direction", "must be in, out or any");
    if (!get_str(c, r, "proto", p, proto, false)) return false;
    if (proto.empty() || proto == "any") rule.proto = -1;
    else if (proto == "tcp") rule.proto = 6;
    else if (proto == "udp") rule.proto = 17;
    else if (proto == "icmp") rule.proto = 1;
    else return c.fail(p + "proto", "must be tcp, udp, icmp or any");
    if (!prefixes(c, r, "src", p, rule.src) || !prefixes(c, r, "dst", p, rule.dst)) return false;
    if (!port_ranges(c, r, "srcPorts", p, rule.sports) || !port_ranges(c, r, "dstPorts", p, rule.dports)) return false;
    f.rules.push_back(std::move(rule));
  }
  return true;
}

bool lb_cfg(Ctx& c, const Napi::Object& o, LbCfg& l) {
  std::string alg;
  if (!get_str(c, o, "algorithm", "lb.", alg, false)) return false;
  if (!alg.empty() && alg != "wlc" && alg != "maglev") return c.fail("lb.algorithm", "must be wlc or maglev");
  l.maglev = alg == "maglev";
  int64_t ts = l.table_size;
  if (!get_int(c, o, "maglevTableSize", "lb.", ts, 7, 1000003)) return false;
  l.table_size = static_cast<int>(ts);
  Napi::Array vips;
  if (!get_array(c, o, "vips", "lb.", vips)) return false;
  for (uint32_t i = 0; i < vips.Length(); i++) {
    std::string p = "lb.vips[" + std::to_string(i) + "].";
    Napi::Value v = vips.Get(i);
    if (!v.IsObject()) return c.fail(p.substr(0, p.size() - 1), "must be an object");
    Napi::Object vo = v.As<Napi::Object>();
    LbVip vip;
    std::string proto;
    int64_t port = 0;
    if (!get_str(c, vo, "id", p, vip.id, true) || !addr(c, vo, "address", p, vip.addr)) return false;
    if (vip.id.empty() || vip.id.find_first_of("|{}: ") != std::string::npos)
      return c.fail(p + "id", "must be non-empty without | { } : or spaces");
    if (!get_int(c, vo, "port", p, port, 1, 65535)) return false;
    if (port == 0) return c.fail(p + "port", "is required");
    vip.port = static_cast<uint16_t>(port);
    if (!get_str(c, vo, "protocol", p, proto, true)) return false;
    if (proto != "tcp" && proto != "udp") return c.fail(p + "protocol", "must be tcp or udp");
    vip.proto = proto == "tcp" ? 6 : 17;
    Napi::Array bes;
    if (!get_array(c, vo, "backends", p, bes)) return false;
    for (uint32_t j = 0; j < bes.Length(); j++) {
      std::string bp = p + "backends[" + std::to_string(j) + "].";
      Napi::Value bv = bes.Get(j);
      if (!bv.IsObject()) return c.fail(bp.substr(0, bp.size() - 1), "must be an object");
      Napi::Object bo = bv.As<Napi::Object>();
      LbBackend be;
      int64_t bport = 0, weight = 1;
      std::string state;
      if (!get_str(c, bo, "id", bp, be.id, true) || !addr(c, bo, "address", bp, be.addr)) return false;
      if (be.id.empty() || be.id.find_first_of("|{}: ") != std::string::npos)
        return c.fail(bp + "id", "must be non-empty without | { } : or spaces");
      for (const auto& other : vip.backends)
        if (other.id == be.id) return c.fail(bp + "id", "duplicates another backend of this VIP");
      if (!get_int(c, bo, "port", bp, bport, 1, 65535) || !get_int(c, bo, "weight", bp, weight, 1, 1000)) return false;
      if (!get_str(c, bo, "state", bp, state, false)) return false;
      if (!state.empty() && state != "active" && state != "drained") return c.fail(bp + "state", "must be active or drained");
      be.port = static_cast<uint16_t>(bport);
      be.weight = static_cast<int>(weight);
      be.drained = state == "drained";
      vip.backends.push_back(std::move(be));
    }
    for (const auto& other : l.vips)
      if (other.id == vip.id) return c.fail(p + "id", "duplicates another VIP");
    l.vips.push_back(std::move(vip));
  }
  return true;
}

bool timeouts(Ctx& c, const Napi::Object& o, Timeouts& t) {
  const std::string p = "timeouts.";
  const int64_t max = 7LL * 24 * 3600 * 1000;
  return get_int(c, o, "udpMs", p, t.udp_ms, 1, max) && get_int(c, o, "tcpEstablishedMs", p, t.tcp_established_ms, 1, max) &&
         get_int(c, o, "tcpTransitoryMs", p, t.tcp_transitory_ms, 1, max) &&
         get_int(c, o, "tcpClosedMs", p, t.tcp_closed_ms, 1, max) && get_int(c, o, "icmpMs", p, t.icmp_ms, 1, max) &&
         get_int(c, o, "refreshIntervalMs", p, t.refresh_ms, 0, max);
}

bool tables(Ctx& c, const Napi::Object& o, EngineCfg& cfg) {
  Napi::Value v;
  if ((v = o.Get("nat")).IsObject() && !nat_cfg(c, v.As<Napi::Object>(), cfg.nat)) return false;
  if ((v = o.Get("firewall")).IsObject() && !fw_cfg(c, v.As<Napi::Object>(), cfg.fw)) return false;
  if ((v = o.Get("lb")).IsObject() && !lb_cfg(c, v.As<Napi::Object>(), cfg.lb)) return false;
  if ((v = o.Get("timeouts")).IsObject() && !timeouts(c, v.As<Napi::Object>(), cfg.t)) return false;
  return true;
}

}  // namespace

std::string tables_from_js(const Napi::Object& o, EngineCfg& cfg) {
  Ctx c;
  EngineCfg next = cfg;
  next.nat = NatCfg{};
  next.fw = FwCfg{};
  int buckets = cfg.lb.buckets;
  next.lb = LbCfg{};
  next.lb.buckets = buckets;
  next.t = Timeouts{};
  if (!tables(c, o, next)) return c.err;
  for (NfKind k : next.chain) {
    if (k == NfKind::Nat && !o.Get("nat").IsObject()) return "nat: is required when the chain has nat";
    if (k == NfKind::Lb && !o.Get("lb").IsObject()) return "lb: is required when the chain has lb";
  }
  cfg = std::move(next);
  return "";
}

std::string engine_cfg_from_js(const Napi::Object& o, EngineCfg& cfg, StoreSpec* store) {
  Ctx c;
  if (!get_str(c, o, "vnf", "", cfg.vnf, true) || !get_str(c, o, "instanceId", "", cfg.instance, true)) return c.err;
  if (cfg.vnf.empty() || cfg.vnf.find_first_of("{}:| ") != std::string::npos)
    return "vnf: must be non-empty without { } : | or spaces";
  Napi::Array chain;
  if (!get_array(c, o, "chain", "", chain)) return c.err;
  if (chain.Length() == 0) return "chain: must name at least one NF";
  for (uint32_t i = 0; i < chain.Length(); i++) {
    Napi::Value v = chain.Get(i);
    std::string s = v.IsString() ? v.As<Napi::String>().Utf8Value() : "";
    NfKind k;
    if (s == "nat") k = NfKind::Nat;
    else if (s == "firewall") k = NfKind::Firewall;
    else if (s == "lb") k = NfKind::Lb;
    else return "chain[" + std::to_string(i) + "]: must be nat, firewall or lb";
    for (NfKind e : cfg.chain)
      if (e == k) return "chain[" + std::to_string(i) + "]: appears twice";
    cfg.chain.push_back(k);
  }
  Napi::Value sv = o.Get("store");
  if (!sv.IsObject()) return "store: is required";
  Napi::Object so = sv.As<Napi::Object>();
  std::string kind;
  if (!get_str(c, so, "kind", "store.", kind, true)) return c.err;
  if (kind == "local") {
    int64_t mk = 0;
    if (!get_int(c, so, "maxFlows", "store.", mk, 0, 1LL << 40)) return c.err;
    if (store) store->max_keys = static_cast<size_t>(mk);
  } else if (kind == "redis") {
    Napi::Array nodes;
    if (!get_array(c, so, "nodes", "store.", nodes)) return c.err;
    if (nodes.Length() == 0) return "store.nodes: must list at least one host:port";
    RedisOptions ro;
    for (uint32_t i = 0; i < nodes.Length(); i++) {
      Napi::Value v = nodes.Get(i);
      std::string s = v.IsString() ? v.As<Napi::String>().Utf8Value() : "";
      auto colon = s.rfind(':');
      int port = colon == std::string::npos ? 0 : std::atoi(s.c_str() + colon + 1);
      bool unix_path = s.compare(0, 6, "unix:/") == 0;
      if (!unix_path && (colon == std::string::npos || colon == 0 || port <= 0 || port > 65535))
        return "store.nodes[" + std::to_string(i) + "]: must be host:port or unix:/path";
      ro.seeds.push_back(s);
    }
    Napi::Value cl = so.Get("cluster");
    ro.cluster = cl.IsBoolean() && cl.As<Napi::Boolean>().Value();
    int64_t to = ro.timeout_ms;
    if (!get_int(c, so, "timeoutMs", "store.", to, 1, 60000)) return c.err;
    ro.timeout_ms = static_cast<int>(to);
    if (!get_str(c, so, "password", "store.", ro.password, false)) return c.err;
    if (!get_str(c, so, "user", "store.", ro.user, false)) return c.err;
    if (!ro.user.empty() && ro.password.empty()) return "store.user: an ACL user needs store.password";
    if (ro.user.find_first_of(" \t\r\n") != std::string::npos) return "store.user: must not contain white space";
    Napi::Value tv = so.Get("tls");
    if (!tv.IsUndefined() && !tv.IsNull()) {
      if (!tv.IsObject()) return "store.tls: must be an object";
      Napi::Object to = tv.As<Napi::Object>();
      ro.tls = true;
      if (!get_str(c, to, "caFile", "store.tls.", ro.tls_opts.ca_file, true) ||
          !get_str(c, to, "servername", "store.tls.", ro.tls_opts.server_name, false) ||
          !get_str(c, to, "certFile", "store.tls.", ro.tls_opts.cert_file, false) ||
          !get_str(c, to, "keyFile", "store.tls.", ro.tls_opts.key_file, false))
        return c.err;
      if (ro.tls_opts.ca_file.empty() || ro.tls_opts.ca_file[0] != '/')
        return "store.tls.caFile: must be an absolute path to a PEM file";
      if (ro.tls_opts.cert_file.empty() != ro.tls_opts.key_file.empty())
        return std::string("store.tls.") + (ro.tls_opts.cert_file.empty() ? "certFile" : "keyFile") +
               ": a client certificate needs both certFile and keyFile";
      for (const auto& s : ro.seeds)
        if (s.compare(0, 5, "unix:") == 0) return "store.tls: a unix: node carries no TLS (Redis serves TLS on TCP only)";
    }
    int64_t cache = 64LL << 20;
    if (!get_int(c, so, "cacheBytes", "store.", cache, 0, 1LL << 40)) return c.err;
    ro.cache_bytes = static_cast<size_t>(cache);
    int64_t recheck = ro.cache_recheck_us;
    if (!get_int(c, so, "cacheRecheckUs", "store.", recheck, 0, 1000000)) return c.err;
    ro.cache_recheck_us = static_cast<int>(recheck);
    int64_t spin = ro.spin_us;
    if (!get_int(c, so, "spinUs", "store.", spin, 0, 10000)) return c.err;
    ro.spin_us = static_cast<int>(spin);
    int64_t hold = ro.post_hold_us;
    if (!get_int(c, so, "postHoldUs", "store.", hold, 0, 10000)) return c.err;
    ro.post_hold_us = static_cast<int>(hold);
    if (store) {
      store->redis = true;
      store->redis_opts = ro;
    }
    // Spread LB flows over slots only where there are slots to spread over.
    cfg.lb.buckets = ro.cluster ? 16 : 1;
  } else if (kind == "plugin") {
    // The TypeScript host turns {kind: 'ramcloud', ...} into the plugin's path and config
    // (src/store/native-config.ts); this is the engine's own, store-agnostic form.
    PluginOptions po;
    if (!get_str(c, so, "path", "store.", po.path, true) || !get_str(c, so, "config", "store.", po.config, true)) return c.err;
    if (po.path.empty() || po.path[0] != '/') return "store.path: must be an absolute path to a store plugin (.so)";
    int64_t retries = po.max_retries;
    if (!get_int(c, so, "maxRetries", "store.", retries, 0, 1000)) return c.err;
    po.max_retries = static_cast<int>(retries);
    if (store) {
      store->plugin = true;
      store->plugin_opts = po;
    }
  } else {
    return "store.kind: must be local, redis or plugin";
  }
  std::string e = tables_from_js(o, cfg);
  return e;
}

}  // namespace snf
