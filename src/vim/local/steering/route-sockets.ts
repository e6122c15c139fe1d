// One netlink route socket per steering namespace, kept for the life of the controller: a
// steering change becomes a few sendmsg calls instead of forking `ip -batch` per namespace,
// which on a loaded 2-core box waited 20-70 ms for a core (most of kill -> unsteered).
//
// A socket stays bound to the namespace it was opened in, even after that namespace is deleted
// and a new one made under the same name (`snf down` + `snf up` in one process, as the tests
// do). So each socket remembers the inode of /run/netns/<name> it was opened on, and a change of
// inode opens a new one: a route never goes into a namespace nobody uses any more.
import { statSync } from 'node:fs';
import { addon, type NativeRouteSocket, type NativeRouteSocketClass } from '../../../dataplane/native.js';

export interface NextHop {
  via: string;
  dev: string;
}

function nativeClass(): NativeRouteSocketClass | undefined {
  if (process.env.SNF_STEER_NETLINK === '0') return undefined; // an operator's escape hatch: `ip` only
  try {
    return addon().RouteSocket;
  } catch {
    return undefined; // no addon built: the caller uses `ip`
  }
}

const open = new Map<string, { ino: number; sock: NativeRouteSocket }>();

function nsInode(ns: string): number | undefined {
  try {
    return statSync(`/run/netns/${ns}`).ino;
  } catch {
    return undefined;
  }
}

/** true when route changes can go over netlink here (addon built with RouteSocket). */
export function netlinkRoutes(): boolean {
  return nativeClass() !== undefined;
}

/**
 * Replaces each prefix's route in `ns` with a multipath route over `hops` (none: a blackhole).
 * Throws with the kernel's reason for the first prefix that fails.
 */
export function replaceRoutes(ns: string, prefixes: readonly string[], hops: readonly NextHop[]): void {
  const cls = nativeClass();
  if (!cls) throw new Error('netlink route sockets are not available (addon without RouteSocket)');
  const ino = nsInode(ns);
  if (ino === undefined) throw new Error(`network namespace ${ns} does not exist`);
  let cur = open.get(ns);
  if (cur && cur.ino !== ino) {
    cur.sock.close();
    cur = undefined;
  }
  if (!cur) {
    cur = { ino, sock: new cls(ns) };
    open.set(ns, cur);
  }
  for (const p of prefixes) cur.sock.replace(p, hops);
}

/** Closes every socket (tests, shutdown). */
export function closeRouteSockets(): void {
  for (const c of open.values()) c.sock.close();
  open.clear();
}
