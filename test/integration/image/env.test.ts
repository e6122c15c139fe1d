// The contract between the HOT's user data and the instance in the image: every nf.env the
// descriptors produce parses into an instance configuration, and bad or unrendered values are
// refused with the variable's name (no VM needed: this runs in the general mocha step too).
import { expect } from 'chai';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { nfEnv, parseEnvFile } from '../../../src/dataplane/vm-env.js';
import { nfUserData, storeUserData } from '../../../src/package/userdata.js';
import { loadDescriptor } from '../../../src/descriptor/validate.js';
import { ROOT } from '../../support/netns.js';

function envOf(userData: string, path: string): Record<string, string> {
  const cc = yaml.load(userData) as { write_files: { path: string; content: string }[] };
  const f = cc.write_files.find((w) => w.path === path);
  if (!f) throw new Error(`no ${path} in the user data`);
  return parseEnvFile(f.content);
}

const heat = (s: string) => s.replace('__VNF_NAME__', 'vnf1').replace('__STORE_NODES__', '10.0.0.5:6379,10.0.0.6:6379').replace('__VES_COLLECTOR__', 'http://ves:8443');

describe('image: the instance environment written by the HOT user data', () => {
  for (const nf of ['nat', 'firewall', 'lb']) {
    it(`${nf}: every flavour's nf.env, rendered as Heat does, configures an instance`, async () => {
      const d = await loadDescriptor(join(ROOT, 'vnf-descriptors', `${nf}.yaml`));
      for (const [id, f] of Object.entries(d.flavours)) {
        const e = nfEnv(envOf(heat(nfUserData(d, f)), '/etc/statelessnf/nf.env'), 'host-1');
        expect(e.vnf, id).to.equal('vnf1');
        expect(e.chain).to.deep.equal([d.nf]);
        expect(e.storeNodes).to.deep.equal(['10.0.0.5:6379', '10.0.0.6:6379']);
        expect(e.dataplane).to.equal(f.vdus.nf.dataplane);
        expect(e.nics.slice(0, 3), `${id}: NIC roles in port order`).to.deep.equal(['management', 'inside', 'outside']);
        if (f.store.kind === 'vdu') expect(e.nics[3]).to.equal('store');
        expect(e.heartbeatTtlMs).to.be.greaterThan(e.heartbeatPeriodMs);
        expect(e.instanceId).to.equal('host-1');
        const direct = Object.values(f.vdus.nf.connectionPoints).some((c) => c.role === 'data' && c.vnicType === 'direct');
        expect(e.dpdkDriver).to.equal(direct ? 'vfio-pci' : 'af_xdp');
      }
    });
  }

  it('refuses an nf.env whose Heat parameters were never substituted, naming the variable', async () => {
    const d = await loadDescriptor(join(ROOT, 'vnf-descriptors', 'nat.yaml'));
    const raw = envOf(nfUserData(d, d.flavours.small), '/etc/statelessnf/nf.env');
    expect(() => nfEnv(raw)).to.throw(/SNF_[A-Z_]+: missing \(the template token __[A-Z_]+__ was never replaced\)/);
  });

  it('names the variable of each bad value', () => {
    const ok = { SNF_VNF: 'v', SNF_NF: 'nat', SNF_STORE_NODES: '10.0.0.1:6379' };
    expect(() => nfEnv({ ...ok, SNF_NF: 'router' })).to.throw(/SNF_NF: unknown NF 'router'/);
    expect(() => nfEnv({ ...ok, SNF_STORE_NODES: '10.0.0.1' })).to.throw(/SNF_STORE_NODES: '10.0.0.1' is not host:port/);
    expect(() => nfEnv({ ...ok, SNF_DATAPLANE: 'netmap' })).to.throw(/SNF_DATAPLANE/);
    expect(() => nfEnv({ ...ok, SNF_NICS: 'management,inside' })).to.throw(/SNF_NICS: no 'outside'/);
    expect(() => nfEnv({ ...ok, SNF_HEARTBEAT_PERIOD_MS: '500', SNF_HEARTBEAT_TTL_MS: '400' })).to.throw(/SNF_HEARTBEAT_PERIOD_MS \(500\) must be below/);
    expect(() => nfEnv({ ...ok, SNF_DPDK_DRIVER: 'igb_uio' })).to.throw(/SNF_DPDK_DRIVER/);
    expect(() => parseEnvFile('SNF_VNF')).to.throw(/not KEY=VALUE/);
  });

  it('takes store URLs with the password the HOT generated, and names a bad one without echoing the password', () => {
    const ok = { SNF_VNF: 'v', SNF_NF: 'nat' };
    const e = nfEnv({ ...ok, SNF_STORE_NODES: 'redis://:Pw0123456789abcdef@10.0.0.1:6379,redis://:Pw0123456789abcdef@10.0.0.2:6379' });
    expect(e.storeNodes).to.deep.equal(['redis://:Pw0123456789abcdef@10.0.0.1:6379', 'redis://:Pw0123456789abcdef@10.0.0.2:6379']);
    let err: Error | undefined;
    try {
      nfEnv({ ...ok, SNF_STORE_NODES: 'redis://:Pw0123456789abcdef@10.0.0.1:99999' });
    } catch (x) {
      err = x as Error;
    }
    expect(err?.message).to.match(/^SNF_STORE_NODES: store URL .*port must be 1\.\.65535/);
    expect(err?.message).to.not.include('Pw0123456789abcdef');
  });

  it('the store user data configures statelessnf-redis.service', async () => {
    const d = await loadDescriptor(join(ROOT, 'vnf-descriptors', 'nat.yaml'));
    const f = d.flavours['dpdk-sriov'];
    const ud = storeUserData(f);
    const env = envOf(ud, '/etc/statelessnf/redis.env');
    expect(env).to.deep.include({ SNF_REDIS_PORT: String(f.vdus.store!.port), SNF_REDIS_CLUSTER: 'true', SNF_REDIS_DATA_DEVICE: '/dev/vdb', SNF_REDIS_PASSWORD: '__STORE_PASSWORD__' });
    expect((yaml.load(ud) as { runcmd: string[][] }).runcmd).to.deep.include(['systemctl', 'enable', '--now', 'statelessnf-redis.service']);
  });
});
