// `snf replay` argument errors: exit 2, a message naming the option or file and why, and nothing
// run (every case fails before a store or an engine is made).
import { expect } from 'chai';
import { mkdtempSync, writeFileSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { command } from '../../../src/cli/commands/replay.js';

const CAPTURE = join(import.meta.dirname, '../../../bench/trace/captures/zeek/smtp.pcap');

async function run(args: string[]): Promise<{ code: number; err: string }> {
  const errors: string[] = [];
  const orig = console.error;
  console.error = (...a: unknown[]) => errors.push(a.map(String).join(' '));
  try {
    return { code: await command.run(args), err: errors.join('\n') };
  } finally {
    console.error = orig;
  }
}

describe('snf replay: bad arguments', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'snf-replay-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const cases: [string, () => string[], RegExp][] = [
    ['no capture', () => [], /at least one capture/],
    ['a missing file', () => [join(dir, 'nope.pcap')], /nope\.pcap': no such file/],
    ['an unknown chain', () => [CAPTURE, '--nf', 'nat,router'], /--nf: 'router' is not one of nat, firewall, fw\+nat, lb/],
    ['a chain named twice', () => [CAPTURE, '--nf', 'nat,nat'], /--nf: 'nat,nat' names a value twice/],
    ['an unknown store', () => [CAPTURE, '--stores', 'local,memcached'], /--stores: 'memcached' is not one of/],
    ['batch 0', () => [CAPTURE, '--batch', '0'], /--batch: expected an integer 1\.\.256, got '0'/],
    ['batch not a number', () => [CAPTURE, '--batch', 'ten'], /--batch: expected an integer/],
    ['rounds 0', () => [CAPTURE, '--rounds', '0'], /--rounds: expected an integer 1\.\.20, got '0'/],
    ['a Redis address without port', () => [CAPTURE, '--redis', 'localhost'], /--redis: expected HOST:PORT or unix:\/PATH, got 'localhost'/],
    ['a Redis UNIX socket path that is not absolute', () => [CAPTURE, '--redis', 'unix:redis.sock'], /--redis: expected HOST:PORT or unix:\/PATH, got 'unix:redis.sock'/],
    ['an unknown option', () => [CAPTURE, '--speed', '9'], /unknown option '--speed'/],
    ['an empty directory', () => [dir], /holds no \*\.pcap/],
  ];
  for (const [title, args, msg] of cases) {
    it(`${title}: exit 2 and says why`, async () => {
      const r = await run(args());
      expect(r.code).to.equal(2);
      expect(r.err).to.match(msg);
    });
  }

  it('a file that is not a capture: exit 2, names the file, the field and the offset', async () => {
    const f = join(dir, 'notes.pcap');
    writeFileSync(f, 'these are my notes, not packets');
    const r = await run([f]);
    expect(r.code).to.equal(2);
    expect(r.err).to.contain('notes.pcap: magic number at byte 0');
  });

  it('a capture cut short: exit 2 with the packet and offset', async () => {
    const f = join(dir, 'cut.pcap');
    const buf = readFileSync(CAPTURE);
    writeFileSync(f, buf.subarray(0, 24 + 16 + 10));
    const r = await run([f]);
    expect(r.code).to.equal(2);
    expect(r.err).to.contain('cut.pcap: packet 0 data at byte 40');
  });
});
