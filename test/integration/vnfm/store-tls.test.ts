// The VNF manager gives a store VDU its TLS at instantiate (Heat cannot make certificates): on a
// REAL Heat (the harness's heat-all) a template that creates the store (declares the store_tls_*
// parameters) receives a CA, a certificate for the fixed name the NFs verify, and its key, which
// openssl checks; the key is nowhere in the operation the API reports. Half a TLS setup in
// additionalParams is refused with the field's path.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import { heatSandbox, facadeFiles } from '../../support/openstack-sandbox.js';
import { HeatClient, Session } from '../../../src/openstack/index.js';
import { OpenStackVim } from '../../../src/vim/openstack/index.js';
import { startVnfm, type Vnfm } from '../../../src/vnfm/app.js';
import { STORE_TLS_NAME } from '../../../src/package/userdata.js';
import { storeTlsParameters } from '../../../src/package/heat-tacker.js';
import { startRedis, type RedisServer } from '../../support/redis.js';
import { Sol003Client, opIdOf, testVnfd } from '../../support/vnfm.js';

const FIX = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'openstack');
type Json = Record<string, unknown>;

describe('VNFM: TLS certificates for a template-created store, on a real Heat', function () {
  this.timeout(300_000);
  let redis: RedisServer;
  let vnfm: Vnfm;
  let heat: HeatClient;
  let dir = '';

  before(async function () {
    this.timeout(150_000);
    const sb = await heatSandbox();
    heat = new HeatClient(Session.noauth({ orchestration: sb.heatUrl }), { pollMs: 250 });
    const facade = await facadeFiles(['OS::Nova::Server', 'OS::Neutron::Port']);
    // The fixture's top template plus the store TLS parameters exactly as the BaseHOT declares
    // them, and (for this test only) outputs that show what the stack received.
    // CORE schema: heat_template_version stays a string, not a date.
    const top = yaml.load(readFileSync(join(FIX, 'vnf.yaml'), 'utf8'), { schema: yaml.CORE_SCHEMA }) as { parameters: Json; outputs?: Json };
    Object.assign(top.parameters, storeTlsParameters(true, true));
    top.outputs = { ...(top.outputs ?? {}), ...Object.fromEntries(['store_tls_ca', 'store_tls_cert', 'store_tls_key'].map((k) => [k, { value: { get_param: k } }])) };
    const hot = {
      template: yaml.dump(top),
      files: { ...facade.files, 'VDU1.yaml': readFileSync(join(FIX, 'nested', 'VDU1.yaml'), 'utf8') },
      environment: { resource_registry: facade.resource_registry },
    };
    redis = await startRedis();
    const vnfd = testVnfd({ artifacts: { simple: { hot } } });
    vnfd.flavours.simple.defaultInstantiationLevelId = 'small';
    vnfm = await startVnfm({
      redis: redis.node,
      catalog: [vnfd],
      vims: { openstack: new OpenStackVim(heat, { pollMs: 250, timeoutMs: 180_000 }) },
      responseValidation: 'enforce',
      log: () => {},
    });
    dir = mkdtempSync(join(tmpdir(), 'snf-vnfm-tls-'));
  });

  after(async () => {
    await vnfm?.lcm.idle();
    await vnfm?.close();
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const instantiate = (api: Sol003Client, id: string, additionalParams?: Json) =>
    api.call('POST', `/vnf_instances/${id}/instantiate`, {
      flavourId: 'simple',
      vimConnectionInfo: { vim1: { vimId: 'openstack', vimType: 'ETSINFV.OPENSTACK_KEYSTONE.V_3' } },
      extVirtualLinks: [{ id: 'mgmt', resourceId: 'ext-mgmt', extCps: [{ cpdId: 'mgmt' }] }],
      ...(additionalParams ? { additionalParams } : {}),
    });

  it("instantiate hands the stack a CA, a certificate for the NFs' fixed name and its key, and records no key", async () => {
    const api = new Sol003Client(vnfm.url);
    const id = ((await api.call('POST', '/vnf_instances', { vnfdId: 'snf-firewall-vnfd', vnfInstanceName: 'tls-fw' })).body as Json).id as string;
    const inst = await instantiate(api, id);
    await api.waitOp(opIdOf(inst), ['COMPLETED'], 180_000).catch(async (e: unknown) => {
      const occ = (await api.call('GET', `/vnf_lcm_op_occs/${opIdOf(inst)}`)).body as Json;
      throw new Error(`${(e as Error).message}: ${JSON.stringify(occ.error)}`);
    });
    const stack = (await heat.listStacks()).find((s) => s.stack_name.startsWith('snf-tls-fw-'));
    expect(stack).to.not.equal(undefined);
    const ref = await heat.resolve(stack!.stack_name);
    const out = (await heat.outputs(ref)) as Record<string, string>;
    // Hidden parameters: Heat itself shows them masked.
    expect((await heat.getStack(ref)).parameters?.store_tls_key).to.not.include('PRIVATE KEY');
    for (const [k, f] of [['store_tls_ca', 'ca.crt'], ['store_tls_cert', 'server.crt'], ['store_tls_key', 'server.key']] as const) {
      expect(out[k], k).to.match(/^-----BEGIN [A-Z ]+-----\n/);
      writeFileSync(join(dir, f), out[k], { mode: 0o600 });
    }
    const openssl = (...a: string[]) => execFileSync('openssl', a, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(openssl('verify', '-CAfile', 'ca.crt', 'server.crt')).to.include('server.crt: OK');
    expect(openssl('x509', '-in', 'server.crt', '-noout', '-checkhost', STORE_TLS_NAME)).to.include('does match certificate');
    expect(openssl('pkey', '-in', 'server.key', '-pubout')).to.equal(openssl('x509', '-in', 'server.crt', '-noout', '-pubkey'));
    // What the API reports of the operation carries none of it.
    const occ = JSON.stringify((await api.call('GET', `/vnf_lcm_op_occs/${opIdOf(inst)}`)).body);
    expect(occ).to.not.include('BEGIN');
    await api.waitOp(opIdOf(await api.call('POST', `/vnf_instances/${id}/terminate`, { terminationType: 'FORCEFUL' })), ['COMPLETED'], 180_000);
  });

  it('refuses half a TLS setup in additionalParams, naming the field, and starts nothing', async () => {
    const api = new Sol003Client(vnfm.url);
    const id = ((await api.call('POST', '/vnf_instances', { vnfdId: 'snf-firewall-vnfd', vnfInstanceName: 'tls-half' })).body as Json).id as string;
    const before = (await heat.listStacks()).length;
    const r = await instantiate(api, id, { store_tls_cert: '-----BEGIN CERTIFICATE-----\n' });
    expect(r.status).to.equal(400);
    expect(JSON.stringify(r.body)).to.include('additionalParams.store_tls_ca: missing');
    const r2 = await instantiate(api, id, { store_tls_ca: 'x', store_tls_cert: 'y', store_tls_key: 7 });
    expect(r2.status).to.equal(400);
    expect(JSON.stringify(r2.body)).to.include('additionalParams.store_tls_key: must be a PEM string');
    expect((await heat.listStacks()).length).to.equal(before);
    expect(((await api.call('GET', `/vnf_instances/${id}`)).body as Json).instantiationState).to.equal('NOT_INSTANTIATED');
  });
});
