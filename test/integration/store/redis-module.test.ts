// The store module (native/redis_module) against the scripts it stands in for: each of its
// commands, on a real redis-server that loads it, leaves the same values and TTLs and gives the
// same reply as its Lua script (taken from native/store/scripts.cpp, run with EVAL on the same
// server) on every case below, and tells a client that caches the keys (CLIENT TRACKING) of the
// same changes, no more: a write that did not happen must not empty other instances' caches; its
// writes reach a replica that does not load it; and an engine whose user may not run it still
// gets its compare-and-sets done (by the scripts).
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openResp, rawCommand, startRedis, type RedisServer, type RespConnection, type RespValue } from '../../support/redis.js';
import { aclRules } from '../../../src/store/acl.js';
import { REDIS_MODULE_COMMANDS } from '../../../src/store/redis-module.js';

const SCRIPTS = readFileSync(join(process.cwd(), 'native', 'store', 'scripts.cpp'), 'utf8');
function lua(name: string): string {
  const m = new RegExp(`const char\\* ${name} = R"LUA\\(([\\s\\S]*?)\\)LUA";`).exec(SCRIPTS);
  if (!m) throw new Error(`script ${name} not found in native/store/scripts.cpp`);
  return m[1];
}

// key suffix -> string value, list value, sorted set (with a TTL in ms, or none), or no key
type Zset = { zset: [number, string][]; pttl?: number };
type Setup = [string, string | string[] | Zset | null][];
interface Case {
  title: string;
  setup: Setup;
  // keys (suffixes) and arguments as the script takes them; an argument '@x' is the key of suffix x
  keys: string[];
  args: string[];
  // keys the script names in its arguments or builds (suffixes): tracked and compared too
  also?: string[];
}
interface Family {
  script: string;
  // the module command's arguments from the script's keys and arguments
  command: (k: string[], a: string[]) => string[];
  cases: Case[];
}

