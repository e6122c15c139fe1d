// Cancel of a running operation, and rollback of heal and terminate (issue 14). Real Redis, the
// FAKE Vim of test/support/vnfm-fake-vim.ts (its gate holds an operation half-way).
import { expect } from 'chai';
import { startHarness, type Harness } from '../../support/vnfm-harness.js';
import { Sol003Client, opIdOf } from '../../support/vnfm.js';

type Json = Record<string, unknown>;

describe('VNFM: cancel, and rollback of heal and terminate (fake Vim, real Redis)', function () {
  this.timeout(30_000);
  let h: Harness;
  let api: Sol003Client;

  beforeEach(async () => {
    h = await startHarness();
    api = new Sol003Client(h.vnfm.url);
  });

  afterEach(async () => {
    await h.vnfm.lcm.idle();
    await h.stop();
    expect(api.violations, api.violations.join('\n')).to.deep.equal([]);
  });

  async function instantiated(): Promise<string> {
    const id = ((await api.call('POST', '/vnf_instances', { vnfdId: 'snf-firewall-vnfd', vnfInstanceName: 'c' })).body as Json).id as string;
    await api.waitOp(opIdOf(await api.call('POST', `/vnf_instances/${id}/instantiate`, { flavourId: 'simple' })), ['COMPLETED']);
    return id;
  }

  it('cancel stops a PROCESSING operation: FAILED_TEMP saying so; rollback then undoes it; a finished one is 409', async () => {
    const id = await instantiated();
    const size = [...h.vim.deployments.values()][0].instances.length;
    const gate = h.vim.hold();
    const op = opIdOf(await api.call('POST', `/vnf_instances/${id}/scale`, { type: 'SCALE_OUT', aspectId: 'worker' }));
    await gate.reached;
    const running = await api.waitOp(op, ['PROCESSING']);
    expect(((running._links as Json).cancel as Json).href).to.match(/\/cancel$/);
    expect((await api.call('POST', `/vnf_lcm_op_occs/${op}/cancel`, { cancelMode: 'FORCEFUL' })).status).to.equal(202);
    const failed = await api.waitOp(op, ['FAILED_TEMP']);
    gate.release();
    expect((failed.error as Json).detail).to.match(/^cancelled \(FORCEFUL\) while PROCESSING/);
    expect(failed).to.include({ isCancelPending: false, cancelMode: 'FORCEFUL' });
    expect((await api.call('POST', `/vnf_lcm_op_occs/${op}/cancel`, { cancelMode: 'FORCEFUL' })).status).to.equal(409);
    await api.call('POST', `/vnf_lcm_op_occs/${op}/rollback`);
    await api.waitOp(op, ['ROLLED_BACK']);
    expect([...h.vim.deployments.values()][0].instances).to.have.length(size);
  });

  it('rollback of a failed heal and of a failed terminate returns the VNF, INSTANTIATED, as the VIM has it', async () => {
    const id = await instantiated();
    const dep = [...h.vim.deployments.values()][0];
    h.vim.failNext('heal');
    const heal = opIdOf(await api.call('POST', `/vnf_instances/${id}/heal`, { vnfcInstanceId: [dep.instances[0].id] }));
    await api.waitOp(heal, ['FAILED_TEMP']);
    expect((await api.call('POST', `/vnf_lcm_op_occs/${heal}/rollback`)).status).to.equal(202);
    await api.waitOp(heal, ['ROLLED_BACK']);
    h.vim.failNext('terminate');
    const term = opIdOf(await api.call('POST', `/vnf_instances/${id}/terminate`, { terminationType: 'FORCEFUL' }));
    await api.waitOp(term, ['FAILED_TEMP']);
    expect((await api.call('POST', `/vnf_lcm_op_occs/${term}/rollback`)).status).to.equal(202);
    await api.waitOp(term, ['ROLLED_BACK']);
    const vnf = (await api.call('GET', `/vnf_instances/${id}`)).body as Json & { instantiatedVnfInfo: { vnfcResourceInfo: Json[] } };
    expect(vnf.instantiationState).to.equal('INSTANTIATED');
    expect(vnf.instantiatedVnfInfo.vnfcResourceInfo.map((v) => v.id)).to.deep.equal(dep.instances.map((i) => i.id));
    // and it is whole: terminate completes now
    await api.waitOp(opIdOf(await api.call('POST', `/vnf_instances/${id}/terminate`, { terminationType: 'FORCEFUL' })), ['COMPLETED']);
  });
});
