// How a RAMCloud coordinator and server are started: the command lines and the log line that
// says a server has joined, shared by the test clusters (cluster.ts) and the local deployment
// (src/vim/local/ramcloud-nodes.ts).

export interface ServerArgs {
  locator: string;
  coordinator: string;
  clusterName: string;
  masterMemoryMb: number;
  maxCores: number;
  /** 0: a master only; R > 0: the server also runs an in-memory backup, R copies of each segment elsewhere. */
  replicas: number;
}

export function coordinatorArgs(locator: string, clusterName: string, maxCores: number): string[] {
  // The coordinator listens on its -C locator.
  return ['-C', locator, '--clusterName', clusterName, '--maxCores', String(maxCores)];
}

export function serverArgs(o: ServerArgs): string[] {
  const args = ['-L', o.locator, '-C', o.coordinator, '--clusterName', o.clusterName, '--totalMasterMemory', String(o.masterMemoryMb), '--maxCores', String(o.maxCores), '--replicas', String(o.replicas)];
  if (o.replicas === 0) return [...args, '--masterOnly'];
  // RAMCloud's sizing rule: 2 x memory x replicas of backup space, in 8 MB segment frames
  const frames = Math.max(16, Math.ceil((2 * o.masterMemoryMb * o.replicas) / 8));
  return [...args, '--backupInMemory', '--segmentFrames', String(frames)];
}

/** In a server's log once the coordinator has taken it into the cluster. */
export const ENLISTED_RE = /Enlisted; serverId/;

/**
 * The environment our RAMCloud build reads (scripts/ramcloud/patches/0002-idle-sleep.patch):
 * dispatch threads and workers sleep when idle instead of spinning a core each, which a
 * machine shared with the NF instances and their traffic cannot spare. Dedicated cores: unset.
 */
export const SHARED_CORES_ENV: Record<string, string> = { RAMCLOUD_IDLE_SLEEP_US: '100', RAMCLOUD_WORKER_POLL_US: '100' };
