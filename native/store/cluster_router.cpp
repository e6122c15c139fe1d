#include "cluster_router.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace snf {

namespace {

uint16_t crc16(const char* buf, size_t len) {
  // CRC16-CCITT (XMODEM), as the Redis Cluster specification defines key slots.
  uint16_t crc = 0;
  for (size_t i = 0; i < len; i++) {
    crc ^= static_cast<uint16_t>(static_cast<uint8_t>(buf[i]) << 8);
    for (int b = 0; b < 8; b++) crc = (crc & 0x8000) ? static_cast<uint16_t>((crc << 1) ^ 0x1021) : static_cast<uint16_t>(crc << 1);
  }
  return crc;
}

}  // namespace

ClusterRouter::ClusterRouter(bool cluster) : cluster_(cluster) {
  if (cluster_) slots_.assign(kSlots, -1);
}

int ClusterRouter::key_slot(const std::string& key) {
  auto open = key.find('{');
  if (open != std::string::npos) {
    auto close = key.find('}', open + 1);
    if (close != std::string::npos && close != open + 1)
      return crc16(key.data() + open + 1, close - open - 1) & (kSlots - 1);
  }
  return crc16(key.data(), key.size()) & (kSlots - 1);
}

bool ClusterRouter::split_host_port(const std::string& s, std::string& host, int& port) {
  if (s.compare(0, 5, "unix:") == 0 && s.size() > 5) {
    // A Unix socket reaches Redis from any network namespace without a management network.
    host = s.substr(5);
    port = 0;
    return true;
  }
  auto c = s.rfind(':');
  if (c == std::string::npos || c == 0) return false;
  host = s.substr(0, c);
  if (!host.empty() && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  port = std::atoi(s.c_str() + c + 1);
  return port > 0 && port < 65536;
}

int ClusterRouter::node_for(const std::string& host, int port) {
  for (size_t i = 0; i < addrs_.size(); i++)
    if (addrs_[i].host == host && addrs_[i].port == port) return static_cast<int>(i);
  addrs_.push_back({host, port});
  return static_cast<int>(addrs_.size() - 1);
}

int ClusterRouter::route(const Cmd& c) const {
  if (!cluster_) return addrs_.empty() ? -1 : 0;
  return slots_[static_cast<size_t>(key_slot(c.keys[0]))];
}

int ClusterRouter::shards() const {
  if (!cluster_) return 1;
  int n = 0;
  std::vector<bool> seen(addrs_.size(), false);
  for (int16_t s : slots_)
    if (s >= 0 && !seen[static_cast<size_t>(s)]) {
      seen[static_cast<size_t>(s)] = true;
      n++;
    }
  return std::max(n, 1);
}

bool ClusterRouter::apply_slots(const Reply& r, int asked) {
  if (r.type != Reply::Arr) return false;
  std::vector<int16_t> map(kSlots, -1);
  for (const Reply& range : r.a) {
    // [first, last, [host, port, id?], replicas...]
    if (range.type != Reply::Arr || range.a.size() < 3 || range.a[2].type != Reply::Arr ||
        range.a[2].a.size() < 2)
      continue;
    // An empty host means "the node you asked" (a node that does not know its own address).
    std::string host = range.a[2].a[0].s.empty() ? addr(asked).host : range.a[2].a[0].s;
    int idx = node_for(host, static_cast<int>(range.a[2].a[1].i));
    for (int64_t s = range.a[0].i; s <= range.a[1].i && s < kSlots; s++) map[static_cast<size_t>(s)] = static_cast<int16_t>(idx);
  }
  slots_ = std::move(map);
  stale_ = false;
  return true;
}

bool ClusterRouter::redirect(const std::string& e, Redirect* to) {
  bool moved = e.compare(0, 6, "MOVED ") == 0, ask = e.compare(0, 4, "ASK ") == 0;
  if (!moved && !ask) return false;
  to->node = -1;
  to->ask = ask;
  // "MOVED <slot> <host>:<port>", "ASK <slot> <host>:<port>"
  auto sp = e.find(' ', moved ? 6 : 4);
  std::string host;
  int port;
  if (sp == std::string::npos || !split_host_port(e.substr(sp + 1), host, port)) return true;
  to->node = node_for(host, port);
  if (moved) {
    int slot = std::atoi(e.c_str() + 6);
    if (slot >= 0 && slot < kSlots && cluster_) slots_[static_cast<size_t>(slot)] = static_cast<int16_t>(to->node);
    stale_ = true;
  }
  return true;
}

void ClusterRouter::note_posted_error(const char* err, size_t len) {
  if (len >= 6 && std::memcmp(err, "MOVED ", 6) == 0) stale_ = true;
}

}  // namespace snf
