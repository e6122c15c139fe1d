// RouteSocket: replaces IPv4 routes in another network namespace over one rtnetlink socket.
//
// The steering controller changes the multipath route of each steered prefix whenever an
// instance dies or joins. Running `ip -batch` for that forks and execs a process per change,
// and on a loaded 2-core box each of those waits for a core (20-70 ms per change measured, the
// bulk of kill -> unsteered). A netlink socket opened once inside the steering namespace makes a
// change one sendmsg/recvmsg pair: the kernel applies RTM_NEWROUTE synchronously in sendmsg.
//
// The socket is created on a short-lived thread that joins the namespace (setns), so the calling
// thread never leaves its own; a socket stays bound to the namespace it was created in.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace snf::steer {

struct NextHop {
  std::string via;  // IPv4 gateway, dotted quad
  std::string dev;  // interface name in the namespace
};

class RouteSocket {
 public:
  // `netns_path`: a bind-mounted namespace (/run/netns/<name>), or "" for the caller's own.
  // On failure the socket is not open and `err` says why.
  RouteSocket(const std::string& netns_path, std::string& err);
  ~RouteSocket();
  RouteSocket(const RouteSocket&) = delete;
  RouteSocket& operator=(const RouteSocket&) = delete;

  bool open() const { return fd_ >= 0; }

  // `ip route replace <prefix> nexthop via .. dev .. weight 1 ...`; no hops: a blackhole route
  // (traffic dropped in the namespace rather than leaking out of a default route). Weights are
  // all 1, as the controller spreads evenly. Returns false with `err` set (nothing changed).
  bool replace(const std::string& prefix, const std::vector<NextHop>& hops, std::string& err);

 private:
  int ifindex(const std::string& dev, std::string& err);
  // Sends one request and reads until its ACK (or error); `reply` gets the payload of a
  // non-ACK answer (RTM_NEWLINK for a GETLINK), when given.
  bool transact(void* msg, uint32_t len, std::string& err, std::vector<uint8_t>* reply = nullptr);

  int fd_ = -1;
  uint32_t seq_ = 0;
};

}  // namespace snf::steer
