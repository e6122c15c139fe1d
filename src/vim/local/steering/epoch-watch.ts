// Total state loss: the store restarted empty or an operator wiped it. The control plane notices
// (the epoch key vanished or changed: src/store/epoch.ts), puts the control tables back from
// their source, claims a new epoch and records what happened where `snf status` and the
// metrics read it (store-epoch.json in the run directory).
//
// The source of the tables is the deployment's own copy (tables.json): the tables given at
// `snf up`, replaced by every later generation this watch reads from the store, so a restore
// brings back what the operator last wrote, not what the deployment started with. Tables are
// never restored empty: if there is no source, the loss is recorded and nothing is written.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NfTables } from '../../../model/tables.js';
import { readGeneration, readTablesSnapshot, writeTables, ctlKeys, type StoreClient } from '../../../store/index.js';
import { claimEpoch, readEpoch } from '../../../store/epoch.js';
import { writeJsonAtomic } from '../state.js';
import { fenceNatPorts, recordNatPorts, type FenceResult, type NatPortRecord } from '../../../store/nat-quarantine.js';

export interface StoreLoss {
  /** ms since the epoch when the control plane noticed */
  at: number;
  reason: 'epoch vanished' | 'epoch changed';
  previousEpoch: string;
  epoch: string;
  /** the generation the restored tables got; absent when nothing needed restoring */
  restoredGeneration?: number;
  /** why the tables were not restored, if they were not */
  restoreError?: string;
  /** NAT ports put in quarantine (store/nat-quarantine.ts); absent without NAT or a record */
  natQuarantine?: FenceResult & { recordAgeMs: number };
  natQuarantineError?: string;
}

/** How often the NAT's ports in use are recorded (a SCAN of its reverse keys and cursors). */
export const NAT_RECORD_EVERY_MS = 1000;

export function natRecordPath(runDir: string): string {
  return join(runDir, 'nat-ports.json');
}

export interface StoreEpochStatus {
  epoch: string;
  /** ms since the epoch when this epoch was first seen */
  since: number;
  losses: number;
  lastLoss?: StoreLoss;
}

export interface TablesSource {
  generation: number;
  tables: NfTables;
}

export function storeEpochPath(runDir: string): string {
  return join(runDir, 'store-epoch.json');
}

export function tablesSourcePath(runDir: string): string {
  return join(runDir, 'tables.json');
}

function readJson<T>(p: string): T | undefined {
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

export function readStoreEpochStatus(runDir: string): StoreEpochStatus | undefined {
  return readJson<StoreEpochStatus>(storeEpochPath(runDir));
}

export function readTablesSource(runDir: string): TablesSource | undefined {
  return readJson<TablesSource>(tablesSourcePath(runDir));
}

export function saveTablesSource(runDir: string, src: TablesSource): void {
  writeJsonAtomic(tablesSourcePath(runDir), src);
}

/** Claims the first epoch of a new deployment and records it (called by `up` after the tables). */
export async function initStoreEpoch(redis: StoreClient, vnf: string, runDir: string, tables: NfTables, generation: number): Promise<string> {
  saveTablesSource(runDir, { generation, tables });
  const { epoch } = await claimEpoch(redis, vnf);
  writeJsonAtomic(storeEpochPath(runDir), { epoch, since: Date.now(), losses: 0 } satisfies StoreEpochStatus);
  return epoch;
}

export class EpochWatch {
  private status: StoreEpochStatus | undefined;
  /** the two latest records of the NAT's ports (older, newer): survive a controller restart */
  private natRecords: [NatPortRecord | undefined, NatPortRecord | undefined];

  constructor(
    private readonly o: { store: StoreClient; vnf: string; runDir: string; log: (o: Record<string, unknown>) => void; now?: () => number },
  ) {
    this.status = readStoreEpochStatus(o.runDir);
    this.natRecords = readJson<[NatPortRecord | undefined, NatPortRecord | undefined]>(natRecordPath(o.runDir)) ?? [undefined, undefined];
  }

  current(): StoreEpochStatus | undefined {
    return this.status;
  }

  /** One check: a GET of the epoch and of the generation; more only when something changed. */
  async check(): Promise<StoreLoss | undefined> {
    const { store, vnf, runDir } = this.o;
    const now = (this.o.now ?? Date.now)();
    const [epoch, gen] = await Promise.all([readEpoch(store, vnf), readGeneration(store, vnf)]);
    const src = readTablesSource(runDir);
    if (epoch !== undefined && this.status && epoch === this.status.epoch) {
      if (gen > 0 && gen !== src?.generation) {
        const snap = await readTablesSnapshot(store, vnf);
        if (snap.generation > 0) saveTablesSource(runDir, { generation: snap.generation, tables: snap.tables });
      }
      if (src?.tables.nat && now - (this.natRecords[1]?.at ?? 0) >= NAT_RECORD_EVERY_MS) {
        const rec = await recordNatPorts(store, vnf, epoch, now);
        this.natRecords = [this.natRecords[1], rec];
        writeJsonAtomic(natRecordPath(runDir), this.natRecords);
      }
      return undefined;
    }
    if (epoch !== undefined && !this.status) {
      // first sight (a deployment made before epochs existed): adopt, nothing was lost
      this.status = { epoch, since: now, losses: 0 };
      writeJsonAtomic(storeEpochPath(runDir), this.status);
      return undefined;
    }
    const previousEpoch = this.status?.epoch ?? '';
    const loss: StoreLoss = { at: now, reason: epoch === undefined ? 'epoch vanished' : 'epoch changed', previousEpoch, epoch: epoch ?? '' };
    if (gen === 0) {
      // the tables are gone with the epoch: put them back before announcing a new epoch, so an
      // instance that sees the new epoch also finds tables
      if (!src) loss.restoreError = `no table source at ${tablesSourcePath(runDir)}`;
      else {
        try {
          // generations never go backwards across a wipe: watchers that saw N must see a change
          await store.set(ctlKeys(vnf).gen, String(src.generation));
          loss.restoredGeneration = await writeTables(store, vnf, src.tables);
          saveTablesSource(runDir, { generation: loss.restoredGeneration, tables: src.tables });
        } catch (e) {
          // not recorded: the epoch stays unclaimed, so the next check tries again
          throw new Error(`store lost its data; restoring the control tables failed: ${(e as Error).message}`);
        }
      }
    }
    // Before the new epoch is announced: the ports orphans may hold go into quarantine.
    const [prevRec, lastRec] = this.natRecords;
    if (src?.tables.nat && lastRec && lastRec.epoch === previousEpoch) {
      try {
        loss.natQuarantine = { ...(await fenceNatPorts(store, lastRec, prevRec?.epoch === previousEpoch ? prevRec : undefined, src.tables)), recordAgeMs: now - lastRec.at };
      } catch (e) {
        // not recorded: the epoch stays unclaimed, so the next check tries again
        throw new Error(`store lost its data; NAT port quarantine failed: ${(e as Error).message}`);
      }
    } else if (src?.tables.nat) loss.natQuarantineError = `no record of the NAT's ports in epoch ${previousEpoch || '(none)'}`;
    this.natRecords = [undefined, undefined];
    if (epoch === undefined) loss.epoch = (await claimEpoch(store, vnf, now)).epoch;
    this.status = { epoch: loss.epoch, since: now, losses: (this.status?.losses ?? 0) + 1, lastLoss: loss };
    writeJsonAtomic(storeEpochPath(runDir), this.status);
    this.o.log({ event: 'store-loss', ...loss });
    return loss;
  }
}
