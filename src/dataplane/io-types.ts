// Packet I/O of one NF instance: the engine on its own thread(s), reading bursts from the
// inside and outside interfaces and sending each verdict's frame out of the other one.

export interface IoPort {
  /** Interface name in the instance's network namespace. */
  iface: string;
  /**
   * MAC address of the next hop on this side (the steering router's port). Forwarded frames
   * leave with this destination MAC and the interface's own MAC as source.
   */
  peerMac: string;
}

export interface IoConfig {
  /**
   * `afpacket`: TPACKET_V3 rings (default; adds up to 1 ms at low packet rates: the kernel hands
   * a ring block over when full or after its 1 ms retire timer). `af_xdp`: XDP sockets in
   * native mode (libxdp). `dpdk`: when built with libdpdk.
   */
  kind: 'afpacket' | 'af_xdp' | 'dpdk';
  inside: IoPort;
  outside: IoPort;
  /** Engine threads (PACKET_FANOUT over both interfaces); default 1. */
  queues?: number;
  /** Frames per burst (default 32). */
  burst?: number;
  /**
   * Bursts in flight per engine thread, 1..16: while one waits for the store, the next is read
   * and started (the engine's split phase); frames still leave in the order they came.
   * Default 4; SNF_IO_INFLIGHT overrides it. 1: one burst at a time (as a store in the process,
   * the coupled baseline, always runs).
   */
  inflight?: number;
}

export interface IoPortCounters {
  rx: number;
  tx: number;
  /** Frames the kernel dropped before we read them (ring full). */
  rxDropped: number;
  /** Frames we failed to send. */
  txErrors: number;
}

export interface IoCounters {
  inside: IoPortCounters;
  outside: IoPortCounters;
  bursts: number;
}
