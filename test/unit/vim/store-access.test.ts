// The local deployment's store credentials (src/vim/local/store-access.ts): made fresh per
// deployment, root-only on disk, and turned into what redis-server, Sentinel and the clients take.
import { expect } from 'chai';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { accessPath, createAccess, dataNodeConf, describeAccess, loadAccess, roleAuth, seedFor, sentinelConf } from '../../../src/vim/local/store-access.js';
import { parseStoreUrl, redact } from '../../../src/store/url.js';

describe('local deployment store access', () => {
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'snf-access-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('makes random role passwords, saved 0600, read back as written', () => {
    const a = createAccess(dir, 'v1', { tls: false, admin: false, sentinel: false });
    const b = createAccess(mkdtempSync(join(dir, 'other-')), 'v1', { tls: false, admin: true, sentinel: true });
    expect(statSync(accessPath(dir)).mode & 0o777).to.equal(0o600);
    expect(loadAccess(dir)).to.deep.equal(a);
    expect(a.dataplane.user).to.equal('snf-dataplane-v1');
    expect(a.control.user).to.equal('snf-control-v1');
    expect(a.dataplane.password).to.match(/^[0-9a-f]{48}$/);
    expect(new Set([a.dataplane.password, a.control.password, b.dataplane.password, b.admin]).size, 'every password different').to.equal(4);
    expect(a.admin).to.equal(undefined);
    expect(b.sentinel?.user).to.equal('snf-sentinel-client');
    expect(loadAccess(join(dir, 'none'))).to.equal(undefined);
  });

  it('a single node turns the default user off; a replicated one gives it the admin password; TLS listens on the TLS port only', () => {
    const single = dataNodeConf(createAccess(dir, 'v1', { tls: false, admin: false, sentinel: false }), 'v1', undefined, false, true);
    expect(single).to.match(/^user default off$/m);
    expect(single).to.not.match(/requirepass/);
    expect(single).to.match(/^user snf-dataplane-v1 reset on >[0-9a-f]{48} .*%R~snf:\{v1:ctl\}:\*/m);
    // The store module is loaded, and the data plane's user may run its commands; without it, neither.
    expect(single).to.match(/^loadmodule \/.*snf-redis-module\.so$/m);
    expect(single).to.match(/^user snf-dataplane-v1 .* \+snf\.cas \+snf\.natupd \+snf\.claim/m);
    const plain = dataNodeConf(createAccess(dir, 'v1', { tls: false, admin: false, sentinel: false }), 'v1', undefined, false, false);
    expect(plain).to.not.match(/loadmodule|snf\./);
    const a = createAccess(dir, 'v1', { tls: true, admin: true, sentinel: true });
    const node = dataNodeConf(a, 'v1', 31000, true);
    expect(node).to.include(`requirepass ${a.admin}\nmasterauth ${a.admin}\n`);
    expect(node).to.match(/^port 0$/m);
    expect(node).to.match(/^tls-port 31000$/m);
    expect(node).to.match(/^tls-replication yes$/m);
    expect(node).to.match(/^tls-cluster yes$/m);
    expect(statSync(a.tls!.keyFile).mode & 0o777).to.equal(0o600);
    const sentinel = sentinelConf(a, 'snf', 31001);
    expect(sentinel).to.include(`sentinel auth-pass snf ${a.admin}`);
    expect(sentinel).to.match(/^user snf-sentinel-client reset on >[0-9a-f]{48} resetchannels &\* -@all .*\+sentinel\|get-master-addr-by-name/m);
    expect(sentinel).to.not.match(/sentinel\|failover|\+@all/);
    expect(() => dataNodeConf(a, 'v1')).to.throw(/a TLS node needs its TLS port/);
    expect(describeAccess(a)).to.match(/^ACL users snf-dataplane-v1 \(instances\), snf-control-v1 \(control plane\), default user admin-only \(random password\); TLS only, CA .*ca\.crt$/);
    expect(describeAccess(undefined)).to.match(/an operator's store/);
  });

  it('gives a Sentinel URL the Sentinel client login, which redact hides; other seeds pass through', () => {
    const a = createAccess(dir, 'v1', { tls: false, admin: true, sentinel: true });
    const seed = seedFor('rediss+sentinel://127.0.0.1:1,127.0.0.1:2/snf?ca=/x/ca.crt', a);
    const t = parseStoreUrl(seed);
    expect(t.sentinel).to.deep.equal({ name: 'snf', username: 'snf-sentinel-client', password: a.sentinel!.password });
    expect(t.tls?.caFile).to.equal('/x/ca.crt');
    expect(redact(seed)).to.not.include(a.sentinel!.password);
    expect(seedFor('unix:/run/x.sock', a)).to.equal('unix:/run/x.sock');
    expect(roleAuth(a, 'control')).to.deep.equal({ username: 'snf-control-v1', password: a.control.password });
    expect(roleAuth(undefined, 'control')).to.deep.equal({});
  });
});
