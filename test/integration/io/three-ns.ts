// The lab the packet I/O backend tests share: client -- [in0 NF out0] -- server, three network
// namespaces joined by veth pairs, with static neighbours so the NF (which answers no ARP) sees
// only the test's frames. Names carry the test's tag and pid so an earlier run's leftovers can
// be told apart from a concurrent run's and swept.
import { execFileSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export const SERVER = '203.0.113.10';
export const POOL = '198.51.100.1';

export function sh(cmd: string, timeoutMs = 10_000): string {
  return execFileSync('bash', ['-c', cmd], { encoding: 'utf8', timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'] });
}

function shQuiet(cmd: string): void {
  try {
    sh(cmd);
  } catch {
    /* cleanup: best effort */
  }
}

export interface ThreeNs {
  /** client, NF, server namespace names */
  ns: { c: string; n: string; s: string };
  mac: { client: string; in0: string; out0: string; server: string };
  /** Creates the namespaces, veths, addresses and neighbours. */
  create(): void;
  /** Kills what runs in this lab's namespaces (by pid) and deletes them; also sweeps the namespaces of an earlier run whose process is gone. */
  cleanup(): void;
}

/** `tag`: five lowercase letters naming the test; `macByte`: the MACs' last byte's high nibble, distinct per test. */
export function threeNs(tag: string, macByte: number): ThreeNs {
  const P = `${tag}${process.pid}`;
  const ns = { c: `${P}c`, n: `${P}n`, s: `${P}s` };
  const m = (low: number) => `02:00:00:00:00:${((macByte << 4) | low).toString(16).padStart(2, '0')}`;
  const mac = { client: m(0xa), in0: m(0xb), out0: m(0xc), server: m(0xd) };
  const mine = new RegExp(`^${tag}(\\d+)[cns]$`);

  function cleanup(): void {
    let names: string[] = [];
    try {
      names = sh('ip netns list').split('\n').map((l) => l.split(' ')[0]);
    } catch {
      /* no namespaces */
    }
    for (const name of names) {
      const hit = mine.exec(name);
      if (!hit) continue;
      const owner = Number(hit[1]);
      let alive = false;
      try {
        process.kill(owner, 0);
        alive = true;
      } catch {
        alive = false;
      }
      if (owner !== process.pid && alive) continue; // a concurrent run's
      let pids: string[] = [];
      try {
        pids = sh(`ip netns pids ${name}`).split(/\s+/).filter(Boolean);
      } catch {
        /* none */
      }
      for (const pid of pids) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      shQuiet(`ip netns del ${name}`);
    }
  }

  function create(): void {
    for (const n of Object.values(ns)) sh(`ip netns add ${n} && ip -n ${n} link set lo up`);
    sh(`ip link add ${P}a type veth peer name ${P}b && ip link set ${P}a netns ${ns.c} && ip link set ${P}b netns ${ns.n}`);
    sh(`ip link add ${P}x type veth peer name ${P}y && ip link set ${P}x netns ${ns.n} && ip link set ${P}y netns ${ns.s}`);
    sh(`ip -n ${ns.c} link set ${P}a address ${mac.client} name eth0`);
    sh(`ip -n ${ns.n} link set ${P}b address ${mac.in0} name in0`);
    sh(`ip -n ${ns.n} link set ${P}x address ${mac.out0} name out0`);
    sh(`ip -n ${ns.s} link set ${P}y address ${mac.server} name eth0`);
    for (const [n, ifs] of [
      [ns.c, ['eth0']],
      [ns.n, ['in0', 'out0']],
      [ns.s, ['eth0']],
    ] as const) {
      for (const i of ifs) {
        sh(`ip -n ${n} link set ${i} up`);
        // The NF sees frames as they are on the wire: no offloads that leave checksums undone.
        shQuiet(`ip netns exec ${n} ethtool -K ${i} tso off gso off gro off tx off rx off`);
      }
    }
    sh(`ip -n ${ns.c} addr add 10.0.0.2/24 dev eth0 && ip -n ${ns.c} route add default via 10.0.0.1`);
    sh(`ip -n ${ns.c} neigh add 10.0.0.1 lladdr ${mac.in0} dev eth0`);
    sh(`ip -n ${ns.s} addr add ${SERVER}/24 dev eth0 && ip -n ${ns.s} route add 198.51.100.0/24 via 203.0.113.1`);
    sh(`ip -n ${ns.s} neigh add 203.0.113.1 lladdr ${mac.out0} dev eth0`);
  }

  return { ns, mac, create, cleanup };
}

/** Reads a child's stdout a line at a time: each call answers the next line, or fails after `ms`. */
export function lineReader(child: ChildProcess): (what: string, ms: number) => Promise<string> {
  const rl = createInterface({ input: child.stdout! });
  const waiting: Array<(l: string) => void> = [];
  const queued: string[] = [];
  rl.on('line', (l) => {
    const w = waiting.shift();
    if (w) w(l);
    else queued.push(l);
  });
  return (what, ms) =>
    new Promise((resolve, reject) => {
      const q = queued.shift();
      if (q !== undefined) return resolve(q);
      const t = setTimeout(() => reject(new Error(`no answer from ${what} within ${ms} ms`)), ms);
      waiting.push((l) => {
        clearTimeout(t);
        resolve(l);
      });
    });
}
