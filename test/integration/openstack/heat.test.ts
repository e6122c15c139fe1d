// The Heat client against a real Heat (noauth sandbox): create / preview / PATCH / outputs /
// events / resources / mark-unhealthy / signal / delete, and the error bodies Heat really sends
// (400 bad template, 404, 409 action in progress). Also `snf stack` on the same Heat.
import { expect } from 'chai';
import { heatSandbox } from '../../support/openstack-sandbox.js';
import { HeatClient, OpenStackHttpError, Session, type StackProgress } from '../../../src/openstack/index.js';
import { command as stackCommand } from '../../../src/cli/commands/stack.js';

// Small and quick to converge: a group of RandomStrings sized by a parameter, and a policy.
const TEMPLATE = {
  heat_template_version: '2018-08-31',
  parameters: { size: { type: 'number', default: 1 }, label: { type: 'string', default: 'a' } },
  resources: {
    group: {
      type: 'OS::Heat::AutoScalingGroup',
      properties: {
        min_size: 0,
        max_size: 4,
        desired_capacity: { get_param: 'size' },
        resource: { type: 'OS::Heat::RandomString', properties: { length: 8 } },
      },
    },
    grow: {
      type: 'OS::Heat::ScalingPolicy',
      properties: { adjustment_type: 'change_in_capacity', auto_scaling_group_id: { get_resource: 'group' }, scaling_adjustment: 1, cooldown: 0 },
    },
    marker: { type: 'OS::Heat::TestResource', properties: { value: { get_param: 'label' } } },
  },
  outputs: {
    size: { value: { get_attr: ['group', 'current_size'] } },
    label: { value: { get_attr: ['marker', 'output'] } },
  },
};

async function capture(fn: () => Promise<number>): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const [log, error] = [console.log, console.error];
  console.log = (...a: unknown[]) => void out.push(a.join(' '));
  console.error = (...a: unknown[]) => void err.push(a.join(' '));
  try {
    return { code: await fn(), out: out.join('\n'), err: err.join('\n') };
  } finally {
    console.log = log;
    console.error = error;
  }
}