const FAMILIES: Record<string, Family> = {
  cas: {
    script: 'kCas',
    command: (k, a) => ['SNF.CAS', k[0], a[0], a[1], a[2]],
    cases: [
      { title: 'matching state', setup: [['f', 'SS|1|x']], keys: ['f'], args: ['SS', 'SR|2|y', '60000'] },
      { title: 'other state', setup: [['f', 'SR|1|x']], keys: ['f'], args: ['SS', 'ES|2|y', '60000'] },
      { title: 'state a prefix of the stored one', setup: [['f', 'SSX|1']], keys: ['f'], args: ['SS', 'ES|2', '60000'] },
      { title: 'value without a bar', setup: [['f', 'SS']], keys: ['f'], args: ['SS', 'ES|2', '60000'] },
      { title: 'empty state field', setup: [['f', '|1']], keys: ['f'], args: ['SS', 'ES|2', '60000'] },
      { title: 'no value, a state expected', setup: [], keys: ['f'], args: ['SS', 'ES|2', '60000'] },
      { title: 'any value, one there', setup: [['f', 'ES|1']], keys: ['f'], args: ['*', 'FO|2', '1000'] },
      { title: 'any value, none there', setup: [], keys: ['f'], args: ['*', 'FO|2', '1000'] },
      { title: 'no value expected, none there', setup: [], keys: ['f'], args: ['', 'SS|2', '5000'] },
      { title: 'no value expected, one there', setup: [['f', 'SS|1']], keys: ['f'], args: ['', 'SS|2', '5000'] },
      { title: 'wrong type', setup: [['f', ['a']]], keys: ['f'], args: ['SS', 'ES|2', '60000'] },
      { title: 'bad TTL on a write', setup: [['f', 'SS|1']], keys: ['f'], args: ['SS', 'ES|2', 'abc'] },
      { title: 'zero TTL on a write', setup: [['f', 'SS|1']], keys: ['f'], args: ['SS', 'ES|2', '0'] },
      { title: 'bad TTL, no write', setup: [['f', 'SR|1']], keys: ['f'], args: ['SS', 'ES|2', 'abc'] },
    ],
  },
  nat_update: {
    script: 'kNatUpdate',
    command: (k, a) => ['SNF.NATUPD', k[0], k[1], a[0], a[1], a[2], a[3]],
    cases: [
      { title: 'same mapping', setup: [['f', '198.51.100.1|4000|N|1'], ['r', 'old']], keys: ['f', 'r'], args: ['198.51.100.1|4000|', '198.51.100.1|4000|E|2', 'rev|E', '300000'] },
      { title: 'same mapping, no reverse key', setup: [['f', '198.51.100.1|4000|N|1']], keys: ['f', 'r'], args: ['198.51.100.1|4000|', '198.51.100.1|4000|E|2', 'rev|E', '300000'] },
      { title: 'other port', setup: [['f', '198.51.100.1|4001|N|1'], ['r', 'old']], keys: ['f', 'r'], args: ['198.51.100.1|4000|', '198.51.100.1|4000|E|2', 'rev|E', '300000'] },
      { title: 'value shorter than the prefix', setup: [['f', '198.51']], keys: ['f', 'r'], args: ['198.51.100.1|4000|', 'x', 'y', '300000'] },
      { title: 'mapping gone', setup: [['r', 'old']], keys: ['f', 'r'], args: ['198.51.100.1|4000|', 'x', 'y', '300000'] },
      { title: 'reverse key of another type', setup: [['f', 'a|1|N'], ['r', ['l']]], keys: ['f', 'r'], args: ['a|1|', 'a|1|E', 'rev', '300000'] },
      { title: 'forward key of another type', setup: [['f', ['l']]], keys: ['f', 'r'], args: ['a|1|', 'a|1|E', 'rev', '300000'] },
      { title: 'bad TTL on a write', setup: [['f', 'a|1|N']], keys: ['f', 'r'], args: ['a|1|', 'a|1|E', 'rev', '-5'] },
    ],
  },
  lb_update: {
    script: 'kLbUpdate',
    command: (k, a) => ['SNF.LBUPD', k[0], k[1], k[2], ...a],
    // keys: forward, reverse, the backend's load set; arguments: expected "backend|" prefix, new
    // forward value, reverse value, TTL, member, now
    cases: [
      { title: 'same backend, no load set yet', setup: [['f', 'b1|S|100'], ['r', 'old']], keys: ['f', 'r', 'l'], args: ['b1|', 'b1|E|200', 'v1|b1', '300000', 'm1', '1700000000000'] },
      { title: 'same backend, load set with a longer TTL', setup: [['f', 'b1|S|100'], ['l', { zset: [[1, 'm0']], pttl: 900_000 }]], keys: ['f', 'r', 'l'], args: ['b1|', 'b1|E|200', 'v1|b1', '300000', 'm1', '1700000000000'] },
      { title: 'same backend, load set with a shorter TTL', setup: [['f', 'b1|S|100'], ['l', { zset: [[1, 'm0']], pttl: 10_000 }]], keys: ['f', 'r', 'l'], args: ['b1|', 'b1|E|200', 'v1|b1', '300000', 'm1', '1700000000000'] },
      { title: 'same backend, load set without a TTL', setup: [['f', 'b1|S|100'], ['l', { zset: [[1, 'm0']] }]], keys: ['f', 'r', 'l'], args: ['b1|', 'b1|E|200', 'v1|b1', '300000', 'm1', '1700000000000'] },
      { title: 'member already in the load set', setup: [['f', 'b1|E|100'], ['l', { zset: [[5, 'm1'], [7, 'm2']], pttl: 60_000 }]], keys: ['f', 'r', 'l'], args: ['b1|', 'b1|F|200', 'v1|b1', '120000', 'm1', '1700000000000'] },
      { title: 'other backend', setup: [['f', 'b2|S|100'], ['r', 'old']], keys: ['f', 'r', 'l'], args: ['b1|', 'b1|E|200', 'v1|b1', '300000', 'm1', '1700000000000'] },
      { title: 'assignment gone', setup: [['r', 'old']], keys: ['f', 'r', 'l'], args: ['b1|', 'b1|E|200', 'v1|b1', '300000', 'm1', '1700000000000'] },
      { title: 'value shorter than the prefix', setup: [['f', 'b']], keys: ['f', 'r', 'l'], args: ['b1|', 'x', 'y', '300000', 'm1', '1700000000000'] },
      { title: 'forward key of another type', setup: [['f', ['l']]], keys: ['f', 'r', 'l'], args: ['b1|', 'x', 'y', '300000', 'm1', '1700000000000'] },
      { title: 'reverse key of another type', setup: [['f', 'b1|S|1'], ['r', ['l']]], keys: ['f', 'r', 'l'], args: ['b1|', 'b1|E|2', 'y', '300000', 'm1', '1700000000000'] },
      { title: 'load key of another type (both keys written, then the error)', setup: [['f', 'b1|S|1'], ['l', 'str']], keys: ['f', 'r', 'l'], args: ['b1|', 'b1|E|2', 'y', '300000', 'm1', '1700000000000'] },
      { title: 'bad TTL on a write', setup: [['f', 'b1|S|1']], keys: ['f', 'r', 'l'], args: ['b1|', 'b1|E|2', 'y', 'later', 'm1', '1700000000000'] },
    ],
  },
  lb_assign: {
    script: 'kLbAssign',
    // The script's load-set prefix (KEYS[2]) and backends (id, weight, reverse key) become
    // (id, weight, reverse key, load set) in full, so Redis knows every key the command touches.
    command: (k, a) => {
      const out = ['SNF.LBASSIGN', k[0], ...a.slice(0, 7)];
      for (let j = 7; j + 2 < a.length; j += 3) out.push(a[j], a[j + 1], a[j + 2], k[1] + a[j]);
      return out;
    },
    // keys: forward, load-set prefix; arguments: mode, member, now, TTL, forward suffix, reverse
    // prefix, force, then (backend, weight, reverse key) per candidate
    cases: [
      { title: 'least loaded: both empty, the first', setup: [], keys: ['f', 'l:'], args: ['wlc', 'm1', '1700000000000', '300000', '|S|5', 'v1|', '0', 'b1', '1', '@r1', 'b2', '1', '@r2'], also: ['r1', 'r2', 'l:b1', 'l:b2'] },
      { title: 'least loaded after expired members are pruned', setup: [['l:b1', { zset: [[1699999999000, 'old'], [1700000100000, 'x'], [1700000100000, 'y']], pttl: 600_000 }], ['l:b2', { zset: [[1699999999000, 'gone'], [1700000000000, 'ends-now']], pttl: 600_000 }]], keys: ['f', 'l:'], args: ['wlc', 'm1', '1700000000000', '300000', '|S|5', 'v1|', '0', 'b1', '1', '@r1', 'b2', '1', '@r2'], also: ['r1', 'r2', 'l:b1', 'l:b2'] },
      { title: 'a member that ends after now stays', setup: [['l:b1', { zset: [[1700000000001, 'x']] }], ['l:b2', { zset: [[1700000000000, 'y'], [1700000000002, 'z']] }]], keys: ['f', 'l:'], args: ['wlc', 'm1', '1700000000000', '300000', '|S|5', 'v1|', '0', 'b2', '1', '@r2', 'b1', '1', '@r1'], also: ['r1', 'r2', 'l:b1', 'l:b2'] },
      { title: 'by weight, a tie to the first', setup: [['l:b1', { zset: [[1700000100000, 'x'], [1700000100000, 'y']] }]], keys: ['f', 'l:'], args: ['wlc', 'm1', '1700000000000', '300000', '|S|5', 'v1|', '0', 'b1', '3', '@r1', 'b2', '1', '@r2'], also: ['r1', 'r2', 'l:b1', 'l:b2'] },
      { title: 'by weight, the heavier', setup: [['l:b1', { zset: [[1700000100000, 'x']], pttl: 10_000 }]], keys: ['f', 'l:'], args: ['wlc', 'm1', '1700000000000', '300000', '|S|5', 'v1|', '0', 'b2', '1', '@r2', 'b1', '4', '@r1'], also: ['r1', 'r2', 'l:b1', 'l:b2'] },
      { title: 'fixed: the first, nothing pruned', setup: [['l:b1', { zset: [[1699999999000, 'old']] }]], keys: ['f', 'l:'], args: ['fixed', 'm1', '1700000000000', '300000', '|E|5', 'v1|', '0', 'b1', '1', '@r1', 'b2', '1', '@r2'], also: ['r1', 'r2', 'l:b1', 'l:b2'] },
      { title: 'an assignment there', setup: [['f', 'b2|E|1'], ['l:b1', { zset: [[1699999999000, 'old']] }]], keys: ['f', 'l:'], args: ['wlc', 'm1', '1700000000000', '300000', '|S|5', 'v1|', '0', 'b1', '1', '@r1', 'b2', '1', '@r2'], also: ['r1', 'r2', 'l:b1', 'l:b2'] },
      { title: 'an assignment there, replaced (force)', setup: [['f', 'b2|E|1'], ['l:b2', { zset: [[1700000100000, 'x']] }]], keys: ['f', 'l:'], args: ['wlc', 'm1', '1700000000000', '300000', '|S|5', 'v1|', '1', 'b1', '1', '@r1', 'b2', '1', '@r2'], also: ['r1', 'r2', 'l:b1', 'l:b2'] },
      { title: 'no backend', setup: [], keys: ['f', 'l:'], args: ['wlc', 'm1', '1700000000000', '300000', '|S|5', 'v1|', '0'], also: [] },
      { title: 'forward key of another type', setup: [['f', ['l']]], keys: ['f', 'l:'], args: ['wlc', 'm1', '1700000000000', '300000', '|S|5', 'v1|', '0', 'b1', '1', '@r1'], also: ['r1', 'l:b1'] },
      { title: 'a load set of another type', setup: [['l:b2', 'str']], keys: ['f', 'l:'], args: ['wlc', 'm1', '1700000000000', '300000', '|S|5', 'v1|', '0', 'b1', '1', '@r1', 'b2', '1', '@r2'], also: ['r1', 'r2', 'l:b1', 'l:b2'] },
      { title: 'reverse key of another type', setup: [['r1', ['l']]], keys: ['f', 'l:'], args: ['wlc', 'm1', '1700000000000', '300000', '|S|5', 'v1|', '0', 'b1', '1', '@r1'], also: ['r1', 'l:b1'] },
      { title: 'bad TTL', setup: [['l:b1', { zset: [[1700000100000, 'x']] }]], keys: ['f', 'l:'], args: ['wlc', 'm1', '1700000000000', 'soon', '|S|5', 'v1|', '0', 'b1', '1', '@r1'], also: ['r1', 'l:b1'] },
    ],
  },
  nat_claim: {
    script: 'kNatClaim',
    command: (k, a) => ['SNF.CLAIM', k[0], a[0], k[1], a[1], a[2]],
    cases: [
      { title: 'both free', setup: [], keys: ['f', 'r'], args: ['198.51.100.1|4000|N|1', 'fwdkey|N', '30000'] },
      { title: 'mapping made by another instance', setup: [['f', '198.51.100.1|4002|N|1']], keys: ['f', 'r'], args: ['198.51.100.1|4000|N|1', 'fwdkey|N', '30000'] },
      { title: 'port taken', setup: [['r', 'other']], keys: ['f', 'r'], args: ['198.51.100.1|4000|N|1', 'fwdkey|N', '30000'] },
      { title: 'both there', setup: [['f', 'a'], ['r', 'b']], keys: ['f', 'r'], args: ['x', 'y', '30000'] },
      { title: 'forward key of another type', setup: [['f', ['l']]], keys: ['f', 'r'], args: ['x', 'y', '30000'] },
      { title: 'bad TTL on a write', setup: [], keys: ['f', 'r'], args: ['x', 'y', 'soon'] },
    ],
  },
};

