// A FAKE Vim for VNFM tests: deployments are records in memory, instances are ids. It exists so
// the LCM state machine can be driven fast and deterministically (hold an operation half-way,
// fail the next call); the real translation onto Heat is tested against the Heat sandbox.
import { VimRequestError, type ChangeRequest, type DeploymentId, type InstantiateRequest, type OperateRequest, type OperationOptions, type OperationResult, type ScaleRequest, type Vim, type VimInstance } from '../../src/vim/types.js';

interface Deployment {
  name: string;
  instances: VimInstance[];
  flavourId: string;
  extVirtualLinks: InstantiateRequest['extVirtualLinks'];
  stopped: boolean;
}

type FakeOp = 'instantiate' | 'scale' | 'heal' | 'terminate' | 'operate' | 'change';

export class FakeVim implements Vim {
  readonly kind: string;
  readonly deployments = new Map<DeploymentId, Deployment>();
  readonly calls: string[] = [];
  private seq = 0;
  private gate?: Promise<void>;
  private failures: Array<{ op: string; message: string }> = [];
  /** a test's actions just before and after the VIM reports a created deployment */
  aroundCreated?: { before: () => Promise<void>; after: () => Promise<void> };
  /** resolves when an operation reaches the gate */
  private arrived?: () => void;

  constructor(kind = 'openstack') {
    this.kind = kind;
  }

  /** Holds every following operation (after its 'started' progress) until release() is called. */
  hold(): { reached: Promise<void>; release: () => void } {
    let release!: () => void;
    this.gate = new Promise<void>((r) => (release = r));
    const reached = new Promise<void>((r) => (this.arrived = r));
    return {
      reached,
      release: () => {
        this.gate = undefined;
        release();
      },
    };
  }

  failNext(op: FakeOp, message = `fake ${op} failure`): void {
    this.failures.push({ op, message });
  }

  private async step(op: FakeOp, id: DeploymentId, o: OperationOptions, created = false): Promise<void> {
    this.calls.push(`${op} ${id}`);
    o.onProgress?.({ operation: op, deploymentId: id, phase: 'started', status: 'IN_PROGRESS', message: op, elapsedMs: 0 });
    // Something exists now: a real VIM reports its first resource events here.
    if (created) {
      await this.aroundCreated?.before();
      o.onProgress?.({ operation: op, deploymentId: id, phase: 'progress', status: 'CREATE_IN_PROGRESS', message: 'deployment created', elapsedMs: 0 });
      await this.aroundCreated?.after();
    }
    if (this.gate) {
      this.arrived?.();
      const g = this.gate;
      await new Promise<void>((resolve, reject) => {
        void g.then(resolve);
        o.signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
      });
    }
    const i = this.failures.findIndex((f) => f.op === op);
    if (i >= 0) {
      const [f] = this.failures.splice(i, 1);
      throw new Error(f.message);
    }
  }

  private make(aspect: string): VimInstance {
    return { id: `inst-${++this.seq}`, aspect, vdu: 'VDU1', status: 'ok', vimStatus: 'ACTIVE', addresses: { mgmt: [`10.0.0.${this.seq}`] } };
  }

  private dep(id: DeploymentId): Deployment {
    const d = this.deployments.get(id);
    if (!d) throw new VimRequestError(`no deployment ${id}`);
    return d;
  }

  private result(id: DeploymentId, status: string): OperationResult {
    return { deploymentId: id, status, events: [], instances: this.deployments.get(id)?.instances.map((x) => ({ ...x })) ?? [] };
  }

  async instantiate(req: InstantiateRequest, o: OperationOptions = {}): Promise<OperationResult> {
    // As the local VIM does: 'started' names the deployment before the name is checked, and a
    // taken name fails the create (Heat answers 409 the same way).
    const taken = [...this.deployments.entries()].find(([, d]) => d.name === req.name);
    if (taken) {
      this.calls.push(`instantiate ${taken[0]}`);
      o.onProgress?.({ operation: 'instantiate', deploymentId: taken[0], phase: 'started', status: 'IN_PROGRESS', message: 'instantiate', elapsedMs: 0 });
      throw new VimRequestError(`deployment '${req.name}' already exists`);
    }
    const id = `${req.name}/dep-${++this.seq}`;
    this.deployments.set(id, { name: req.name, instances: [], flavourId: req.flavourId, extVirtualLinks: req.extVirtualLinks ?? [], stopped: false });
    await this.step('instantiate', id, o, true);
    const d = this.dep(id);
    for (const [aspect, n] of Object.entries(req.aspectSizes ?? {})) for (let k = 0; k < n; k++) d.instances.push(this.make(aspect));
    return this.result(id, 'CREATE_COMPLETE');
  }

