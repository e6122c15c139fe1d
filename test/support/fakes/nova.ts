// Fake Nova following the Compute API v2.1 reference (docs.openstack.org/api-ref/compute):
// GET /servers/detail {servers}, GET /servers/{id} {server}, POST /servers/{id}/action with
// {reboot: {type: SOFT|HARD}} -> 202 no body, {rebuild: {imageRef, ...}} -> 202 {server};
// GET /flavors/detail {flavors}, GET /flavors/{id} {flavor}, POST /flavors {flavor} -> 200;
// errors as {"itemNotFound" | "badRequest" | "conflictingRequest": {"code", "message"}}.
// Action on a server that is not ACTIVE -> 409 conflictingRequest, as Nova does.
import { randomUUID } from 'node:crypto';
import type { FakeReply, FakeRequest, FakeServer } from './server.js';
import { startFake } from './server.js';

export interface FakeNova extends FakeServer {
  servers: Map<string, { id: string; name: string; status: string; image: { id: string }; flavor: { id: string } }>;
  flavors: Map<string, { id: string; name: string; vcpus: number; ram: number; disk: number }>;
}

type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
const fault = (kind: string, code: number, message: string): FakeReply => ({ status: code, body: { [kind]: { code, message } } });

export async function fakeNova(opts: { auth?: (t: string | undefined, r: FakeRequest) => FakeReply | undefined } = {}): Promise<FakeNova> {
  const servers: FakeNova['servers'] = new Map();
  const flavors: FakeNova['flavors'] = new Map([['1', { id: '1', name: 'm1.small', vcpus: 1, ram: 2048, disk: 20 }]]);
  servers.set('s-1', { id: 's-1', name: 'vdu1-a', status: 'ACTIVE', image: { id: 'img-1' }, flavor: { id: '1' } });
  const server = await startFake(
    [
      { method: 'GET', path: /^\/v2\.1\/servers\/detail$/, handler: () => ({ status: 200, body: { servers: [...servers.values()] } }) },
      {
        method: 'GET',
        path: /^\/v2\.1\/servers\/([^/]+)$/,
        handler: (r) => {
          const s = servers.get(r.params[0]);
          return s ? { status: 200, body: { server: s } } : fault('itemNotFound', 404, 'Instance could not be found.');
        },
      },
      {
        method: 'POST',
        path: /^\/v2\.1\/servers\/([^/]+)\/action$/,
        handler: (r) => {
          const s = servers.get(r.params[0]);
          if (!s) return fault('itemNotFound', 404, 'Instance could not be found.');
          const b = r.json;
          if (!isRec(b)) return fault('badRequest', 400, 'Malformed request body');
          if (s.status !== 'ACTIVE') {
            return fault('conflictingRequest', 409, `Cannot '${Object.keys(b)[0]}' instance ${s.id} while it is in vm_state ${s.status.toLowerCase()}`);
          }
          if (isRec(b.reboot)) {
            if (b.reboot.type !== 'SOFT' && b.reboot.type !== 'HARD') return fault('badRequest', 400, "Invalid input for field/attribute type.");
            s.status = b.reboot.type === 'HARD' ? 'HARD_REBOOT' : 'REBOOT';
            return { status: 202 };
          }
          if (isRec(b.rebuild)) {
            if (typeof b.rebuild.imageRef !== 'string') return fault('badRequest', 400, "'imageRef' is a required property");
            s.image = { id: b.rebuild.imageRef };
            if (typeof b.rebuild.name === 'string') s.name = b.rebuild.name;
            s.status = 'REBUILD';
            return { status: 202, body: { server: s } };
          }
          return fault('badRequest', 400, 'Unsupported action');
        },
      },
      { method: 'GET', path: /^\/v2\.1\/flavors\/detail$/, handler: () => ({ status: 200, body: { flavors: [...flavors.values()] } }) },
      {
        method: 'GET',
        path: /^\/v2\.1\/flavors\/([^/]+)$/,
        handler: (r) => {
          const f = flavors.get(r.params[0]);
          return f ? { status: 200, body: { flavor: f } } : fault('itemNotFound', 404, `Flavor ${r.params[0]} could not be found.`);
        },
      },
      {
        method: 'POST',
        path: /^\/v2\.1\/flavors$/,
        handler: (r) => {
          const f = isRec(r.json) && isRec(r.json.flavor) ? r.json.flavor : undefined;
          if (!f || typeof f.name !== 'string' || typeof f.ram !== 'number' || typeof f.vcpus !== 'number' || typeof f.disk !== 'number') {
            return fault('badRequest', 400, "Invalid input for field/attribute flavor.");
          }
          if ([...flavors.values()].some((x) => x.name === f.name)) return fault('conflictingRequest', 409, `Flavor with name ${f.name} already exists.`);
          const id = typeof f.id === 'string' ? f.id : randomUUID();
          const created = { id, name: f.name, vcpus: f.vcpus, ram: f.ram, disk: f.disk };
          flavors.set(id, created);
          return { status: 200, body: { flavor: { ...created, 'os-flavor-access:is_public': true } } };
        },
      },
    ],
    { auth: opts.auth },
  );
  return { ...server, servers, flavors };
}
