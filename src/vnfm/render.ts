// API representations of the stored records, per dialect: v2 is SOL003 v3.3.1; v1 is what ONAP
// SO's SOL003 adapter expects (vnfPkgId present, vimConnectionInfo as an array).
import type { Dialect } from './schema.js';
import type { Json, OpRecord, Subscription, VnfRecord } from './types.js';

export function renderVnf(rec: VnfRecord, api: string, d: Dialect): Json {
  const { vnfPkgId, vimConnectionInfo, ...vnf } = rec.vnf;
  const self = `${api}/vnf_instances/${vnf.id}`;
  const links: Json = { self: { href: self } };
  if (vnf.instantiationState === 'NOT_INSTANTIATED') links.instantiate = { href: `${self}/instantiate` };
  else {
    for (const [k, p] of [['terminate', 'terminate'], ['scale', 'scale'], ['scaleToLevel', 'scale_to_level'], ['changeFlavour', 'change_flavour'], ['heal', 'heal'], ['operate', 'operate'], ['changeExtConn', 'change_ext_conn']]) links[k] = { href: `${self}/${p}` };
  }
  const out: Json = { ...vnf, _links: links };
  if (d === 'v1') {
    out.vnfPkgId = vnfPkgId ?? vnf.vnfdId;
    if (vimConnectionInfo) out.vimConnectionInfo = Object.entries(vimConnectionInfo).map(([id, c]) => ({ id, ...c }));
  } else if (vimConnectionInfo) {
    out.vimConnectionInfo = vimConnectionInfo;
  }
  return out;
}

export function renderOp(rec: OpRecord, api: string): Json {
  const self = `${api}/vnf_lcm_op_occs/${rec.op.id}`;
  const links: Json = { self: { href: self }, vnfInstance: { href: `${api}/vnf_instances/${rec.op.vnfInstanceId}` } };
  if ((rec.op.operationState === 'STARTING' || rec.op.operationState === 'PROCESSING') && !rec.op.isCancelPending) links.cancel = { href: `${self}/cancel` };
  if (rec.op.operationState === 'FAILED_TEMP') {
    links.retry = { href: `${self}/retry` };
    links.rollback = { href: `${self}/rollback` };
    links.fail = { href: `${self}/fail` };
  }
  // The bundled SOL003 schema requires exactly one of changedInfo and
  // modificationsTriggeredByVnfPkgChange (oneOf of two "required"s); an operation that changed no
  // VNF attribute reports an empty changedInfo.
  return { ...rec.op, ...(rec.op.changedInfo ? {} : { changedInfo: {} }), _links: links };
}

export function renderSub(s: Subscription, api: string): Json {
  const { authentication: _a, dialect: _d, ...pub } = s;
  return { ...pub, _links: { self: { href: `${api}/subscriptions/${s.id}` } } };
}
