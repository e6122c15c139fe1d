// The local VIM behind the VIM seam (src/vim/types.ts): the VNF manager drives a local
// deployment exactly as it drives a Heat stack. One aspect, `nf`: the number of NF instances.
import type { NfKind, NfTables } from '../../model/tables.js';
import type { SteeringMode } from './steering/routes.js';
import {
  VimRequestError,
  type DeploymentId,
  type ChangeRequest,
  type InstantiateRequest,
  type OperateRequest,
  type OperationOptions,
  type OperationResult,
  type ScaleRequest,
  type Vim,
  type VimInstance,
  type VimProgress,
} from '../types.js';
import { LocalDeployment } from './deployment.js';
import { alive } from './sh.js';
import { NAME_RE } from './state.js';

export const LOCAL_ASPECT = 'nf';

/** What `artifacts.local` of an InstantiateRequest may hold. */
export interface LocalArtifacts {
  chain: NfKind[];
  mode?: SteeringMode;
  /** `unix:/path` or `host:port`; absent: a Redis on a UNIX socket in the run directory */
  store?: string;
  tables?: NfTables;
}

export class LocalVim implements Vim {
  readonly kind = 'local';

  constructor(private readonly runRoot?: string) {}

  private load(id: DeploymentId): LocalDeployment {
    try {
      return LocalDeployment.load(id, this.runRoot);
    } catch (e) {
      throw new VimRequestError((e as Error).message);
    }
  }

  private async op(
    operation: VimProgress['operation'],
    id: DeploymentId,
    opts: OperationOptions | undefined,
    body: (progress: (m: string) => void) => Promise<LocalDeployment | undefined>,
  ): Promise<OperationResult> {
    const t0 = Date.now();
    const emit = (phase: VimProgress['phase'], message: string) =>
      opts?.onProgress?.({ operation, deploymentId: id, phase, status: phase.toUpperCase(), message, elapsedMs: Date.now() - t0 });
    emit('started', operation);
    try {
      const d = await body((m) => emit('progress', m));
      const instances = d ? this.list(d) : [];
      await d?.close();
      emit('completed', `${operation} complete`);
      return { deploymentId: id, status: 'COMPLETE', events: [], instances };
    } catch (e) {
      emit('failed', (e as Error).message);
      throw e;
    }
  }

  instantiate(req: InstantiateRequest, opts?: OperationOptions): Promise<OperationResult> {
    if (!NAME_RE.test(req.name)) throw new VimRequestError(`name: must match ${NAME_RE.source}, got ${JSON.stringify(req.name)}`);
    const art = req.artifacts.local as LocalArtifacts | undefined;
    if (!art || !Array.isArray(art.chain) || art.chain.length === 0) throw new VimRequestError('artifacts.local.chain: the NF chain is required');
    const sizes = req.aspectSizes ?? {};
    for (const a of Object.keys(sizes)) if (a !== LOCAL_ASPECT) throw new VimRequestError(`aspectSizes.${a}: unknown aspect (the local VIM has '${LOCAL_ASPECT}')`);
    const n = sizes[LOCAL_ASPECT] ?? 1;
    return this.op('instantiate', req.name, opts, (progress) =>
      LocalDeployment.up({ name: req.name, chain: art.chain, instances: n, runRoot: this.runRoot, ...(art.mode ? { mode: art.mode } : {}), ...(art.store ? { store: art.store } : {}), ...(art.tables ? { tables: art.tables } : {}) }, progress),
    );
  }

  scale(id: DeploymentId, req: ScaleRequest, opts?: OperationOptions): Promise<OperationResult> {
    if (req.aspect !== LOCAL_ASPECT) throw new VimRequestError(`aspect: unknown aspect '${req.aspect}' (the local VIM has '${LOCAL_ASPECT}')`);
    if ((req.delta === undefined) === (req.target === undefined)) throw new VimRequestError('exactly one of delta and target is required');
    const d = this.load(id);
    const current = d.state.instances.filter((i) => i.steer).length;
    const delta = req.delta ?? (req.target as number) - current;
    if (!Number.isInteger(delta)) throw new VimRequestError('delta/target: must be integers');
    if (current + delta < 1) throw new VimRequestError(`cannot scale to ${current + delta} instances (at least 1)`);
    return this.op('scale', id, opts, async (progress) => {
      if (delta > 0) await d.scaleOut(delta, progress);
      else if (delta < 0) await d.scaleIn(-delta, progress);
      return d;
    });
  }

  heal(id: DeploymentId, instanceId: string, opts?: OperationOptions): Promise<OperationResult> {
    const d = this.load(id);
    const rec = d.state.instances.find((i) => i.id === instanceId);
    if (!rec) throw new VimRequestError(`no instance '${instanceId}' in ${id}`);
    return this.op('heal', id, opts, async (progress) => {
      await d.heal(instanceId, progress, { replace: true });
      return d;
    });
  }

  terminate(id: DeploymentId, opts?: OperationOptions): Promise<OperationResult> {
    const d = this.load(id);
    return this.op('terminate', id, opts, async (progress) => {
      await d.down(progress);
      return undefined;
    });
  }

  operate(id: DeploymentId, req: OperateRequest, opts?: OperationOptions): Promise<OperationResult> {
    const d = this.load(id);
    return this.op('operate', id, opts, async (progress) => {
      if (req.state === 'STOPPED') await d.stop(progress, req.graceful ? (req.gracefulStopTimeoutMs ?? 0) : 0);
      else await d.start(progress);
      return d;
    });
  }

  /**
   * The local VIM's flavours differ only in their NF chain, which a running deployment cannot
   * change (its namespaces are wired for it), and it has no external links: a change may only
   * resize (a flavour with the same chain), anything else is refused before anything is touched.
   */
  change(id: DeploymentId, req: ChangeRequest, opts?: OperationOptions): Promise<OperationResult> {
    const d = this.load(id);
    if (req.extVirtualLinks?.length) throw new VimRequestError('extVirtualLinks: the local VIM has no external virtual links to change');
    const art = req.artifacts?.local as LocalArtifacts | undefined;
    if (req.artifacts && (!art || JSON.stringify(art.chain) !== JSON.stringify(d.state.chain))) {
      throw new VimRequestError(`artifacts.local.chain: the local VIM cannot change a running deployment's chain (${d.state.chain.join(',')} -> ${art?.chain?.join(',') ?? 'none'})`);
    }
    const size = req.aspectSizes?.[LOCAL_ASPECT];
    for (const a of Object.keys(req.aspectSizes ?? {})) if (a !== LOCAL_ASPECT) throw new VimRequestError(`aspectSizes.${a}: unknown aspect (the local VIM has '${LOCAL_ASPECT}')`);
    if (size === undefined) return this.op('change', id, opts, async () => d);
    return this.scale(id, { aspect: LOCAL_ASPECT, target: size }, opts);
  }

  async instances(id: DeploymentId): Promise<VimInstance[]> {
    return this.list(this.load(id));
  }

  private list(d: LocalDeployment): VimInstance[] {
    return d.state.instances.map((i) => {
      const up = alive(i.pid);
      const stopped = i.stopped && !up;
      return {
        id: i.id,
        aspect: LOCAL_ASPECT,
        vdu: 'VDU1',
        status: stopped ? 'stopped' : up ? (i.steer ? 'ok' : 'deleting') : 'failed',
        vimStatus: stopped ? 'STOPPED' : up ? (i.steer ? 'RUNNING' : 'DRAINING') : 'DEAD',
        addresses: { netns: [i.ns] },
      };
    });
  }
}
