#include "steer/rtnl.hpp"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstring>
#include <thread>

namespace snf::steer {
namespace {

// A netlink request under construction: header, fixed part, then attributes, each aligned.
class Request {
 public:
  Request(uint16_t type, uint16_t flags, const void* fixed, size_t fixed_len) {
    buf_.resize(NLMSG_LENGTH(fixed_len));
    auto* h = header();
    h->nlmsg_type = type;
    h->nlmsg_flags = flags;
    std::memcpy(NLMSG_DATA(h), fixed, fixed_len);
    h->nlmsg_len = static_cast<uint32_t>(buf_.size());
  }

  // Appends an attribute; returns its offset, so nested payloads can be patched afterwards.
  size_t attr(uint16_t type, const void* data, size_t len) {
    size_t off = NLMSG_ALIGN(buf_.size());
    buf_.resize(off + RTA_SPACE(len));
    auto* a = reinterpret_cast<rtattr*>(buf_.data() + off);
    a->rta_type = type;
    a->rta_len = static_cast<uint16_t>(RTA_LENGTH(len));
    if (len) std::memcpy(RTA_DATA(a), data, len);
    header()->nlmsg_len = static_cast<uint32_t>(buf_.size());
    return off;
  }

  nlmsghdr* header() { return reinterpret_cast<nlmsghdr*>(buf_.data()); }
  uint32_t size() const { return static_cast<uint32_t>(buf_.size()); }

 private:
  std::vector<uint8_t> buf_;
};

bool parse_prefix(const std::string& s, in_addr& addr, uint8_t& len, std::string& err) {
  auto slash = s.find('/');
  std::string a = s.substr(0, slash);
  int l = 32;
  if (slash != std::string::npos) {
    const std::string ls = s.substr(slash + 1);
    char* end = nullptr;
    long v = std::strtol(ls.c_str(), &end, 10);
    if (ls.empty() || *end != '\0' || v < 0 || v > 32) {
      err = "prefix '" + s + "': length must be 0..32";
      return false;
    }
    l = static_cast<int>(v);
  }
  if (inet_pton(AF_INET, a.c_str(), &addr) != 1) {
    err = "prefix '" + s + "': not an IPv4 address";
    return false;
  }
  len = static_cast<uint8_t>(l);
  return true;
}

}  // namespace

RouteSocket::RouteSocket(const std::string& netns_path, std::string& err) {
  int fd = -1;
  std::string thread_err;
  // setns(CLONE_NEWNET) changes only the calling thread; doing it on a thread that exits right
  // after keeps the caller (Node's JS thread) in its own namespace.
  std::thread t([&] {
    if (!netns_path.empty()) {
      int ns = ::open(netns_path.c_str(), O_RDONLY | O_CLOEXEC);
      if (ns < 0) {
        thread_err = "open " + netns_path + ": " + std::strerror(errno);
        return;
      }
      int rc = ::setns(ns, CLONE_NEWNET);
      int e = errno;
      ::close(ns);
      if (rc != 0) {
        thread_err = "setns " + netns_path + ": " + std::strerror(e);
        return;
      }
    }
    fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0) thread_err = std::string("netlink socket: ") + std::strerror(errno);
  });
  t.join();
  if (fd < 0) {
    err = thread_err;
    return;
  }
  // Never block the caller for long: the kernel answers at once, so a silent socket is a bug.
  timeval tv{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  fd_ = fd;
}

RouteSocket::~RouteSocket() {
  if (fd_ >= 0) ::close(fd_);
}

bool RouteSocket::transact(void* msg, uint32_t len, std::string& err, std::vector<uint8_t>* reply) {
  auto* h = static_cast<nlmsghdr*>(msg);
  h->nlmsg_seq = ++seq_;
  h->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(fd_, msg, len, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) != static_cast<ssize_t>(len)) {
    err = std::string("netlink send: ") + std::strerror(errno);
    return false;
  }
  alignas(nlmsghdr) uint8_t buf[16384];
  for (;;) {
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      err = std::string("netlink receive: ") + std::strerror(errno);
      return false;
    }
    int left = static_cast<int>(n);
    for (auto* r = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(r, left); r = NLMSG_NEXT(r, left)) {
      if (r->nlmsg_seq != seq_) continue;  // a late answer to an earlier, timed-out request
      if (r->nlmsg_type == NLMSG_ERROR) {
        const auto* e = static_cast<const nlmsgerr*>(NLMSG_DATA(r));
        if (e->error == 0) return true;
        err = std::strerror(-e->error);
        return false;
      }
      if (reply) reply->assign(reinterpret_cast<uint8_t*>(r), reinterpret_cast<uint8_t*>(r) + r->nlmsg_len);
    }
  }
}

