// Real captures through the engine on the local store, Redis and Redis with the coherent cache
// (a real redis-server from test/support): every packet must get the same verdict and the same
// bytes on every store, and every forwarded frame correct checksums. A correctness test: nothing
// here is timed. The last two tests state what is correct on this traffic where the engine is
// known not to be yet (see the messages).
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRedis, type RedisServer } from '../../support/redis.js';
import { planBatches } from '../../../src/replay/batches.js';
import { loadCorpus, type Corpus } from '../../../src/replay/corpus.js';
import { PROTO } from '../../../src/replay/packet.js';
import { replay, type ChainResult, type ReplayOptions } from '../../../src/replay/runner.js';
import { REPLAY_TABLES } from '../../../src/replay/tables.js';

const DIR = join(import.meta.dirname, '../../../bench/trace/captures');
// IPv4 + IPv6 and fragments (DNS), ICMPv6 errors, Q-in-Q VLANs, a whole TCP session, and UDP
// fragments with ICMP errors (AFS).
const FILES = ['zeek/dns-edns-ecs.pcap', 'zeek/communityid/icmp6.pcap', 'zeek/http-qinq-0.pcap', 'zeek/smtp.pcap', 'tcpdump/afs.pcap'].map((f) => join(DIR, f));

const NFS = ['nat', 'firewall', 'fw+nat', 'lb'];

// Hooks of a describe: a redis-server, the corpus, and every chain replayed on local, redis and
// redis+cache with `opts` before its tests; the server stopped after them.
function replayedAll(opts: Partial<ReplayOptions>): { corpus: Corpus; results: ChainResult[] } {
  const got = { corpus: undefined as unknown as Corpus, results: [] as ChainResult[] };
  let redis: RedisServer | undefined;
  before(async () => {
    redis = await startRedis();
    got.corpus = loadCorpus(FILES);
    got.results = await replay(got.corpus, { nfs: NFS, stores: ['local', 'redis', 'redis+cache'], batches: planBatches(got.corpus, 15), redisNode: redis.node, ...opts });
  });
  after(async () => {
    await redis?.stop();
  });
  return got;
}

