// A minimal line-rate UDP generator for the I/O benchmark: pre-built frames over many flows,
// sent with sendmmsg on an AF_PACKET socket that bypasses the qdisc. Runs inside the
// generator's network namespace; prints the number of frames sent.
//   pktgen <iface> <dst mac> <frame bytes> <flows> <seconds> [rate pps, 0 = as fast as possible]
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

static uint16_t csum(const uint8_t* p, size_t n, uint32_t s = 0) {
  for (size_t i = 0; i + 1 < n; i += 2) s += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
  if (n & 1) s += static_cast<uint32_t>(p[n - 1] << 8);
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return static_cast<uint16_t>(~s);
}

int main(int argc, char** argv) {
  if (argc < 6) {
    std::fprintf(stderr, "usage: pktgen <iface> <dst mac> <frame bytes> <flows> <seconds> [pps]\n");
    return 2;
  }
  const char* iface = argv[1];
  unsigned m[6];
  if (std::sscanf(argv[2], "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6) return 2;
  size_t size = std::strtoul(argv[3], nullptr, 10);
  int flows = std::atoi(argv[4]);
  double secs = std::atof(argv[5]);
  double pps = argc > 6 ? std::atof(argv[6]) : 0;
  if (size < 60 || size > 1514 || flows < 1) return 2;
  int fd = socket(AF_PACKET, SOCK_RAW, 0);
  if (fd < 0) return perror("socket"), 1;
  int one = 1;
  setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one);
  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_ifindex = static_cast<int>(if_nametoindex(iface));
  if (bind(fd, reinterpret_cast<sockaddr*>(&sll), sizeof sll) < 0) return perror("bind"), 1;
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, iface, IFNAMSIZ - 1);
  ioctl(fd, SIOCGIFHWADDR, &ifr);

  std::vector<std::vector<uint8_t>> frames(static_cast<size_t>(flows), std::vector<uint8_t>(size, 0));
  for (int f = 0; f < flows; f++) {
    uint8_t* p = frames[f].data();
    for (int i = 0; i < 6; i++) p[i] = static_cast<uint8_t>(m[i]);
    std::memcpy(p + 6, ifr.ifr_hwaddr.sa_data, 6);
    p[12] = 0x08;
    uint8_t* ip = p + 14;
    size_t iplen = size - 14;
    ip[0] = 0x45;
    ip[2] = static_cast<uint8_t>(iplen >> 8);
    ip[3] = static_cast<uint8_t>(iplen);
    ip[8] = 64;
    ip[9] = 17;
    // 10.0.x.y:port -> 203.0.113.99:9 (an address nobody owns: the sink counts and drops it).
    ip[12] = 10; ip[13] = 0; ip[14] = static_cast<uint8_t>(f >> 8 & 0x7f); ip[15] = static_cast<uint8_t>(f & 0xff);
    ip[16] = 203; ip[17] = 0; ip[18] = 113; ip[19] = 99;
    uint16_t c = csum(ip, 20);
    ip[10] = static_cast<uint8_t>(c >> 8);
    ip[11] = static_cast<uint8_t>(c);
    uint8_t* u = ip + 20;
    uint16_t sport = static_cast<uint16_t>(20000 + f % 40000);
    u[0] = static_cast<uint8_t>(sport >> 8); u[1] = static_cast<uint8_t>(sport);
    u[2] = 0; u[3] = 9;
    size_t ulen = iplen - 20;
    u[4] = static_cast<uint8_t>(ulen >> 8); u[5] = static_cast<uint8_t>(ulen);
    // UDP checksum 0 (none) is legal on IPv4 and keeps the generator cheap.
  }
  constexpr int kBatch = 64;
  mmsghdr msgs[kBatch];
  iovec iov[kBatch];
  uint64_t sent = 0;
  size_t next = 0;
  auto t0 = std::chrono::steady_clock::now();
  auto end = t0 + std::chrono::duration<double>(secs);
  while (std::chrono::steady_clock::now() < end) {
    if (pps > 0) {
      double due = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() * pps;
      if (sent >= due) {
        std::this_thread::sleep_for(std::chrono::microseconds(50));
        continue;
      }
    }
    for (int i = 0; i < kBatch; i++) {
      iov[i].iov_base = frames[next].data();
      iov[i].iov_len = size;
      std::memset(&msgs[i], 0, sizeof msgs[i]);
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      next = (next + 1) % frames.size();
    }
    int r = sendmmsg(fd, msgs, kBatch, 0);
    if (r > 0) sent += static_cast<uint64_t>(r);
  }
  std::printf("%llu\n", static_cast<unsigned long long>(sent));
  return 0;
}
