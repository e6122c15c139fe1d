// Where a key lives: the store's node addresses and, for Redis Cluster, the slot map (CLUSTER
// SLOTS) with what MOVED and ASK replies change in it. It decides only; the connections and the
// exchange are RedisStore's, so this stays testable without a socket and the store's exchange
// loop does not carry cluster bookkeeping.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "store.hpp"

namespace snf {

struct NodeAddr {
  std::string host;  // a path when port is 0 (a UNIX socket)
  int port = 0;
  std::string name() const { return port == 0 ? "unix:" + host : host + ":" + std::to_string(port); }
};

class ClusterRouter {
 public:
  static constexpr int kSlots = 16384;

  explicit ClusterRouter(bool cluster);

  // Redis Cluster hash slot of a key (CRC16 of its hash tag, mod 16384).
  static int key_slot(const std::string& key);
  // "host:port", "[v6]:port" or "unix:/path" (port 0). false when it is none of them.
  static bool split_host_port(const std::string& s, std::string& host, int& port);

  bool cluster() const { return cluster_; }
  // The index of the node at host:port; a node not met before is added (indices never move).
  int node_for(const std::string& host, int port);
  size_t nodes() const { return addrs_.size(); }
  const NodeAddr& addr(int i) const { return addrs_[static_cast<size_t>(i)]; }

  // The node a command goes to by its first key; -1 when no node owns the slot (yet).
  int route(const Cmd& c) const;
  // Nodes that own at least one slot (1 without a cluster), for hash-tag fan-out.
  int shards() const;

  // The slot map may be wrong (a node failed, a MOVED came back): refresh before the next batch.
  void mark_stale() { stale_ = true; }
  bool needs_refresh() const { return cluster_ && stale_; }
  // Takes a CLUSTER SLOTS reply from node `asked` as the whole slot map (nodes it names are
  // added). false when the reply is not a slot map (the caller asks another node).
  bool apply_slots(const Reply& r, int asked);

  struct Redirect {
    int node = -1;  // where to retry; -1 when the reply's address does not parse (dropped)
    bool ask = false;  // ASK: retry once behind ASKING, the map stays
  };
  // For an error reply: true when it is MOVED or ASK, and where the command goes now. MOVED
  // also moves its slot in the map and marks the map stale (more slots probably moved too).
  bool redirect(const std::string& err, Redirect* to);
  // For a reply nobody waits for (a posted command): a MOVED only marks the map stale.
  void note_posted_error(const char* err, size_t len);

 private:
  bool cluster_;
  bool stale_ = true;
  std::vector<NodeAddr> addrs_;
  std::vector<int16_t> slots_;  // slot -> node index (cluster only)
};

}  // namespace snf
