// Fake Tacker following the NFV Orchestration API v1 reference (docs.openstack.org/api-ref/
// nfv-orchestration/v1: vnfpkgm.html and vnflcm.html, ETSI SOL005 / SOL003):
// - POST /vnfpkgm/v1/vnf_packages {userDefinedData} -> 201 VnfPkgInfo (onboardingState CREATED,
//   operationalState DISABLED, usageState NOT_IN_USE, _links.packageContent)
// - PUT /vnfpkgm/v1/vnf_packages/{id}/package_content, Content-Type application/zip -> 202; the
//   package then goes UPLOADING -> PROCESSING -> ONBOARDED (ENABLED) over the next GETs; a body
//   that is not a zip (local header + end of central directory) goes back to CREATED with onboardingFailureDetails (ProblemDetails);
//   uploading to a package that is not CREATED -> 409 ProblemDetails
// - POST /vnflcm/v1/vnf_instances {vnfdId} -> 201 VnfInstance (NOT_INSTANTIATED)
// - POST /vnflcm/v1/vnf_instances/{id}/{instantiate|scale|heal|terminate} -> 202 with
//   Location: .../vnflcm/v1/vnf_lcm_op_occs/{opId}; the op goes STARTING -> PROCESSING ->
//   COMPLETED over the next GETs (FAILED_TEMP with error when additionalParams.fail is set);
//   instantiate on an INSTANTIATED instance -> 409
import { randomUUID } from 'node:crypto';
import { startFake, type FakeReply, type FakeRequest, type FakeServer } from './server.js';

type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
const problem = (status: number, title: string, detail: string): FakeReply => ({
  status,
  body: { type: 'about:blank', status, title, detail },
  headers: { 'content-type': 'application/problem+json' },
});

export interface FakeTacker extends FakeServer {
  packages: Map<string, Rec & { polls: number; bad: boolean; refused?: string }>;
  instances: Map<string, Rec>;
  ops: Map<string, Rec & { polls: number; fail: boolean }>;
}

const ZIP_MAGIC = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
const ZIP_EOCD = Buffer.from([0x50, 0x4b, 0x05, 0x06]);

export interface FakeTackerOptions {
  auth?: (t: string | undefined, r: FakeRequest) => FakeReply | undefined;
  noLocation?: boolean;
  /** Processing refuses a (well-formed) package with this reason, as Tacker's loader does: back to CREATED. */
  refuseContent?: (csar: Buffer) => string | undefined;
}

