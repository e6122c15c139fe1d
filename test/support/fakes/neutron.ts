// Fake Neutron following the Networking API v2.0 reference (docs.openstack.org/api-ref/network)
// and the networking-sfc extension: /v2.0/networks, /v2.0/ports (POST 201 {port}, PUT 200,
// DELETE 204), /v2.0/sfc/port_pairs (POST {port_pair: {ingress, egress}} 201) and
// /v2.0/sfc/port_pair_groups (POST 201, PUT {port_pair_group: {port_pairs}} 200). Errors as
// {"NeutronError": {"type", "message", "detail"}}; a port pair whose ports do not exist -> 404
// PortNotFound; a port already in a pair group -> 409 PortPairInUse.
import { randomUUID } from 'node:crypto';
import { startFake, type FakeReply, type FakeRequest, type FakeServer } from './server.js';

type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
const nerr = (status: number, type: string, message: string): FakeReply => ({ status, body: { NeutronError: { type, message, detail: '' } } });

export interface FakeNeutron extends FakeServer {
  networks: Map<string, Rec>;
  ports: Map<string, Rec>;
  portPairs: Map<string, Rec>;
  groups: Map<string, Rec>;
}

export async function fakeNeutron(opts: { auth?: (t: string | undefined, r: FakeRequest) => FakeReply | undefined } = {}): Promise<FakeNeutron> {
  const networks = new Map<string, Rec>([['net-1', { id: 'net-1', name: 'data', status: 'ACTIVE', subnets: ['sub-1'], admin_state_up: true }]]);
  const ports = new Map<string, Rec>();
  const portPairs = new Map<string, Rec>();
  const groups = new Map<string, Rec>();

  const filter = (items: Rec[], q: URLSearchParams) => items.filter((i) => [...q.entries()].every(([k, v]) => String(i[k]) === v));
  const collection = (name: string, plural: string, store: Map<string, Rec>, validate: (b: Rec) => FakeReply | Rec) => [
    { method: 'GET', path: new RegExp(`^/v2\\.0/${plural}$`), handler: (r: FakeRequest) => ({ status: 200, body: { [plural.split('/').pop()!]: filter([...store.values()], r.query) } }) },
    {
      method: 'GET',
      path: new RegExp(`^/v2\\.0/${plural}/([^/]+)$`),
      handler: (r: FakeRequest) => {
        const x = store.get(r.params[0]);
        return x ? { status: 200, body: { [name]: x } } : nerr(404, `${pascal(name)}NotFound`, `${pascal(name)} ${r.params[0]} could not be found.`);
      },
    },
    {
      method: 'POST',
      path: new RegExp(`^/v2\\.0/${plural}$`),
      handler: (r: FakeRequest) => {
        const b = isRec(r.json) ? r.json[name] : undefined;
        if (!isRec(b)) return nerr(400, 'BadRequest', `Resource body required`);
        const v = validate(b);
        if ('status' in v && typeof v.status === 'number') return v as FakeReply;
        const item = { id: randomUUID(), ...v };
        store.set(item.id, item);
        return { status: 201, body: { [name]: item } };
      },
    },
    {
      method: 'PUT',
      path: new RegExp(`^/v2\\.0/${plural}/([^/]+)$`),
      handler: (r: FakeRequest) => {
        const x = store.get(r.params[0]);
        if (!x) return nerr(404, `${pascal(name)}NotFound`, `${pascal(name)} ${r.params[0]} could not be found.`);
        const b = isRec(r.json) ? r.json[name] : undefined;
        if (!isRec(b)) return nerr(400, 'BadRequest', 'Resource body required');
        if ('id' in b) return nerr(400, 'HTTPBadRequest', "Attribute 'id' not allowed in PUT");
        Object.assign(x, b);
        return { status: 200, body: { [name]: x } };
      },
    },
    {
      method: 'DELETE',
      path: new RegExp(`^/v2\\.0/${plural}/([^/]+)$`),
      handler: (r: FakeRequest) => (store.delete(r.params[0]) ? { status: 204 } : nerr(404, `${pascal(name)}NotFound`, `${pascal(name)} ${r.params[0]} could not be found.`)),
    },
  ];

  const server = await startFake(
    [
      ...collection('network', 'networks', networks, (b) => ({ status: 'ACTIVE', subnets: [], admin_state_up: true, ...b })),
      ...collection('port', 'ports', ports, (b) =>
        typeof b.network_id !== 'string' || !networks.has(b.network_id)
          ? nerr(404, 'NetworkNotFound', `Network ${String(b.network_id)} could not be found.`)
          : { name: '', mac_address: 'fa:16:3e:00:00:01', fixed_ips: [{ ip_address: '10.0.0.5', subnet_id: 'sub-1' }], status: 'DOWN', ...b },
      ),
      ...collection('port_pair', 'sfc/port_pairs', portPairs, (b) => {
        for (const k of ['ingress', 'egress'] as const) {
          if (typeof b[k] !== 'string' || !ports.has(b[k] as string)) return nerr(404, 'PortNotFound', `Port ${String(b[k])} could not be found.`);
        }
        return { name: '', description: '', service_function_parameters: { correlation: null, weight: 1 }, ...b };
      }),
      ...collection('port_pair_group', 'sfc/port_pair_groups', groups, (b) => {
        const pairs = Array.isArray(b.port_pairs) ? (b.port_pairs as string[]) : [];
        for (const p of pairs) {
          if (!portPairs.has(p)) return nerr(404, 'PortPairNotFound', `Port Pair ${p} could not be found.`);
          if ([...groups.values()].some((g) => (g.port_pairs as string[]).includes(p))) return nerr(409, 'PortPairInUse', `Port Pair ${p} in use.`);
        }
        return { name: '', description: '', port_pair_group_parameters: { lb_fields: '' }, ...b, port_pairs: pairs };
      }),
    ],
    { auth: opts.auth },
  );
  return { ...server, networks, ports, portPairs, groups };
}

function pascal(s: string): string {
  return s.split('_').map((w) => w[0].toUpperCase() + w.slice(1)).join('');
}
