// A running NF instance: per queue, one thread with its own Engine (and so its own store
// connections) and its own AF_PACKET sockets on both interfaces, joined to PACKET_FANOUT
// groups so the kernel spreads flows over the queues. The burst loop, as in DPDK's l3fwd:
// rx burst from both sides -> engine -> set MACs -> tx burst to the other side. On a store over
// a connection, several bursts are in flight (io.inflight): copied out of the rings, started,
// and sent when the engine hands them back, oldest first.
#pragma once
#include <poll.h>

#include <chrono>
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "../engine/engine.hpp"
#include "port.hpp"

namespace snf {

struct IoPortCfg {
  std::string iface;
  uint8_t peer_mac[6] = {0};
};

struct IoCfg {
  IoKind kind = IoKind::AfPacket;
  IoPortCfg in, out;
  int queues = 1;
  int burst = 32;
  // After a burst, keep polling the rings this long before sleeping in poll(): catches the
  // next frame without a wake-up. Costs at most this much CPU per burst at low rates.
  // SNF_IO_SPIN_US overrides it (0: always sleep at once).
  int idle_spin_us = 50;
  // Bursts in flight per engine (Engine::set_inflight): while one waits for the store, the
  // next is read and started. Frames are copied out of the receive rings into the burst's own
  // buffer, so the rings are handed back at once. 1 processes one burst at a time; a store
  // that answers in process (the coupled baseline) always does. SNF_IO_INFLIGHT overrides it.
  // 4: bench/engine's new-flow cells gain ~2x from 1 to 2-4 and no more after, and bench/io's
  // established flows lose nothing (bench/RESULTS.md, 2026-11-30).
  int inflight = 4;
};

struct DataplaneCounters {
  EngineCounters engine;
  PortCounters in, out;
  uint64_t bursts = 0;
};

using StoreFactory = std::function<std::unique_ptr<StateStore>()>;

class Dataplane {
 public:
  Dataplane(const EngineCfg& cfg, StoreFactory stores, const IoCfg& io);
  ~Dataplane();
  // Opens every socket; "" or the error. Nothing runs until start().
  std::string open();
  void start();
  void stop();
  void configure(const EngineCfg& cfg);
  DataplaneCounters counters();

 private:
  struct Queue {
    std::unique_ptr<Engine> engine;
    std::unique_ptr<Port> in, out;
    std::thread th;
    std::mutex mu;  // engine use by the loop vs configure/counters from the host
    uint64_t bursts = 0;
  };
  void run(Queue& q);
  void idle(Queue& q, pollfd* pfd, std::chrono::steady_clock::time_point last_busy);

  EngineCfg cfg_;
  StoreFactory stores_;
  IoCfg io_;
  std::vector<std::unique_ptr<Queue>> queues_;
  std::atomic<bool> running_{false};
};

void add_counters(EngineCounters& into, const EngineCounters& c);

}  // namespace snf
