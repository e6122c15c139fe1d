// The OpenStack VIM against a real Heat (heat-all from Debian, noauth, started by the harness):
// instantiate from a Tacker-BaseHOT-shaped package, scale by parameter and by ScalingPolicy
// signal, heal one instance, terminate. Nova/Neutron resources are facades (see the harness).
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { heatSandbox, facadeFiles } from '../../support/openstack-sandbox.js';
import { HeatClient, Session, StackOperationError } from '../../../src/openstack/index.js';
import { OpenStackVim } from '../../../src/vim/openstack/index.js';
import { VimRequestError, type HotArtifacts, type VimProgress } from '../../../src/vim/types.js';

const FIX = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'openstack');

async function artifacts(): Promise<HotArtifacts> {
  const facade = await facadeFiles(['OS::Nova::Server', 'OS::Neutron::Port']);
  return {
    template: readFileSync(join(FIX, 'vnf.yaml'), 'utf8'),
    files: { ...facade.files, 'VDU1.yaml': readFileSync(join(FIX, 'nested', 'VDU1.yaml'), 'utf8') },
    environment: { resource_registry: facade.resource_registry },
  };
}

describe('OpenStack VIM on a real Heat', function () {
  this.timeout(240_000);
  let vim: OpenStackVim;
  let heat: HeatClient;
  let hot: HotArtifacts;

  before(async function () {
    this.timeout(120_000);
    const sb = await heatSandbox();
    heat = new HeatClient(Session.noauth({ orchestration: sb.heatUrl }), { pollMs: 250 });
    vim = new OpenStackVim(heat, { pollMs: 250, timeoutMs: 180_000 });
    hot = await artifacts();
  });

  it('instantiates, scales by parameter and by signal, heals and terminates, reporting progress and events', async () => {
    const progress: VimProgress[] = [];
    const onProgress = (p: VimProgress) => progress.push(p);

    const created = await vim.instantiate(
      { name: 'vnf-lifecycle', flavourId: 'simple', aspectSizes: { worker: 1 }, extVirtualLinks: [{ cpdIds: ['mgmt'], resourceId: 'ext-mgmt' }], artifacts: { hot } },
      { onProgress },
    );
    expect(created.status).to.equal('CREATE_COMPLETE');
    expect(created.instances).to.have.length(1);
    expect(created.instances[0]).to.include({ aspect: 'worker', vdu: 'VDU1', status: 'ok' });
    // the facade server reports an address on each port's network
    expect(Object.values(created.instances[0].addresses).flat()[0]).to.match(/^10\.\d+\.\d+\.\d+$/);
    expect(created.events.some((e) => e.resource === 'VDU1_scale_group' && e.status === 'CREATE_COMPLETE')).to.equal(true);
    expect(progress[0]).to.include({ operation: 'instantiate', phase: 'started' });
    expect(progress.at(-1)).to.include({ operation: 'instantiate', phase: 'completed' });
    expect(progress.filter((p) => p.event).length).to.equal(created.events.length);
    const ref = await heat.resolve('vnf-lifecycle');
    expect((await heat.getStack(ref)).parameters?.net_mgmt).to.equal('ext-mgmt');

    // scale out by parameter: only this operation's events are reported
    const out = await vim.scale(created.deploymentId, { aspect: 'worker', delta: 1 }, { onProgress });
    expect(out.status).to.equal('UPDATE_COMPLETE');
    expect(out.instances).to.have.length(2);
    const added = out.instances.find((i) => i.id !== created.instances[0].id)!;
    expect(out.events.some((e) => e.status === 'CREATE_COMPLETE' && e.resourceId === added.id)).to.equal(true);
    expect(out.events.every((e) => !created.events.some((c) => c.id === e.id))).to.equal(true);
    expect((await heat.outputs(ref)).vdu_addresses).to.have.length(2);

    // heal: the unhealthy member is replaced, the other one is kept
    const [victim, survivor] = out.instances;
    const healed = await vim.heal(created.deploymentId, victim.id, { onProgress });
    const ids = healed.instances.map((i) => i.id);
    expect(ids).to.have.length(2);
    expect(ids).to.include(survivor.id);
    expect(ids).to.not.include(victim.id);
    expect(healed.events.some((e) => e.status === 'CHECK_FAILED')).to.equal(true);

    // scale in via the ScalingPolicy signal
    const sig = await vim.scale(created.deploymentId, { aspect: 'worker', delta: -1, method: 'signal' }, { onProgress });
    expect(sig.instances).to.have.length(1);
    expect(sig.events.some((e) => e.resource === 'worker_scale_in' && e.status === 'SIGNAL_COMPLETE')).to.equal(true);
    // the size parameter follows, so a later update does not grow the group back
    expect((await heat.getStack(ref)).parameters?.vdu_count).to.equal('1');

    const gone = await vim.terminate(created.deploymentId, { onProgress });
    expect(gone.status).to.equal('DELETE_COMPLETE');
    expect(progress.at(-1)).to.include({ operation: 'terminate', phase: 'completed' });
    const left = await heat.listStacks();
    expect(left.map((s) => s.stack_name)).to.not.include('vnf-lifecycle');
  });

  it('refuses a scale outside the group bounds without touching the stack', async () => {
    // size 0: no members to create, the check under test needs none
    const created = await vim.instantiate({ name: 'vnf-bounds', flavourId: 'simple', aspectSizes: { worker: 0 }, artifacts: { hot } });
    expect(created.instances).to.have.length(0);
    try {
      const before = await heat.getStack(await heat.resolve('vnf-bounds'));
      let err: unknown;
      try {
        await vim.scale(created.deploymentId, { aspect: 'worker', target: 9 });
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(VimRequestError);
      expect((err as Error).message).to.match(/outside \[0, 5\]/);
      const unknown = await vim.scale(created.deploymentId, { aspect: 'nope', delta: 1 }).catch((e: unknown) => e);
      expect((unknown as Error).message).to.match(/unknown aspect "nope".*worker/);
      const after = await heat.getStack(before);
      expect(after.updated_time).to.equal(before.updated_time);
      expect(after.stack_status).to.equal('CREATE_COMPLETE');
    } finally {
      await vim.terminate(created.deploymentId);
    }
  });

  it('reports a failed create with the failing resource and its reason', async () => {
    const bad: HotArtifacts = {
      template: {
        heat_template_version: '2018-08-31',
        resources: { broken: { type: 'OS::Heat::TestResource', properties: { fail: true, value: 'x' } } },
      },
    };
    const progress: VimProgress[] = [];
    const err = await vim
      .instantiate({ name: 'vnf-fails', flavourId: 'simple', artifacts: { hot: bad } }, { onProgress: (p) => progress.push(p) })
      .catch((e: unknown) => e);
    try {
      expect(err).to.be.instanceOf(StackOperationError);
      expect((err as StackOperationError).status).to.equal('CREATE_FAILED');
      expect((err as Error).message).to.match(/broken/);
      expect((err as StackOperationError).events.some((e) => e.resource_name === 'broken' && e.resource_status === 'CREATE_FAILED')).to.equal(true);
      expect(progress.at(-1)?.phase).to.equal('failed');
    } finally {
      const ref = await heat.resolve('vnf-fails');
      await heat.deleteStack(ref);
      await heat.waitFor(ref, 'DELETE', { pollMs: 150, timeoutMs: 30_000 });
    }
  });
});
