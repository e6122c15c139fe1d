// Fake Keystone v3 following the Identity API v3 reference (docs.openstack.org/api-ref/identity/v3):
// POST /v3/auth/tokens with the password, token and application_credential methods and
// project / domain scope -> 201, token in X-Subject-Token, body {token: {methods, user,
// project, roles, catalog, expires_at, issued_at}}; bad credentials -> 401 with
// {"error": {"code", "title", "message"}}. Tokens can be revoked and have a set lifetime, so
// tests can expire them in the middle of an operation.
import { randomUUID } from 'node:crypto';
import { startFake, type FakeReply, type FakeRequest, type FakeServer } from './server.js';

export interface FakeKeystoneOptions {
  users?: Array<{ id: string; name: string; domain: string; password: string }>;
  appCreds?: Array<{ id: string; secret: string; userId: string; projectId: string }>;
  projects?: Array<{ id: string; name: string; domain: string }>;
  /** token lifetime in ms */
  tokenTtlMs?: number;
  /** catalog: service type -> [{interface, region, url}] */
  catalog?: Record<string, Array<{ interface: string; region: string; url: string }>>;
}

export interface FakeKeystone extends FakeServer {
  /** whether a token is currently valid (for the other fakes' auth check) */
  valid(token: string | undefined): boolean;
  revokeAll(): void;
  issued: number;
  setTtl(ms: number): void;
}

const unauthorized = (message = 'The request you have made requires authentication.'): FakeReply => ({
  status: 401,
  body: { error: { code: 401, title: 'Unauthorized', message } },
  headers: { 'www-authenticate': 'Keystone uri="http://127.0.0.1"' },
});

type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
const dom = (d: unknown): string | undefined => (isRec(d) ? ((d.id as string) ?? (d.name as string)) : undefined);

export async function fakeKeystone(o: FakeKeystoneOptions = {}): Promise<FakeKeystone> {
  const users = o.users ?? [{ id: 'u-1', name: 'demo', domain: 'default', password: 'secret' }];
  const projects = o.projects ?? [{ id: 'p-1', name: 'demo', domain: 'default' }];
  const appCreds = o.appCreds ?? [];
  let ttl = o.tokenTtlMs ?? 3600_000;
  const tokens = new Map<string, { expires: number; userId: string; projectId?: string }>();
  let catalogBase = '';

  const handler = (req: FakeRequest): FakeReply => {
    const body = req.json;
    if (!isRec(body) || !isRec(body.auth) || !isRec(body.auth.identity)) {
      return { status: 400, body: { error: { code: 400, title: 'Bad Request', message: "'auth' is a required property" } } };
    }
    const identity = body.auth.identity as Rec;
    const methods = identity.methods;
    if (!Array.isArray(methods) || methods.length !== 1) return { status: 400, body: { error: { code: 400, title: 'Bad Request', message: 'methods' } } };
    let userId: string | undefined;
    let projectId: string | undefined;
    const method = methods[0] as string;
    if (method === 'password') {
      const u = isRec(identity.password) && isRec(identity.password.user) ? (identity.password.user as Rec) : {};
      const user = users.find((x) => (u.id ? x.id === u.id : x.name === u.name && dom(u.domain) === x.domain));
      if (!user || user.password !== u.password) return unauthorized();
      userId = user.id;
    } else if (method === 'token') {
      const t = isRec(identity.token) ? (identity.token.id as string) : undefined;
      const rec = t ? tokens.get(t) : undefined;
      if (!rec || rec.expires < Date.now()) return { status: 404, body: { error: { code: 404, title: 'Not Found', message: `Could not find token: ${t}.` } } };
      userId = rec.userId;
      projectId = rec.projectId;
    } else if (method === 'application_credential') {
      const c = isRec(identity.application_credential) ? identity.application_credential : {};
      if (body.auth.scope) return { status: 401, body: { error: { code: 401, title: 'Unauthorized', message: 'Cannot use scope with application credential' } } };
      const cred = appCreds.find((x) => x.id === c.id);
      if (!cred || cred.secret !== c.secret) return unauthorized();
      userId = cred.userId;
      projectId = cred.projectId;
    } else return unauthorized(`Unsupported auth method ${method}`);

    const scope = body.auth.scope;
    if (isRec(scope) && isRec(scope.project)) {
      const p = scope.project;
      const proj = projects.find((x) => (p.id ? x.id === p.id : x.name === p.name && dom(p.domain) === x.domain));
      if (!proj) return unauthorized(`Could not find project: ${String(p.id ?? p.name)}.`);
      projectId = proj.id;
    }
    const value = `tok-${randomUUID()}`;
    const now = Date.now();
    tokens.set(value, { expires: now + ttl, userId: userId!, projectId });
    ks.issued++;
    const project = projects.find((x) => x.id === projectId);
    const catalog = Object.entries(o.catalog ?? {}).map(([type, eps], i) => ({
      id: `svc-${i}`,
      type,
      name: type,
      endpoints: eps.map((e, j) => ({ id: `ep-${i}-${j}`, interface: e.interface, region: e.region, region_id: e.region, url: e.url.replace('{keystone}', catalogBase) })),
    }));
    return {
      status: 201,
      headers: { 'x-subject-token': value },
      body: {
        token: {
          methods: [method],
          user: { id: userId, name: users.find((x) => x.id === userId)?.name, domain: { id: 'default', name: 'Default' } },
          ...(project ? { project: { id: project.id, name: project.name, domain: { id: project.domain, name: project.domain } }, catalog } : {}),
          roles: project ? [{ id: 'r-1', name: 'member' }] : [],
          issued_at: new Date(now).toISOString(),
          expires_at: new Date(now + ttl).toISOString(),
          audit_ids: [randomUUID()],
        },
      },
    };
  };

  const server = await startFake([
    { method: 'POST', path: /^\/v3\/auth\/tokens$/, handler },
    { method: 'GET', path: /^\/v3\/?$/, handler: () => ({ status: 200, body: { version: { id: 'v3.14', status: 'stable' } } }) },
  ]);
  catalogBase = server.url;
  const ks: FakeKeystone = {
    ...server,
    issued: 0,
    valid: (t) => {
      const rec = t ? tokens.get(t) : undefined;
      return !!rec && rec.expires > Date.now();
    },
    revokeAll: () => tokens.clear(),
    setTtl: (ms) => {
      ttl = ms;
    },
  };
  return ks;
}

/** An auth check for the service fakes: 401 in Keystone's shape unless the token is valid. */
export function requireToken(ks: FakeKeystone) {
  return (token: string | undefined): FakeReply | undefined => (ks.valid(token) ? undefined : unauthorized('The request you have made requires authentication.'));
}
