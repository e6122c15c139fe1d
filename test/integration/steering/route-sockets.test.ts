// The steering controller's netlink route changes (src/vim/local/steering/route-sockets.ts over
// native/steer/rtnl.cpp), checked against what the kernel then holds, as `ip route` prints it.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { closeRouteSockets, netlinkRoutes, replaceRoutes } from '../../../src/vim/local/steering/route-sockets.js';
import { forceCleanup, uniqueName } from '../../support/netns.js';

function ip(...args: string[]): string {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** A namespace with two veth legs on their own subnets (both ends inside it), as a steering namespace has one leg per instance. */
function makeNs(ns: string): void {
  ip('netns', 'add', ns);
  for (const [dev, net] of [['i1', '10.200.1.1/24'], ['i2', '10.200.2.1/24']]) {
    ip('-n', ns, 'link', 'add', dev, 'type', 'veth', 'peer', 'name', `p${dev}`);
    ip('-n', ns, 'link', 'set', `p${dev}`, 'up');
    ip('-n', ns, 'addr', 'add', net, 'dev', dev);
    ip('-n', ns, 'link', 'set', dev, 'up');
  }
}

const HOPS = [
  { via: '10.200.1.2', dev: 'i1' },
  { via: '10.200.2.2', dev: 'i2' },
];

describe('steering routes over netlink', function () {
  this.timeout(20_000);
  const prefix = uniqueName();
  const ns = `${prefix}-steer`;

  before(function () {
    expect(netlinkRoutes(), 'the addon has RouteSocket').to.equal(true);
    makeNs(ns);
  });
  after(() => {
    closeRouteSockets();
    forceCleanup(prefix);
  });

  it('replaces a prefix with a multipath route over every hop, then a single hop, then a blackhole', () => {
    replaceRoutes(ns, ['203.0.113.0/24', '192.0.2.0/24'], HOPS);
    for (const p of ['203.0.113.0/24', '192.0.2.0/24']) {
      const r = ip('-n', ns, 'route', 'show', p);
      expect(r).to.contain('nexthop via 10.200.1.2 dev i1 weight 1').and.to.contain('nexthop via 10.200.2.2 dev i2 weight 1');
    }
    replaceRoutes(ns, ['203.0.113.0/24'], HOPS.slice(1));
    const one = ip('-n', ns, 'route', 'show', '203.0.113.0/24');
    expect(one).to.contain('10.200.2.2').and.not.to.contain('10.200.1.2');
    // the kernel picks the remaining hop for a flow that hashed to the removed one
    expect(ip('-n', ns, 'route', 'get', '203.0.113.7')).to.contain('via 10.200.2.2 dev i2');
    replaceRoutes(ns, ['203.0.113.0/24'], []);
    expect(ip('-n', ns, 'route', 'show', '203.0.113.0/24').trim()).to.equal('blackhole 203.0.113.0/24');
    // one route per prefix: replaced, never added beside the old one
    expect(ip('-n', ns, 'route', 'show', 'exact', '203.0.113.0/24').trim().split('\n')).to.have.length(1);
  });

  it('refuses an unknown device, a bad gateway and a bad prefix, naming them, and changes nothing', () => {
    replaceRoutes(ns, ['198.51.100.0/24'], HOPS);
    const before = ip('-n', ns, 'route', 'show');
    expect(() => replaceRoutes(ns, ['198.51.100.0/24'], [{ via: '10.200.1.2', dev: 'nosuch' }])).to.throw(/device nosuch: No such device/);
    expect(() => replaceRoutes(ns, ['198.51.100.0/24'], [{ via: '10.200.1.x', dev: 'i1' }])).to.throw(/nexthop via '10.200.1.x': not an IPv4 address/);
    expect(() => replaceRoutes(ns, ['198.51.100.0/33'], HOPS)).to.throw(/prefix '198.51.100.0\/33': length must be 0..32/);
    // a gateway not on any link of the namespace: the kernel's own refusal comes through
    expect(() => replaceRoutes(ns, ['198.51.100.0/24'], [{ via: '10.9.9.9', dev: 'i1' }])).to.throw(/route replace 198.51.100.0\/24: /);
    expect(ip('-n', ns, 'route', 'show')).to.equal(before);
  });

  it('follows a namespace deleted and made again under the same name, instead of writing into the old one', () => {
    replaceRoutes(ns, ['203.0.113.0/24'], HOPS);
    ip('netns', 'del', ns);
    expect(() => replaceRoutes(ns, ['203.0.113.0/24'], HOPS)).to.throw(/does not exist/);
    makeNs(ns);
    replaceRoutes(ns, ['203.0.113.0/24'], HOPS.slice(0, 1));
    expect(ip('-n', ns, 'route', 'show', '203.0.113.0/24')).to.contain('10.200.1.2');
  });
});