// What a key holds: type, value (strings) and whether it has a TTL within `ttl` of the one asked.
async function state(port: number, key: string): Promise<string> {
  const type = await rawCommand(port, ['TYPE', key]);
  const pttl = await rawCommand(port, ['PTTL', key]);
  const value =
    type === 'string' ? await rawCommand(port, ['GET', key])
    : type === 'list' ? await rawCommand(port, ['LRANGE', key, 0, -1])
    : type === 'zset' ? await rawCommand(port, ['ZRANGE', key, 0, -1, 'WITHSCORES'])
    : null;
  // TTLs are compared by bucket: the two writes are milliseconds apart.
  const ttl = typeof pttl === 'number' ? (pttl < 0 ? String(pttl) : `~${Math.round(pttl / 1000)}s`) : 'err';
  return JSON.stringify([type, value, ttl]);
}

function outcome(r: RespValue): string {
  return r instanceof Error ? 'error' : JSON.stringify(r);
}

// The keys Redis told a tracking client had changed, up to now: a PING on the subscriber
// comes back after every invalidation already sent to it.
async function invalidated(sub: RespConnection): Promise<string[]> {
  sub.send(['PING']);
  const keys: string[] = [];
  for (;;) {
    const m = await sub.next();
    if (!Array.isArray(m)) throw new Error(`subscriber: unexpected ${JSON.stringify(m)}`);
    if (m[0] === 'pong') return keys.sort();
    if (m[0] === 'message' && m[1] === '__redis__:invalidate' && Array.isArray(m[2])) keys.push(...m[2].map(String));
  }
}

