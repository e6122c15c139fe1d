// An operation may only undo what it created (issue 14): a second VNF asking for a deployment
// name another VNF holds is refused before anything happens; a create that fails on a name taken
// outside the VNFM leaves that deployment alone on rollback and retry; DELETE racing instantiate
// lets exactly one through; a failed save of a created deployment fails the operation instead of
// being forgotten. Real Redis, the FAKE Vim of test/support/vnfm-fake-vim.ts.
import { expect } from 'chai';
import { startHarness, type Harness } from '../../support/vnfm-harness.js';
import { rawCommand } from '../../support/redis.js';
import { Sol003Client, opIdOf } from '../../support/vnfm.js';

type Json = Record<string, unknown>;

describe('VNFM: no cross-VNF damage (fake Vim, real Redis)', function () {
  this.timeout(30_000);
  let h: Harness;
  let api: Sol003Client;
  const state = `nodamage${process.pid}`;

  beforeEach(async () => {
    h = await startHarness({ stateName: state });
    api = new Sol003Client(h.vnfm.url);
  });

  afterEach(async () => {
    h.vim.aroundCreated = undefined;
    await rawCommand(h.redis.port, ['ACL', 'SETUSER', 'default', 'resetkeys', '~*']).catch(() => undefined);
    await h.vnfm.lcm.idle();
    await h.stop();
    expect(api.violations, api.violations.join('\n')).to.deep.equal([]);
  });

  async function createVnf(name: string): Promise<string> {
    const r = await api.call('POST', '/vnf_instances', { vnfdId: 'snf-firewall-vnfd', vnfInstanceName: name });
    expect(r.status).to.equal(201);
    return (r.body as Json).id as string;
  }

  it("refuses a deployment name another VNF holds (409, nothing started), and A's deployment survives", async () => {
    const a = await createVnf('a');
    const ia = await api.call('POST', `/vnf_instances/${a}/instantiate`, { flavourId: 'simple', additionalParams: { snf_deployment_name: 'shared' } });
    await api.waitOp(opIdOf(ia), ['COMPLETED']);
    const b = await createVnf('b');
    const ib = await api.call('POST', `/vnf_instances/${b}/instantiate`, { flavourId: 'simple', additionalParams: { snf_deployment_name: 'shared' } });
    expect(ib.status).to.equal(409);
    expect((ib.body as Json).detail).to.match(/snf_deployment_name: deployment "shared" .* belongs to VNF instance/);
    expect(h.vim.calls.filter((c) => c.startsWith('instantiate'))).to.have.length(1);
    expect([...h.vim.deployments.values()].map((d) => d.name)).to.deep.equal(['shared']);
    // A is whole: it terminates and deletes; then the name is free for B.
    await api.waitOp(opIdOf(await api.call('POST', `/vnf_instances/${a}/terminate`, { terminationType: 'FORCEFUL' })), ['COMPLETED']);
    expect((await api.call('DELETE', `/vnf_instances/${a}`)).status).to.equal(204);
    const again = await api.call('POST', `/vnf_instances/${b}/instantiate`, { flavourId: 'simple', additionalParams: { snf_deployment_name: 'shared' } });
    expect(again.status).to.equal(202);
    await api.waitOp(opIdOf(again), ['COMPLETED']);
  });

  it('a create failing on a name taken outside the VNFM: rollback and retry never delete that deployment', async () => {
    const outside = await h.vim.instantiate({ name: 'theirs', flavourId: 'simple', aspectSizes: { worker: 1 }, extVirtualLinks: [], additionalParams: {}, artifacts: {} });
    const b = await createVnf('b');
    const ib = opIdOf(await api.call('POST', `/vnf_instances/${b}/instantiate`, { flavourId: 'simple', additionalParams: { snf_deployment_name: 'theirs' } }));
    const failed = await api.waitOp(ib, ['FAILED_TEMP']);
    expect((failed.error as Json).detail).to.match(/already exists/);
    expect((await api.call('POST', `/vnf_lcm_op_occs/${ib}/retry`)).status).to.equal(202);
    await api.waitOp(ib, ['FAILED_TEMP']);
    expect((await api.call('POST', `/vnf_lcm_op_occs/${ib}/rollback`)).status).to.equal(202);
    await api.waitOp(ib, ['ROLLED_BACK']);
    expect(h.vim.calls.filter((c) => c.startsWith('terminate'))).to.deep.equal([]);
    expect(h.vim.deployments.has(outside.deploymentId)).to.equal(true);
    expect((await api.call('DELETE', `/vnf_instances/${b}`)).status).to.equal(204);
  });

  it('DELETE racing instantiate: never both (5 rounds), and no operation is left on a deleted VNF', async () => {
    for (let round = 0; round < 5; round++) {
      const id = await createVnf(`race${round}`);
      const [del, inst] = await Promise.all([api.call('DELETE', `/vnf_instances/${id}`), api.call('POST', `/vnf_instances/${id}/instantiate`, { flavourId: 'simple' })]);
      const pair = `${del.status}/${inst.status}`;
      expect(['204/404', '204/409', '409/202'], pair).to.include(pair);
      if (inst.status === 202) {
        await api.waitOp(opIdOf(inst), ['COMPLETED']);
        await api.waitOp(opIdOf(await api.call('POST', `/vnf_instances/${id}/terminate`, { terminationType: 'FORCEFUL' })), ['COMPLETED']);
        expect((await api.call('DELETE', `/vnf_instances/${id}`)).status).to.equal(204);
      }
      expect((await api.call('GET', `/vnf_instances/${id}`)).status).to.equal(404);
    }
    await h.vnfm.lcm.idle();
    const ops = (await api.call('GET', '/vnf_lcm_op_occs')).body as Json[];
    expect(ops.filter((o) => o.operationState !== 'COMPLETED').map((o) => `${String(o.operation)}:${String(o.operationState)}`)).to.deep.equal([]);
  });

  it('a failed save of the created deployment fails the operation (FAILED_TEMP, said why), and rollback still deletes it', async () => {
    const id = await createVnf('saved');
    // Op records become read-only for the VNFM's user just while the VIM reports the deployment.
    h.vim.aroundCreated = {
      before: async () => {
        await rawCommand(h.redis.port, ['ACL', 'SETUSER', 'default', 'resetkeys', '%R~*', `~snf:{${state}}:[^o]*`, `~snf:{${state}}:ops`, `~snf:{${state}}:outbox:*`]);
      },
      after: async () => {
        const deadline = Date.now() + 10_000;
        while (!h.logs.some((l) => /could not record deployment/.test(l)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
        await rawCommand(h.redis.port, ['ACL', 'SETUSER', 'default', 'resetkeys', '~*']);
      },
    };
    const op = opIdOf(await api.call('POST', `/vnf_instances/${id}/instantiate`, { flavourId: 'simple' }));
    const failed = await api.waitOp(op, ['FAILED_TEMP', 'COMPLETED']);
    expect(failed.operationState).to.equal('FAILED_TEMP');
    expect((failed.error as Json).detail).to.match(/could not record deployment .* for a later rollback: .*(NOPERM|EXECABORT)/);
    expect(h.vim.deployments.size).to.equal(1);
    expect((await api.call('POST', `/vnf_lcm_op_occs/${op}/rollback`)).status).to.equal(202);
    await api.waitOp(op, ['ROLLED_BACK']);
    expect(h.vim.deployments.size).to.equal(0);
  });
});