describe('Heat client on a real Heat', function () {
  this.timeout(180_000);
  let heat: HeatClient;
  let heatUrl: string;

  before(async function () {
    this.timeout(120_000);
    heatUrl = (await heatSandbox()).heatUrl;
    heat = new HeatClient(Session.noauth({ orchestration: heatUrl }), { pollMs: 200, timeoutMs: 120_000 });
  });

  it('creates, previews, patches, signals, marks unhealthy and deletes a stack', async () => {
    const preview = await heat.previewStack({ stack_name: 'hc-preview', template: TEMPLATE, parameters: { size: 2 } });
    expect(preview.stack_name).to.equal('hc-preview');
    expect(await heat.listStacks()).to.satisfy((l: Array<{ stack_name: string }>) => !l.some((s) => s.stack_name === 'hc-preview'));

    const progress: StackProgress[] = [];
    const ref = await heat.createStack({ stack_name: 'hc-life', template: TEMPLATE, parameters: { size: 1, label: 'first' }, tags: ['snf', 'test'] });
    const created = await heat.waitFor(ref, 'CREATE', { nestedDepth: 1, onProgress: (p) => progress.push(p) });
    expect(created.stack.stack_status).to.equal('CREATE_COMPLETE');
    expect(created.stack.tags).to.deep.equal(['snf', 'test']);
    expect(await heat.outputs(ref)).to.deep.equal({ size: 1, label: 'first' });
    expect((await heat.output(ref, 'label')).output_value).to.equal('first');
    expect(progress.some((p) => p.event?.resource_name === 'marker')).to.equal(true);
    expect(progress.at(-1)?.status).to.equal('CREATE_COMPLETE');

    // PATCH keeps what is not given: label stays "first"
    const before = await heat.getStack(ref);
    const known = await heat.eventIds(ref, 1);
    await heat.patchStack(ref, { parameters: { size: 2 } });
    const upd = await heat.waitFor(ref, 'UPDATE', { before, knownEvents: known, nestedDepth: 1 });
    expect(await heat.outputs(ref)).to.deep.equal({ size: 2, label: 'first' });
    expect(upd.events.every((e) => !known.has(e.id))).to.equal(true);
    expect(upd.events.some((e) => e.resource_status === 'UPDATE_COMPLETE' && e.resource_name === 'group')).to.equal(true);

    // the ScalingPolicy signal grows the group by one
    await heat.signal(ref, 'grow');
    const deadline = Date.now() + 60_000;
    while ((await heat.outputs(ref)).size !== 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 300));
    expect((await heat.outputs(ref)).size).to.equal(3);
    expect((await heat.events(ref, { resourceName: 'grow' })).some((e) => e.resource_status === 'SIGNAL_COMPLETE')).to.equal(true);

    // heal: mark unhealthy, then an update replaces the resource
    const old = await heat.resource(ref, 'marker');
    await heat.markUnhealthy(ref, 'marker', 'test heal');
    expect((await heat.resource(ref, 'marker')).resource_status).to.equal('CHECK_FAILED');
    const b2 = await heat.getStack(ref);
    await heat.patchStack(ref, {});
    await heat.waitFor(ref, 'UPDATE', { before: b2 });
    const healed = await heat.resource(ref, 'marker');
    expect(healed.resource_status).to.match(/COMPLETE$/);
    expect(healed.physical_resource_id).to.not.equal(old.physical_resource_id);
    // Heat semantics the VIM works around: any update resets the group to desired_capacity (2)
    const nested = (await heat.resources(ref, { nestedDepth: 1 })).filter((r) => r.resource_type === 'OS::Heat::RandomString' && r.resource_status !== 'DELETE_COMPLETE');
    expect(nested).to.have.length(2);

    // snf stack list / show / events on the same Heat
    const list = await capture(() => stackCommand.run(['list', '--heat-url', heatUrl]));
    expect(list.code).to.equal(0);
    expect(list.out).to.match(/hc-life\s+UPDATE_COMPLETE/);
    const show = await capture(() => stackCommand.run(['show', 'hc-life', '--heat-url', heatUrl]));
    expect(show.out).to.match(/status:\s+UPDATE_COMPLETE[\s\S]*label = first[\s\S]*size = 2/);
    const ev = await capture(() => stackCommand.run(['events', 'hc-life', '--heat-url', heatUrl, '--json']));
    expect((JSON.parse(ev.out) as Array<{ resource_name: string }>).some((e) => e.resource_name === 'marker')).to.equal(true);

    const del = await capture(() => stackCommand.run(['delete', 'hc-life', '--wait', '--heat-url', heatUrl]));
    expect(del.code).to.equal(0);
    expect(del.err).to.match(/hc-life deleted/);
    const gone = await heat.getStack('hc-life').catch((e: unknown) => e);
    expect(gone).to.be.instanceOf(OpenStackHttpError);
    expect((gone as OpenStackHttpError).status).to.equal(404);
  });

  it('gives Heat\'s own error for a bad template (400), a missing stack (404) and an update in progress (409)', async () => {
    const bad = await heat
      .createStack({ stack_name: 'hc-bad', template: { heat_template_version: '2018-08-31', resources: { x: { type: 'OS::No::Such' } } } })
      .catch((e: unknown) => e);
    expect(bad).to.be.instanceOf(OpenStackHttpError);
    expect(bad).to.include({ status: 400 });
    expect((bad as OpenStackHttpError).errorType).to.equal('StackValidationFailed');
    expect((bad as Error).message).to.match(/OS::No::Such/);
    expect((bad as OpenStackHttpError).requestId).to.match(/^req-/);

    const missing = await heat.getStack('hc-nope').catch((e: unknown) => e);
    expect(missing).to.include({ status: 404, errorType: 'EntityNotFound' });
    expect((missing as Error).message).to.match(/The Stack \(hc-nope\) could not be found/);

    const cli = await capture(() => stackCommand.run(['show', 'hc-nope', '--heat-url', heatUrl]));
    expect(cli.code).to.equal(1);
    expect(cli.err).to.match(/404 EntityNotFound: The Stack \(hc-nope\) could not be found/);

    // a resource that takes a while to update, so the stack stays UPDATE_IN_PROGRESS; the
    // convergence engine accepts a second update then, but not marking a resource unhealthy
    const slow = {
      heat_template_version: '2018-08-31',
      parameters: { v: { type: 'string', default: 'a' } },
      resources: { slow: { type: 'OS::Heat::TestResource', properties: { value: { get_param: 'v' }, update_replace: false, action_wait_secs: { update: 6 } } } },
    };
    const ref = await heat.createStack({ stack_name: 'hc-busy', template: slow });
    try {
      await heat.waitFor(ref, 'CREATE');
      const before = await heat.getStack(ref);
      await heat.patchStack(ref, { parameters: { v: 'b' } });
      // Heat locks the resource itself while updating it: wait until that has begun
      for (let i = 0; i < 100 && (await heat.resource(ref, 'slow')).resource_status !== 'UPDATE_IN_PROGRESS'; i++) await new Promise((r) => setTimeout(r, 50));
      const conflict = await heat.markUnhealthy(ref, 'slow', 'now').catch((e: unknown) => e);
      expect(conflict).to.be.instanceOf(OpenStackHttpError);
      expect(conflict).to.include({ status: 409, errorType: 'ActionInProgress' });
      expect((conflict as Error).message).to.match(/already has an action \(UPDATE\) in progress/);
      await heat.waitFor(ref, 'UPDATE', { before });
    } finally {
      await heat.deleteStack(ref);
      await heat.waitFor(ref, 'DELETE');
    }
  });
});
