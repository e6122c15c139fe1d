// Which listen addresses count as loopback (the VNFM's exposure rule), resolved the way the server
// resolves them: real DNS lookups of names through the system resolver.
import { expect } from 'chai';
import { checkExposure, isLoopbackHost } from '../../../src/vnfm/exposure.js';

describe('VNFM exposure check', () => {
  it('treats 127/8, ::1, IPv4-mapped 127/8 and localhost as loopback; wildcards and routable addresses not', async () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', '::ffff:127.0.0.1', 'localhost']) expect(await isLoopbackHost(h), h).to.equal(true);
    for (const h of ['0.0.0.0', '::', '10.0.0.1', '192.0.2.7', '2001:db8::1', 'no-such-host.invalid']) expect(await isLoopbackHost(h), h).to.equal(false);
  });

  it('allows loopback without auth, refuses a routable address without auth, allows it with --insecure or auth', async () => {
    expect(await checkExposure({ host: undefined, authEnabled: false, tls: false, insecure: false })).to.deep.equal({ allowed: true, warnings: [], unauthenticated: false });
    const no = await checkExposure({ host: '192.0.2.7', authEnabled: false, tls: false, insecure: false });
    expect(no.allowed).to.equal(false);
    const yes = await checkExposure({ host: '192.0.2.7', authEnabled: false, tls: true, insecure: true });
    expect(yes).to.include({ allowed: true, unauthenticated: true });
    const authed = await checkExposure({ host: '192.0.2.7', authEnabled: true, tls: true, insecure: false });
    expect(authed).to.deep.equal({ allowed: true, warnings: [], unauthenticated: false });
  });

  it('clips a hostile --host in the refusal', async () => {
    const v = await checkExposure({ host: 'h'.repeat(100_000), authEnabled: false, tls: false, insecure: false });
    if (v.allowed) throw new Error('allowed');
    expect(v.reason).to.match(/h\.\.\. \(100000 bytes\)/);
    expect(v.reason.length).to.be.below(1000);
  });
});