describe('snf replay: real captures on local, redis and redis+cache', function () {
  this.timeout(120_000);
  const got = replayedAll({ keepVerdicts: true });

  it('the corpus has what it was chosen for', () => {
    const s = got.corpus.stats;
    expect(s.ipv6).to.be.greaterThan(0);
    expect(s.vlanTagged).to.be.greaterThan(0);
    expect(s.fragments).to.be.greaterThan(0);
    expect(s.icmpErrors).to.be.greaterThan(0);
    expect(s.flows).to.be.greaterThan(20);
  });

  for (const nf of NFS) {
    it(`${nf}: same verdicts and bytes on every store, every checksum right`, () => {
      const c = got.results.find((r) => r.nf === nf);
      expect(c?.stores.map((s) => s.store)).to.deep.equal(['local', 'redis', 'redis+cache']);
      for (const s of c?.stores ?? []) {
        expect(s.mismatches, `${nf}/${s.store} differs from local`).to.deep.equal([]);
        expect(s.verdictMismatches + s.outputMismatches).to.equal(0);
        expect(s.checksumFailures, `${nf}/${s.store} broke checksums`).to.deep.equal([]);
        expect(s.checksumsOk, 'frames whose checksums were all checked').to.be.greaterThan(s.forwarded / 2);
        expect(s.forwarded).to.be.greaterThan(s.packets / 2);
        if (s.store !== 'local') expect(s.roundTrips).to.be.greaterThan(0);
        if (s.store === 'redis+cache') expect(s.cacheHits).to.be.greaterThan(0);
        // Replies reached the flow the NF set up: they came back through it.
        if (nf !== 'firewall') expect(s.repliesRewritten).to.be.greaterThan(s.repliesUnmapped);
        const back = (s.verdicts ?? []).filter((v, i) => got.corpus.packets[i].from === 'responder' && v.startsWith('forward')).length;
        // fw+nat: most replies wait for the stage-order fix (last test below); some still pass.
        const share = nf === 'fw+nat' ? 0.1 : 0.5;
        expect(back, 'replies forwarded').to.be.greaterThan(got.corpus.packets.filter((p) => p.from === 'responder').length * share);
      }
    });
  }

  // Fails until helper "pkt" fixes issue 12's defect 1 (parse.cpp rejects a first fragment's UDP
  // length, which covers the whole datagram): AFS and DNS responses over UDP fragments.
  it('UDP first fragments are not dropped as bad L4 headers (issue 12, defect 1)', () => {
    const nat = got.results.find((r) => r.nf === 'nat')?.stores[0];
    const firsts = got.corpus.packets.map((p, i) => ({ p, i })).filter(({ p }) => p.view.frag?.first && p.view.proto === PROTO.UDP);
    expect(firsts.length).to.be.greaterThan(0);
    const dropped = firsts.filter(({ i }) => nat?.verdicts?.[i] === 'drop bad_l4_header').map(({ i }) => i);
    expect(dropped.length, `UDP first fragments (of ${firsts.length}) dropped as bad_l4_header, first: ${dropped.slice(0, 5).join(', ')}`).to.equal(0);
  });

  // Fails until the engine keeps per-flow order across NF stages within a batch: in fw+nat an
  // outbound packet meets the firewall in the batch's first stage, an inbound one in its last,
  // so a handshake's ACK is judged before the SYN-ACK that precedes it in the same batch
  // (fw_bad_tcp_state). The firewall alone forwards those packets; NAT does not change TCP state.
  it('fw+nat judges TCP state like the firewall alone', () => {
    const fw = got.results.find((r) => r.nf === 'firewall')?.stores[0].verdicts ?? [];
    const fwNat = got.results.find((r) => r.nf === 'fw+nat')?.stores[0].verdicts ?? [];
    expect(fw.length).to.equal(got.corpus.packets.length);
    const worse = fwNat.map((v, i) => (v === 'drop fw_bad_tcp_state' && fw[i].startsWith('forward') ? i : -1)).filter((i) => i >= 0);
    expect(worse.length, `packets the firewall forwards but fw+nat drops as fw_bad_tcp_state (first: ${worse.slice(0, 5).join(', ')})`).to.equal(0);
  });
});