export async function fakeTacker(opts: FakeTackerOptions = {}): Promise<FakeTacker> {
  const packages: FakeTacker['packages'] = new Map();
  const instances = new Map<string, Rec>();
  const ops: FakeTacker['ops'] = new Map();
  let base = '';

  const pkgView = (p: FakeTacker['packages'] extends Map<string, infer V> ? V : never) => {
    const { polls: _p, bad: _b, refused: _r, ...rest } = p;
    return rest;
  };

  const advancePackage = (p: FakeTacker['packages'] extends Map<string, infer V> ? V : never) => {
    if (p.onboardingState === 'CREATED' || p.onboardingState === 'ONBOARDED') return;
    p.polls++;
    if (p.onboardingState === 'UPLOADING' && p.polls >= 1) p.onboardingState = 'PROCESSING';
    else if (p.onboardingState === 'PROCESSING' && p.polls >= 2) {
      if (p.bad || p.refused) {
        p.onboardingState = 'CREATED';
        p.onboardingFailureDetails = { status: 422, title: 'Unprocessable Entity', detail: p.refused ?? 'CSAR file is corrupt: File is not a zip file' };
      } else {
        Object.assign(p, { onboardingState: 'ONBOARDED', operationalState: 'ENABLED', vnfdId: 'b1bb0ce7-ebca-4fa7-95ed-4840d7000000', vnfProvider: 'StatelessNF', vnfProductName: 'snf-nat', vnfSoftwareVersion: '1.0', vnfdVersion: '1.0' });
      }
    }
  };

  const lcmTask = (task: string) => (r: FakeRequest): FakeReply => {
    const inst = instances.get(r.params[0]);
    if (!inst) return problem(404, 'Not Found', `Can not find requested vnf instance: ${r.params[0]}`);
    const b = isRec(r.json) ? r.json : {};
    if (task === 'instantiate') {
      if (inst.instantiationState === 'INSTANTIATED') return problem(409, 'Conflict', `Vnf instance ${inst.id} in instantiation_state INSTANTIATED. Cannot instantiate while the vnf instance is in this state.`);
      if (typeof b.flavourId !== 'string') return problem(400, 'Bad Request', "'flavourId' is a required property");
    } else if (inst.instantiationState !== 'INSTANTIATED') {
      return problem(409, 'Conflict', `Vnf instance ${inst.id} in instantiation_state NOT_INSTANTIATED. Cannot ${task} while the vnf instance is in this state.`);
    }
    if (task === 'scale' && (!['SCALE_OUT', 'SCALE_IN'].includes(String(b.type)) || typeof b.aspectId !== 'string')) {
      return problem(400, 'Bad Request', "'type' and 'aspectId' are required");
    }
    const opId = randomUUID();
    const fail = isRec(b.additionalParams) && b.additionalParams.fail === true;
    ops.set(opId, { id: opId, operationState: 'STARTING', operation: task.toUpperCase(), vnfInstanceId: inst.id, isAutomaticInvocation: false, polls: 0, fail, task });
    return { status: 202, headers: opts.noLocation ? {} : { location: `${base}/vnflcm/v1/vnf_lcm_op_occs/${opId}` } };
  };

  const server = await startFake(
    [
      {
        method: 'POST',
        path: /^\/vnfpkgm\/v1\/vnf_packages$/,
        handler: (r) => {
          const b = isRec(r.json) ? r.json : {};
          if (b.userDefinedData !== undefined && !isRec(b.userDefinedData)) return problem(400, 'Bad Request', 'userDefinedData must be an object');
          const id = randomUUID();
          const p = {
            id,
            onboardingState: 'CREATED',
            operationalState: 'DISABLED',
            usageState: 'NOT_IN_USE',
            userDefinedData: b.userDefinedData ?? {},
            _links: { self: { href: `/vnfpkgm/v1/vnf_packages/${id}` }, packageContent: { href: `/vnfpkgm/v1/vnf_packages/${id}/package_content` } },
            polls: 0,
            bad: false,
          };
          packages.set(id, p);
          return { status: 201, body: pkgView(p) };
        },
      },
      { method: 'GET', path: /^\/vnfpkgm\/v1\/vnf_packages$/, handler: () => ({ status: 200, body: [...packages.values()].map(pkgView) }) },
      {
        method: 'GET',
        path: /^\/vnfpkgm\/v1\/vnf_packages\/([^/]+)$/,
        handler: (r) => {
          const p = packages.get(r.params[0]);
          if (!p) return problem(404, 'Not Found', `Can not find requested vnf package: ${r.params[0]}`);
          advancePackage(p);
          return { status: 200, body: pkgView(p) };
        },
      },
      {
        method: 'PUT',
        path: /^\/vnfpkgm\/v1\/vnf_packages\/([^/]+)\/package_content$/,
        handler: (r) => {
          const p = packages.get(r.params[0]);
          if (!p) return problem(404, 'Not Found', `Can not find requested vnf package: ${r.params[0]}`);
          if (r.headers['content-type'] !== 'application/zip') return problem(400, 'Bad Request', 'Content-Type must be application/zip');
          if (p.onboardingState !== 'CREATED') return problem(409, 'Conflict', `VNF Package ${p.id} onboarding state is not CREATED`);
          // Tacker opens the CSAR as a zip: no local header or no end-of-central-directory -> corrupt
          p.bad = !r.raw.subarray(0, 4).equals(ZIP_MAGIC) || !r.raw.includes(ZIP_EOCD);
          const refused = p.bad ? undefined : opts.refuseContent?.(r.raw);
          if (refused) p.refused = refused;
          p.onboardingState = 'UPLOADING';
          delete p.onboardingFailureDetails;
          p.polls = 0;
          return { status: 202 };
        },
      },
      {
        method: 'DELETE',
        path: /^\/vnfpkgm\/v1\/vnf_packages\/([^/]+)$/,
        handler: (r) => (packages.delete(r.params[0]) ? { status: 204 } : problem(404, 'Not Found', 'no such package')),
      },
      {
        method: 'POST',
        path: /^\/vnflcm\/v1\/vnf_instances$/,
        handler: (r) => {
          const b = isRec(r.json) ? r.json : {};
          if (typeof b.vnfdId !== 'string') return problem(400, 'Bad Request', "'vnfdId' is a required property");
          const id = randomUUID();
          const inst = { id, vnfdId: b.vnfdId, vnfInstanceName: b.vnfInstanceName ?? '', instantiationState: 'NOT_INSTANTIATED', _links: { self: { href: `${base}/vnflcm/v1/vnf_instances/${id}` } } };
          instances.set(id, inst);
          return { status: 201, body: inst, headers: { location: `${base}/vnflcm/v1/vnf_instances/${id}` } };
        },
      },
      {
        method: 'GET',
        path: /^\/vnflcm\/v1\/vnf_instances\/([^/]+)$/,
        handler: (r) => {
          const i = instances.get(r.params[0]);
          return i ? { status: 200, body: i } : problem(404, 'Not Found', `Can not find requested vnf instance: ${r.params[0]}`);
        },
      },
      {
        method: 'DELETE',
        path: /^\/vnflcm\/v1\/vnf_instances\/([^/]+)$/,
        handler: (r) => {
          const i = instances.get(r.params[0]);
          if (!i) return problem(404, 'Not Found', 'no such instance');
          if (i.instantiationState === 'INSTANTIATED') return problem(409, 'Conflict', `Vnf instance ${i.id} in instantiation_state INSTANTIATED. Cannot delete while the vnf instance is in this state.`);
          instances.delete(r.params[0]);
          return { status: 204 };
        },
      },
      ...['instantiate', 'scale', 'heal', 'terminate'].map((t) => ({ method: 'POST', path: new RegExp(`^/vnflcm/v1/vnf_instances/([^/]+)/${t}$`), handler: lcmTask(t) })),
      {
        method: 'GET',
        path: /^\/vnflcm\/v1\/vnf_lcm_op_occs\/([^/]+)$/,
        handler: (r) => {
          const op = ops.get(r.params[0]);
          if (!op) return problem(404, 'Not Found', `Can not find requested vnf lcm op occ: ${r.params[0]}`);
          op.polls++;
          if (op.operationState === 'STARTING') op.operationState = 'PROCESSING';
          else if (op.operationState === 'PROCESSING' && op.polls >= 2) {
            if (op.fail) {
              op.operationState = 'FAILED_TEMP';
              op.error = { status: 500, title: 'Internal Server Error', detail: 'Heat stack create failed: VDU1 CREATE_FAILED' };
            } else {
              op.operationState = 'COMPLETED';
              const inst = instances.get(String(op.vnfInstanceId));
              if (inst && op.task === 'instantiate') inst.instantiationState = 'INSTANTIATED';
              if (inst && op.task === 'terminate') inst.instantiationState = 'NOT_INSTANTIATED';
            }
          }
          const { polls: _p, fail: _f, task: _t, ...view } = op;
          return { status: 200, body: view };
        },
      },
    ],
    { auth: opts.auth },
  );
  base = server.url;
  return { ...server, packages, instances, ops };
}
