// UDP round-trip probe for the latency benchmark.
//   rtt echo <bind ip> <port>                     answer every datagram (server side)
//   rtt probe <dst ip> <port> <count> [pps]       sequential probes, one every 1/pps s (default
//                                                 1000/s: the low rate where batching timers
//                                                 show); prints p50 p99 lost (µs)
#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 4) return 2;
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(std::atoi(argv[3])));
  inet_pton(AF_INET, argv[2], &a.sin_addr);
  char buf[2048];
  if (std::strcmp(argv[1], "echo") == 0) {
    if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0) return perror("bind"), 1;
    for (;;) {
      sockaddr_in from{};
      socklen_t fl = sizeof from;
      ssize_t n = recvfrom(fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &fl);
      if (n > 0) sendto(fd, buf, static_cast<size_t>(n), 0, reinterpret_cast<sockaddr*>(&from), fl);
    }
  }
  int count = argc > 4 ? std::atoi(argv[4]) : 1000;
  double pps = argc > 5 ? std::atof(argv[5]) : 1000;
  if (count < 1 || !(pps > 0)) return std::fprintf(stderr, "rtt probe: count and pps must be positive\n"), 2;
  auto period = std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(1.0 / pps));
  std::vector<double> us;
  int lost = 0;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < count; i++) {
    std::this_thread::sleep_until(start + i * period);
    std::memcpy(buf, &i, sizeof i);
    auto t0 = std::chrono::steady_clock::now();
    sendto(fd, buf, 32, 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
    pollfd p{fd, POLLIN, 0};
    bool got = false;
    while (poll(&p, 1, 100) == 1) {
      int seq = -1;
      if (recv(fd, buf, sizeof buf, 0) >= 4) std::memcpy(&seq, buf, sizeof seq);
      if (seq == i) {
        got = true;
        break;
      }
    }
    auto t1 = std::chrono::steady_clock::now();
    if (got) us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    else lost++;
  }
  std::sort(us.begin(), us.end());
  auto pct = [&](double q) { return us.empty() ? -1.0 : us[std::min(us.size() - 1, static_cast<size_t>(q * us.size()))]; };
  std::printf("%.1f %.1f %d\n", pct(0.5), pct(0.99), lost);
  return 0;
}