// A store on the same host over a UNIX socket (`--redis unix:/PATH`): the same answers.
describe('snf replay: Redis over a UNIX socket', function () {
  this.timeout(120_000);
  it('nat on redis+cache through unix:/PATH gives the verdicts and bytes of local', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'snf-replay-unix-'));
    const sock = join(dir, 'redis.sock');
    const redis = await startRedis({ args: ['--unixsocket', sock, '--unixsocketperm', '700'] });
    try {
      const corpus = loadCorpus(FILES.slice(0, 2));
      const [r] = await replay(corpus, { nfs: ['nat'], stores: ['local', 'redis+cache'], batches: planBatches(corpus, 15), redisNode: `unix:${sock}` });
      const [, viaUnix] = r.stores;
      expect(viaUnix.store).to.equal('redis+cache');
      expect(viaUnix.roundTrips, 'it went to the store').to.be.greaterThan(0);
      expect(viaUnix.verdictMismatches).to.equal(0);
      expect(viaUnix.outputMismatches).to.equal(0);
      expect(viaUnix.forwarded).to.be.greaterThan(0);
    } finally {
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// Split phase (Engine.setInflight / submitSync / reapSync): four batches in flight per engine,
// each submitted once the batches its replies answer are back. The same verdicts as local on
// every chain and store, every checksum right; the firewall's bytes too (NAT ports and LB
// backends follow the order the store sees the lanes, so theirs are not compared).
describe('snf replay: batches in flight (split phase)', function () {
  this.timeout(180_000);
  const got = replayedAll({ inflight: 4 });

  for (const nf of NFS) {
    it(`${nf}: the verdicts of one batch at a time, every checksum right`, () => {
      const c = got.results.find((r) => r.nf === nf);
      for (const s of c?.stores ?? []) {
        expect(s.mismatches, `${nf}/${s.store} differs from local`).to.deep.equal([]);
        expect(s.verdictMismatches + s.outputMismatches).to.equal(0);
        expect(s.bytesCompared).to.equal(nf === 'firewall');
        expect(s.checksumFailures, `${nf}/${s.store} broke checksums`).to.deep.equal([]);
        expect(s.forwarded).to.be.greaterThan(s.packets / 2);
        if (nf !== 'firewall') expect(s.repliesRewritten).to.be.greaterThan(s.repliesUnmapped);
      }
    });
  }
});

describe('Engine split-phase API', function () {
  this.timeout(30_000);
  it('rejects a bad depth, a fifth batch at depth 4, and processSync with batches in flight', async () => {
    const { Engine } = await import('../../../src/dataplane/engine.js');
    const e = new Engine({ vnf: 'splitapi', instanceId: 'i', chain: ['firewall'], store: { kind: 'local' }, ...REPLAY_TABLES });
    try {
      for (const bad of [0, 17, 1.5, Number.NaN]) expect(() => e.setInflight(bad), String(bad)).to.throw(RangeError, /inflight: must be an integer from 1 to 16/);
      e.setInflight(4);
      const frame = { side: 'inside' as const, data: Buffer.from(corpus4()) };
      const seqs = [1, 2, 3, 4].map(() => e.submitSync([frame]));
      expect(seqs).to.deep.equal([1, 2, 3, 4]);
      expect(() => e.submitSync([frame])).to.throw(/4 batches in flight already: reap first/);
      expect(() => e.processSync([frame])).to.throw(/reap the batches in flight/);
      expect(() => e.setInflight(2)).to.throw(/reap the batches in flight first/);
      const back = [1, 2, 3, 4].map(() => e.reapSync(true)?.seq);
      expect(back).to.deep.equal([1, 2, 3, 4]);
      expect(e.reapSync(true)).to.equal(null);
      expect(e.processSync([frame])[0].verdict).to.equal('forward');
    } finally {
      e.close();
    }
  });
});

// The command line: --post-hold-us reaches the Redis stores' configuration (a store the engine
// refused would fail the run), and a value outside 0..10000 is refused before anything runs.
describe('snf replay --post-hold-us', function () {
  this.timeout(120_000);
  let redis: RedisServer | undefined;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis?.stop();
  });
  const run = (args: string[]) =>
    new Promise<{ code: number | null; out: string; err: string }>((res) => {
      const c = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'replay', FILES[3], ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      c.stdout.on('data', (x: Buffer) => (out += x.toString()));
      c.stderr.on('data', (x: Buffer) => (err += x.toString()));
      c.once('exit', (code) => res({ code, out, err }));
    });
  it('replays with posts held or not, and refuses a hold out of range', async () => {
    const common = ['--nf', 'fw+nat', '--stores', 'local,redis+cache', '--rounds', '1', '--redis', redis!.node];
    for (const hold of ['0', '10000']) {
      const r = await run([...common, '--post-hold-us', hold]);
      expect(r.code, r.err).to.equal(0);
      expect(r.out).to.match(/\| fw\+nat +\| redis\+cache +\|/);
    }
    const bad = await run([...common, '--post-hold-us', '20000']);
    expect(bad.code).to.equal(2);
    expect(bad.err).to.contain("--post-hold-us: expected an integer 0..10000, got '20000'");
  });
});

// A UDP packet from the inside (10.0.0.5:40000 -> 192.0.2.53:53), which the replay tables' firewall lets out.
function corpus4(): Uint8Array {
  return Buffer.from('0200000000000200000000010800450000200000000040110000' + '0a000005c0000235' + '9c400035000c0000' + '00000000', 'hex');
}
