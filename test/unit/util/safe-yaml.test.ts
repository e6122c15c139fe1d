// The one YAML loader bounds alias expansion for every format the product reads (descriptors,
// HOT templates, clouds.yaml; packages in test/unit/package/hostile-content.test.ts), and the
// echo helper bounds what errors quote. Bombs are generated here, loaded by the real parser.
import { expect } from 'chai';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDescriptorText } from '../../../src/descriptor/validate.js';
import { loadCloudsFile } from '../../../src/openstack/config.js';
import { clip, clipMessage, echo, hexBytes, MESSAGE_MAX_BYTES } from '../../../src/util/echo.js';
import { checkAliasExpansion, loadYaml, loadYamlAll, MAX_ALIAS_NODES, YAML_SCHEMAS, YamlAliasLimitError } from '../../../src/util/safe-yaml.js';
import { parseHot } from '../../../src/vim/openstack/template.js';
import { aliasBomb } from './yaml-bombs.js';

/** A list of `width` scalars, anchored, and a list of `width` aliases to it. */
function fanOut(width: number): string {
  return `a: &a [${Array(width).fill('x').join(', ')}]\nb: [${Array(width).fill('*a').join(', ')}]\n`;
}

describe('safe YAML loader', () => {
  it('refuses a billion-laughs stream, single or multi-document', () => {
    expect(() => loadYaml(aliasBomb(), { source: 'bomb.yaml' })).to.throw(YamlAliasLimitError, `YAML alias expansion exceeds ${MAX_ALIAS_NODES} nodes`);
    expect(() => loadYamlAll(`---\nok: 1\n---\n${aliasBomb()}`)).to.throw(YamlAliasLimitError);
  });

  it('counts exactly the nodes reached through aliases against the bound', () => {
    // 100 aliases to a 100-scalar list: each alias reaches 101 nodes (the list and its items); the
    // first occurrence of the anchored list itself is free.
    const doc = loadYaml(fanOut(100), { maxAliasNodes: 100 * 101 });
    expect((doc as { b: unknown[] }).b).to.have.length(100);
    expect(() => loadYaml(fanOut(100), { maxAliasNodes: 100 * 101 - 1 })).to.throw(YamlAliasLimitError);
  });

  it('keeps the loaded values and the schema: aliases resolve, timestamps stay strings under JSON and CORE', () => {
    expect(loadYaml('x: &x {a: 1}\ny: *x\nd: 2018-08-31\n')).to.deep.equal({ x: { a: 1 }, y: { a: 1 }, d: '2018-08-31' });
    expect(loadYaml('d: 2018-08-31\n', { schema: YAML_SCHEMAS.core })).to.deep.equal({ d: '2018-08-31' });
    expect(loadYaml('base: &b {k: 1}\nc:\n  <<: *b\n  j: 2\n', { schema: YAML_SCHEMAS.default })).to.deep.equal({ base: { k: 1 }, c: { k: 1, j: 2 } });
  });

  it('walks a deeply nested document without recursion', () => {
    let v: unknown = 'leaf';
    for (let i = 0; i < 200_000; i++) v = [v];
    expect(() => checkAliasExpansion([v], 'deep')).to.not.throw();
  });

  it('is the only place in src/ that hands text to js-yaml', () => {
    const bypasses: string[] = [];
    for (const f of readdirSync('src', { recursive: true, encoding: 'utf8' })) {
      if (!f.endsWith('.ts') || f === join('util', 'safe-yaml.ts')) continue;
      const text = readFileSync(join('src', f), 'utf8');
      if (/\byaml\.(load|loadAll)\s*\(/.test(text)) bypasses.push(f);
    }
    expect(bypasses).to.deep.equal([]);
  });

  it('bounds the descriptor loader, the HOT template parser and clouds.yaml', () => {
    const d = parseDescriptorText(aliasBomb());
    expect(d.ok).to.equal(false);
    if (!d.ok) expect(d.issues).to.deep.equal([{ path: '', message: `YAML alias expansion exceeds ${MAX_ALIAS_NODES} nodes (an alias bomb?); refused` }]);
    expect(() => parseHot(`heat_template_version: 2018-08-31\nresources: {}\nx:\n${aliasBomb('  ')}`)).to.throw(/HOT template is not valid YAML: YAML alias expansion exceeds/);
    const dir = mkdtempSync(join(tmpdir(), 'snf-clouds-bomb-'));
    try {
      const file = join(dir, 'clouds.yaml');
      writeFileSync(file, `clouds:\n  c:\n${aliasBomb('    ')}`);
      expect(() => loadCloudsFile({ env: { OS_CLIENT_CONFIG_FILE: file }, cwd: dir, home: dir })).to.throw(`${file}: not valid YAML: YAML alias expansion exceeds`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('clips a syntax error that quotes its input (an unknown tag of 100 kB)', () => {
    const d = parseDescriptorText(`x: !<${'t'.repeat(100_000)}> 1\n`);
    expect(d.ok).to.equal(false);
    if (!d.ok) {
      expect(d.issues[0].message).to.match(/^YAML syntax: .*\.\.\. \(\d+ bytes\).* at line 1, column \d+$/);
      expect(d.issues[0].message.length).to.be.below(600);
    }
  });
});

describe('echo helper', () => {
  it('keeps short values, clips long ones to their start and byte size, never splitting a character', () => {
    expect(clip('short')).to.equal('short');
    expect(clip('a'.repeat(300), 10)).to.equal('aaaaaaaaaa... (300 bytes)');
    // 'é' is 2 bytes: a cut at 5 bytes would split the third one, so only two are kept.
    expect(clip('é'.repeat(10), 5)).to.equal('éé... (20 bytes)');
    expect(echo`key ${'k'.repeat(1000)} and ${42}`).to.match(/^key k{256}\.\.\. \(1000 bytes\) and 42$/);
    expect(hexBytes(Buffer.from([0x61, 0xff]))).to.equal('61ff');
    expect(hexBytes(Buffer.alloc(1000, 0xab), 8)).to.equal('abababab... (1000 bytes)');
  });

  it('clips whitespace-free runs inside a message, then the message as a whole', () => {
    expect(clipMessage('short one')).to.equal('short one');
    expect(clipMessage(`bad key ${'k'.repeat(5000)} here`)).to.match(/^bad key k{256}\.\.\. \(5000 bytes\) here$/);
    const many = clipMessage(Array(100).fill('w'.repeat(200)).join(' '));
    expect(Buffer.byteLength(many)).to.be.below(MESSAGE_MAX_BYTES + 32);
    expect(many).to.match(/\.\.\. \(20099 bytes\)$/);
  });
});