  async scale(id: DeploymentId, req: ScaleRequest, o: OperationOptions = {}): Promise<OperationResult> {
    const d = this.dep(id);
    await this.step('scale', id, o);
    const mine = d.instances.filter((x) => x.aspect === req.aspect);
    const target = req.target ?? mine.length + (req.delta ?? 0);
    if (target < 0) throw new VimRequestError('negative size');
    while (d.instances.filter((x) => x.aspect === req.aspect).length < target) d.instances.push(this.make(req.aspect));
    while (d.instances.filter((x) => x.aspect === req.aspect).length > target) {
      const last = [...d.instances].reverse().find((x) => x.aspect === req.aspect)!;
      d.instances.splice(d.instances.indexOf(last), 1);
    }
    return this.result(id, 'UPDATE_COMPLETE');
  }

  async heal(id: DeploymentId, instanceId: string, o: OperationOptions = {}): Promise<OperationResult> {
    const d = this.dep(id);
    await this.step('heal', id, o);
    const i = d.instances.findIndex((x) => x.id === instanceId);
    if (i < 0) throw new VimRequestError(`no instance ${instanceId}`);
    d.instances[i] = this.make(d.instances[i].aspect ?? 'default');
    return this.result(id, 'UPDATE_COMPLETE');
  }

  async terminate(id: DeploymentId, o: OperationOptions = {}): Promise<OperationResult> {
    this.dep(id);
    await this.step('terminate', id, o);
    this.deployments.delete(id);
    return { deploymentId: id, status: 'DELETE_COMPLETE', events: [], instances: [] };
  }

  async operate(id: DeploymentId, req: OperateRequest, o: OperationOptions = {}): Promise<OperationResult> {
    const d = this.dep(id);
    await this.step('operate', id, o);
    d.stopped = req.state === 'STOPPED';
    for (const x of d.instances) [x.status, x.vimStatus] = d.stopped ? ['stopped', 'SHUTOFF'] : ['ok', 'ACTIVE'];
    return this.result(id, d.stopped ? 'SUSPEND_COMPLETE' : 'RESUME_COMPLETE');
  }

  async change(id: DeploymentId, req: ChangeRequest, o: OperationOptions = {}): Promise<OperationResult> {
    const d = this.dep(id);
    await this.step('change', id, o);
    if (req.flavourId) d.flavourId = req.flavourId;
    if (req.extVirtualLinks) {
      // As a stack update: the links given replace those on the same connection points.
      const cpds = new Set(req.extVirtualLinks.flatMap((l) => l.cpdIds));
      d.extVirtualLinks = [...(d.extVirtualLinks ?? []).filter((l) => !l.cpdIds.some((c) => cpds.has(c))), ...req.extVirtualLinks];
    }
    for (const [aspect, target] of Object.entries(req.aspectSizes ?? {})) {
      while (d.instances.filter((x) => x.aspect === aspect).length < target) d.instances.push(this.make(aspect));
      while (d.instances.filter((x) => x.aspect === aspect).length > target) d.instances.splice(d.instances.lastIndexOf([...d.instances].reverse().find((x) => x.aspect === aspect)!), 1);
    }
    return this.result(id, 'UPDATE_COMPLETE');
  }

  async instances(id: DeploymentId): Promise<VimInstance[]> {
    return this.dep(id).instances.map((x) => ({ ...x }));
  }

  /** Marks an instance failed, as a dead VM or process would show. */
  breakInstance(id: DeploymentId, instanceId: string): void {
    const x = this.dep(id).instances.find((i) => i.id === instanceId);
    if (x) x.status = 'failed';
  }
}
