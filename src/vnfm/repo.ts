// The VNFM's state in Redis, so a restart loses nothing: VNF instances, LCM operation
// occurrences, subscriptions, and the one-operation-per-VNF lock. Every key shares the hash tag
// {<name>} (default "vnfm"): on a Redis Cluster the adapter's state lives in one slot and a
// change to it can be one MULTI.
//
//   snf:{vnfm}:vnf:<id>    JSON VnfRecord         snf:{vnfm}:vnfs   ZSET id -> created ms
//   snf:{vnfm}:op:<id>     JSON OpRecord          snf:{vnfm}:ops    ZSET id -> start ms
//   snf:{vnfm}:sub:<id>    JSON Subscription      snf:{vnfm}:subs   ZSET id -> created ms
//   snf:{vnfm}:busy:<vnf>  id of the operation holding the VNF (SET NX; gone when it ends)
//   snf:{vnfm}:outbox:<sub> LIST of notifications not yet delivered to the subscription, oldest first
//   snf:{vnfm}:depname:<vim>:<name>  id of the VNF whose deployment bears that name on that VIM
//   snf:{vnfm}:depnames:<vnf>        SET of the depname keys the VNF holds (released on delete)
//   snf:{vnfm}:vnfd:<vnfdId>  JSON VnfdInfo fetched from an NFVO   snf:{vnfm}:vnfds  ZSET vnfdId -> fetched ms
import type { StoreClient } from '../store/index.js';
import type { OpRecord, Subscription, VnfdInfo, VnfRecord } from './types.js';

export class VnfmRepo {
  private readonly p: string;

  constructor(
    readonly redis: StoreClient,
    name = 'vnfm',
  ) {
    if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new Error(`vnfm state name must be [A-Za-z0-9_.-]+, got ${JSON.stringify(name)}`);
    this.p = `snf:{${name}}`;
  }

  private async getJson<T>(key: string): Promise<T | undefined> {
    const s = await this.redis.get(key);
    return s === null ? undefined : (JSON.parse(s) as T);
  }

  private async list<T>(index: string, kind: string): Promise<T[]> {
    const ids = await this.redis.zrange(index, 0, -1);
    if (ids.length === 0) return [];
    const vals = await this.redis.mget(...ids.map((id) => `${this.p}:${kind}:${id}`));
    return vals.filter((v): v is string => v !== null).map((v) => JSON.parse(v) as T);
  }

  async exec(m: ReturnType<StoreClient['multi']>, what: string): Promise<void> {
    const res = await m.exec();
    const err = res?.find(([e]) => e)?.[0];
    if (!res || err) throw new Error(`vnfm store: ${what}: ${err?.message ?? 'transaction aborted'}`);
  }

  getVnf(id: string): Promise<VnfRecord | undefined> {
    return this.getJson(`${this.p}:vnf:${id}`);
  }
  listVnfs(): Promise<VnfRecord[]> {
    return this.list(`${this.p}:vnfs`, 'vnf');
  }
  async putVnf(r: VnfRecord, created = false): Promise<void> {
    const m = this.redis.multi().set(`${this.p}:vnf:${r.vnf.id}`, JSON.stringify(r));
    if (created) m.zadd(`${this.p}:vnfs`, Date.now(), r.vnf.id);
    await this.exec(m, `put vnf ${r.vnf.id}`);
  }
  async deleteVnf(id: string): Promise<void> {
    await this.exec(this.redis.multi().del(`${this.p}:vnf:${id}`).zrem(`${this.p}:vnfs`, id), `delete vnf ${id}`);
  }

  /** VNFDs learnt from an NFVO: kept here so a restart still knows the VNFs made from them. */
  listVnfds(): Promise<VnfdInfo[]> {
    return this.list(`${this.p}:vnfds`, 'vnfd');
  }
  async putVnfd(v: VnfdInfo): Promise<void> {
    await this.exec(this.redis.multi().set(`${this.p}:vnfd:${v.vnfdId}`, JSON.stringify(v)).zadd(`${this.p}:vnfds`, Date.now(), v.vnfdId), `put vnfd ${v.vnfdId}`);
  }