int RouteSocket::ifindex(const std::string& dev, std::string& err) {
  if (dev.empty() || dev.size() >= IFNAMSIZ) {
    err = "device '" + dev + "': not an interface name";
    return -1;
  }
  // Looked up on every change, not cached: a healed instance's leg is a new veth with the same
  // name and a new index.
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  Request req(RTM_GETLINK, 0, &ifi, sizeof ifi);
  req.attr(IFLA_IFNAME, dev.c_str(), dev.size() + 1);
  std::vector<uint8_t> reply;
  if (!transact(req.header(), req.size(), err, &reply)) {
    err = "device " + dev + ": " + err;
    return -1;
  }
  if (reply.size() < NLMSG_LENGTH(sizeof(ifinfomsg))) {
    err = "device " + dev + ": no link in the answer";
    return -1;
  }
  return static_cast<const ifinfomsg*>(NLMSG_DATA(reinterpret_cast<const nlmsghdr*>(reply.data())))->ifi_index;
}

bool RouteSocket::replace(const std::string& prefix, const std::vector<NextHop>& hops, std::string& err) {
  if (fd_ < 0) {
    err = "route socket is not open";
    return false;
  }
  in_addr dst{};
  uint8_t plen = 0;
  if (!parse_prefix(prefix, dst, plen, err)) return false;

  // The nexthops first: every name and gateway is checked before anything is sent.
  std::vector<uint8_t> mp;
  for (const auto& h : hops) {
    in_addr gw{};
    if (inet_pton(AF_INET, h.via.c_str(), &gw) != 1) {
      err = "nexthop via '" + h.via + "': not an IPv4 address";
      return false;
    }
    int idx = ifindex(h.dev, err);
    if (idx < 0) return false;
    size_t off = mp.size();
    mp.resize(off + RTNH_ALIGN(sizeof(rtnexthop) + RTA_SPACE(sizeof gw)));
    auto* nh = reinterpret_cast<rtnexthop*>(mp.data() + off);
    nh->rtnh_len = static_cast<unsigned short>(sizeof(rtnexthop) + RTA_SPACE(sizeof gw));
    nh->rtnh_flags = 0;
    nh->rtnh_hops = 0;  // weight 1
    nh->rtnh_ifindex = idx;
    auto* a = reinterpret_cast<rtattr*>(reinterpret_cast<uint8_t*>(nh) + sizeof(rtnexthop));
    a->rta_type = RTA_GATEWAY;
    a->rta_len = static_cast<uint16_t>(RTA_LENGTH(sizeof gw));
    std::memcpy(RTA_DATA(a), &gw, sizeof gw);
  }

  // What `ip route replace` sends: main table, protocol boot, universe scope (blackholes too).
  rtmsg rt{};
  rt.rtm_family = AF_INET;
  rt.rtm_dst_len = plen;
  rt.rtm_table = RT_TABLE_MAIN;
  rt.rtm_protocol = RTPROT_BOOT;
  rt.rtm_scope = RT_SCOPE_UNIVERSE;
  rt.rtm_type = hops.empty() ? RTN_BLACKHOLE : RTN_UNICAST;
  Request req(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, &rt, sizeof rt);
  req.attr(RTA_DST, &dst, sizeof dst);
  if (!hops.empty()) req.attr(RTA_MULTIPATH, mp.data(), mp.size());
  if (!transact(req.header(), req.size(), err)) {
    err = "route replace " + prefix + ": " + err;
    return false;
  }
  return true;
}

}  // namespace snf::steer