describe('store module: native compare-and-sets', function () {
  this.timeout(30_000);
  let redis: RedisServer;
  // As the engine's cache does: a data connection tracking what it reads, its invalidations
  // redirected to a subscriber (RESP2).
  let sub: RespConnection;
  let tracker: RespConnection;
  before(async () => {
    redis = await startRedis({ module: true });
    sub = await openResp(redis.port);
    const id = await sub.call(['CLIENT', 'ID']);
    expect(await sub.call(['SUBSCRIBE', '__redis__:invalidate'])).to.deep.equal(['subscribe', '__redis__:invalidate', 1]);
    tracker = await openResp(redis.port);
    expect(await tracker.call(['CLIENT', 'TRACKING', 'on', 'REDIRECT', Number(id)])).to.equal('OK');
  });
  after(async () => {
    sub?.close();
    tracker?.close();
    await redis?.stop();
  });

  it('is loaded, and lists the commands the ACL rules allow', async () => {
    const info = await rawCommand(redis.port, ['COMMAND', 'INFO', ...REDIS_MODULE_COMMANDS]);
    expect(info).to.be.an('array').with.length(REDIS_MODULE_COMMANDS.length);
    for (const c of info as RespValue[]) expect(c, 'a command the module should have').to.be.an('array');
    const rules = aclRules('v1', 'dataplane', { module: true });
    for (const c of REDIS_MODULE_COMMANDS) expect(rules).to.include(`+${c}`);
    expect(aclRules('v1', 'dataplane').join(' ')).not.to.include('snf.');
  });

  for (const [name, fam] of Object.entries(FAMILIES)) {
    describe(name, () => {
      fam.cases.forEach((c, i) => {
        it(`${c.title}: the same reply, values, TTLs and invalidations as the script`, async () => {
          const results: string[][] = [];
          for (const how of ['script', 'module'] as const) {
            const prefix = `snf:t:{${name}${i}}:${how}:`;
            const keys = c.keys.map((k) => prefix + k);
            const args = c.args.map((a) => (a.startsWith('@') ? prefix + a.slice(1) : a));
            const all = [...keys, ...(c.also ?? []).map((k) => prefix + k)];
            for (const k of all) await rawCommand(redis.port, ['DEL', k]);
            for (const [suffix, v] of c.setup) {
              const k = prefix + suffix;
              if (Array.isArray(v)) await rawCommand(redis.port, ['RPUSH', k, ...v]);
              else if (typeof v === 'string') await rawCommand(redis.port, ['SET', k, v, 'PX', '90000']);
              else if (v !== null) {
                await rawCommand(redis.port, ['ZADD', k, ...v.zset.flat()]);
                if (v.pttl) await rawCommand(redis.port, ['PEXPIRE', k, v.pttl]);
              }
            }
            // Every key read by the tracking client, present or not (Redis tracks both).
            for (const k of all) expect(await tracker.call(['EXISTS', k])).to.be.a('number');
            expect(await invalidated(sub), 'nothing changed yet').to.deep.equal([]);
            const reply =
              how === 'script'
                ? await rawCommand(redis.port, ['EVAL', lua(fam.script), keys.length, ...keys, ...args])
                : await rawCommand(redis.port, fam.command(keys, args));
            const told = (await invalidated(sub)).map((k) => k.slice(prefix.length));
            const after = [];
            for (const k of all) after.push(await state(redis.port, k));
            results.push([outcome(reply), `invalidated: ${told.join(',')}`, ...after]);
          }
          expect(results[1], 'module (reply, invalidations, then each key)').to.deep.equal(results[0]);
        });
      });
    });
  }

  it('SNF.LBASSIGN: "nobackend" as Redis words the script\'s (the engine reads it), and ACL key patterns apply to every key it names', async () => {
    const none = ['{nb}:f', 'wlc', 'm', '1700000000000', '1000', '|S|1', 'v|', '0'];
    const script = await rawCommand(redis.port, ['EVAL', lua('kLbAssign'), 2, none[0], '{nb}:l:', ...none.slice(1)]);
    const module = await rawCommand(redis.port, ['SNF.LBASSIGN', ...none]);
    expect(script).to.be.instanceOf(Error);
    expect(module).to.be.instanceOf(Error);
    expect((script as Error).message).to.match(/^ERR nobackend/);
    expect((module as Error).message).to.equal('ERR nobackend');
    // A user whose keys are snf:t:{acl}:ok:*: a reverse key or a load set outside it is refused,
    // though the script would only find them in its arguments.
    expect(await rawCommand(redis.port, ['ACL', 'SETUSER', 'lbtest', 'on', '>pw', '~snf:t:{acl}:ok:*', '+snf.lbassign'])).to.equal('OK');
    const c = await openResp(redis.port);
    try {
      expect(await c.call(['AUTH', 'lbtest', 'pw'])).to.equal('OK');
      const ok = (s: string) => `snf:t:{acl}:ok:${s}`;
      const call = (rev: string, load: string) => c.call(['SNF.LBASSIGN', ok('f'), 'wlc', 'm', '1700000000000', '1000', '|S|1', 'v|', '1', 'b1', '1', rev, load]);
      expect(await call(ok('r'), ok('l:b1'))).to.equal('b1|S|1');
      for (const [rev, load] of [['snf:t:{acl}:other:r', ok('l:b1')], [ok('r'), 'snf:t:{acl}:other:l']]) {
        const r = await call(rev, load);
        expect(r, `${rev} ${load}`).to.be.instanceOf(Error);
        expect((r as Error).message).to.match(/^NOPERM/);
      }
      expect(await rawCommand(redis.port, ['EXISTS', 'snf:t:{acl}:other:r', 'snf:t:{acl}:other:l'])).to.equal(0);
    } finally {
      c.close();
      await rawCommand(redis.port, ['ACL', 'DELUSER', 'lbtest']);
    }
  });

  it('writes reach a replica that does not load the module, with their expiry', async () => {
    const replica = await startRedis({ module: false, args: ['--replicaof', '127.0.0.1', String(redis.port)] });
    try {
      const deadline = Date.now() + 10_000;
      while (!String(await rawCommand(replica.port, ['INFO', 'replication'])).includes('master_link_status:up')) {
        if (Date.now() > deadline) throw new Error('replica did not sync within 10 s');
        await new Promise((r) => setTimeout(r, 50));
      }
      const k = (s: string) => `snf:t:{repl}:${s}`;
      // One connection for the writes and the WAIT: WAIT waits for the offset of its own
      // client's last write (a fresh connection has none, and it returned at once).
      const w = await openResp(redis.port);
      try {
        await w.call(['SNF.CLAIM', k('f'), 'a|1|N', k('r'), 'rev|N', '60000']);
        await w.call(['SNF.NATUPD', k('f'), k('r'), 'a|1|', 'a|1|E', 'rev|E', '120000']);
        await w.call(['SNF.CAS', k('c'), '*', 'ES|1', '60000']);  // no value: no write
        await w.call(['SET', k('c'), 'SS|0']);
        await w.call(['SNF.CAS', k('c'), 'SS', 'SR|1', '30000']);
        await w.call(['SET', k('lf'), 'b1|S|1', 'PX', '60000']);
        await w.call(['SNF.LBUPD', k('lf'), k('lr'), k('ll'), 'b1|', 'b1|E|2', 'v|b1', '90000', 'm1', Date.now()]);
        // An assignment whose backend's load set had a member that ended: pruned on the replica too.
        await w.call(['ZADD', k('al'), 1, 'ended', Date.now() + 600_000, 'live']);
        await w.call(['SNF.LBASSIGN', k('af'), 'wlc', 'm2', Date.now(), '90000', '|S|1', 'v|', '0', 'b1', '1', k('ar'), k('al')]);
        expect(await w.call(['WAIT', 1, 5000]), 'replicas that acknowledged the writes').to.equal(1);
      } finally {
        w.close();
      }
      for (const key of [k('f'), k('r'), k('c'), k('lf'), k('lr'), k('ll'), k('af'), k('ar'), k('al')])
        expect(await state(replica.port, key), key).to.equal(await state(redis.port, key));
      expect(await rawCommand(replica.port, ['ZCARD', k('ll')])).to.equal(1);
      expect(await rawCommand(replica.port, ['ZRANGE', k('al'), 0, -1])).to.deep.equal(['m2', 'live']);
      expect(await rawCommand(replica.port, ['GET', k('af')])).to.equal('b1|S|1');
      expect(await rawCommand(replica.port, ['GET', k('f')])).to.equal('a|1|E');
      expect(await rawCommand(replica.port, ['GET', k('c')])).to.equal('SR|1');
    } finally {
      await replica.stop();
    }
  });
});