  getOp(id: string): Promise<OpRecord | undefined> {
    return this.getJson(`${this.p}:op:${id}`);
  }
  listOps(): Promise<OpRecord[]> {
    return this.list(`${this.p}:ops`, 'op');
  }
  async putOp(r: OpRecord, created = false): Promise<void> {
    const m = this.redis.multi().set(`${this.p}:op:${r.op.id}`, JSON.stringify(r));
    if (created) m.zadd(`${this.p}:ops`, Date.parse(r.op.startTime), r.op.id);
    await this.exec(m, `put op ${r.op.id}`);
  }

  getSub(id: string): Promise<Subscription | undefined> {
    return this.getJson(`${this.p}:sub:${id}`);
  }
  listSubs(): Promise<Subscription[]> {
    return this.list(`${this.p}:subs`, 'sub');
  }
  async putSub(s: Subscription): Promise<void> {
    await this.exec(this.redis.multi().set(`${this.p}:sub:${s.id}`, JSON.stringify(s)).zadd(`${this.p}:subs`, Date.now(), s.id), `put subscription ${s.id}`);
  }
  async deleteSub(id: string): Promise<boolean> {
    const n = await this.redis.del(`${this.p}:sub:${id}`);
    await this.redis.del(`${this.p}:outbox:${id}`);
    await this.redis.zrem(`${this.p}:subs`, id);
    return n > 0;
  }

  async outboxPush(subId: string, body: unknown): Promise<void> {
    await this.redis.rpush(`${this.p}:outbox:${subId}`, JSON.stringify(body));
  }
  async outboxHead<T>(subId: string): Promise<T | undefined> {
    const s = await this.redis.lindex(`${this.p}:outbox:${subId}`, 0);
    return s === null ? undefined : (JSON.parse(s) as T);
  }
  async outboxPop(subId: string): Promise<void> {
    await this.redis.lpop(`${this.p}:outbox:${subId}`);
  }
  async outboxClear(subId: string): Promise<void> {
    await this.redis.del(`${this.p}:outbox:${subId}`);
  }
  async outboxLength(subId: string): Promise<number> {
    return this.redis.llen(`${this.p}:outbox:${subId}`);
  }

  /** Takes the VNF for `opId`; returns the id of the operation already holding it, if any. */
  async lock(vnfId: string, opId: string): Promise<string | undefined> {
    const ok = await this.redis.set(`${this.p}:busy:${vnfId}`, opId, 'NX');
    if (ok === 'OK') return undefined;
    return (await this.redis.get(`${this.p}:busy:${vnfId}`)) ?? undefined;
  }
  async holder(vnfId: string): Promise<string | undefined> {
    return (await this.redis.get(`${this.p}:busy:${vnfId}`)) ?? undefined;
  }
  /** Releases the VNF only if `opId` still holds it. */
  async unlock(vnfId: string, opId: string): Promise<void> {
    await this.redis.eval("if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0", 1, `${this.p}:busy:${vnfId}`, opId);
  }

  /**
   * Reserves a deployment name on a VIM for a VNF, so two VNFs never share one (one VNF's
   * rollback would delete the other's deployment). Returns the VNF already holding it, if another.
   */
  async reserveName(vim: string, name: string, vnfId: string): Promise<string | undefined> {
    const key = `${this.p}:depname:${vim}:${name}`;
    const ok = await this.redis.set(key, vnfId, 'NX');
    if (ok !== 'OK') {
      const owner = (await this.redis.get(key)) ?? undefined;
      if (owner !== vnfId) return owner;
    }
    await this.redis.sadd(`${this.p}:depnames:${vnfId}`, key);
    return undefined;
  }
  async releaseName(vim: string, name: string, vnfId: string): Promise<void> {
    const key = `${this.p}:depname:${vim}:${name}`;
    await this.redis.eval("if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0", 1, key, vnfId);
    await this.redis.srem(`${this.p}:depnames:${vnfId}`, key);
  }
  /** Releases every deployment name the VNF holds (it is being deleted). */
  async releaseNames(vnfId: string): Promise<void> {
    const set = `${this.p}:depnames:${vnfId}`;
    for (const key of await this.redis.smembers(set)) {
      await this.redis.eval("if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0", 1, key, vnfId);
    }
    await this.redis.del(set);
  }
}
