// Request, response and notification validation against the standards' own schemas (copied into
// ./schemas, see SOURCE.md): SOL003 v3.3.1 OpenAPI 3.0 for /vnflcm/v2, ONAP SO's Swagger 2.0 for
// the /vnflcm/v1 calls SO makes, ONAP SO's LCN definitions for notifications. Schemas compile
// lazily: the bundled document is large and most of it is never used by one process.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS: its default export arrives wrapped under tsx/ESM.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (a: Ajv) => Ajv;

export const SCHEMA_DIR = join(dirname(fileURLToPath(import.meta.url)), 'schemas');

export type Dialect = 'v2' | 'v1';
type Json = Record<string, unknown>;

export function loadJson(path: string): Json {
  return JSON.parse(readFileSync(path, 'utf8')) as Json;
}

function makeAjv(): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
  addFormats(ajv);
  // SOL003 writes its own format names; "URI" fields carry relative references too.
  ajv.addFormat('URI', true);
  ajv.addFormat('url', true);
  ajv.addFormat('binary', true);
  ajv.addFormat('IP', /^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*)$/);
  ajv.addFormat('MAC', /^[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}$/);
  return ajv;
}

function fmt(errors: ErrorObject[] | null | undefined, where: string): string[] {
  return (errors ?? []).slice(0, 10).map((e) => `${where}${e.instancePath || ''} ${e.message ?? 'is invalid'}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}${e.params && 'allowedValues' in e.params ? ` (${JSON.stringify(e.params.allowedValues)})` : ''}`);
}

const PROBLEM_SCHEMA = {
  type: 'object',
  required: ['status', 'detail'],
  properties: { type: { type: 'string' }, title: { type: 'string' }, status: { type: 'integer' }, detail: { type: 'string' }, instance: { type: 'string' } },
};

/**
 * Where the VNFM follows the standard's text over a typo of the bundled document: SOL003 v3.3.1
 * clause 4.4.1.5 VnfInstanceSubscriptionFilter has `vnfdIds`, and so do the bundle's properties,
 * but its anyOf/oneOf requires `vnfdId`, so the standard filter {vnfdIds: [...]} fails validation.
 * A `required` name that is not a property while its plural is, becomes the plural.
 */
export function applyErrata(doc: unknown): void {
  const seen = new Set<unknown>();
  const walk = (x: unknown, props: Json | undefined): void => {
    if (!x || typeof x !== 'object' || seen.has(x)) return;
    seen.add(x);
    if (Array.isArray(x)) return x.forEach((v) => walk(v, props));
    const o = x as Json;
    const own = (o.properties as Json | undefined) ?? props;
    if (Array.isArray(o.required) && own) {
      o.required = (o.required as string[]).map((r) => (!Object.hasOwn(own, r) && Object.hasOwn(own, `${r}s`) ? `${r}s` : r));
    }
    for (const [k, v] of Object.entries(o)) walk(v, k === 'anyOf' || k === 'oneOf' || k === 'allOf' ? own : undefined);
  };
  walk(doc, undefined);
}

/** Validates bodies of one API document (OpenAPI 3.0 or Swagger 2.0, $refs local). */
export class ApiSchemas {
  private readonly ajv = makeAjv();
  private readonly cache = new Map<string, ValidateFunction | null>();
  private readonly swagger: boolean;
  private readonly problem: ValidateFunction;

  constructor(readonly doc: Json) {
    applyErrata(doc);
    this.swagger = typeof doc.swagger === 'string';
    // Registered whole so "#/components/..." and "#/definitions/..." refs resolve.
    const { openapi: _o, swagger: _s, ...rest } = doc;
    this.ajv.addSchema({ ...rest, $id: 'api' } as Json);
    this.problem = this.ajv.compile(PROBLEM_SCHEMA);
  }

  private op(method: string, path: string): Json | undefined {
    const paths = this.doc.paths as Record<string, Json> | undefined;
    return paths?.[path]?.[method.toLowerCase()] as Json | undefined;
  }

  private deref(x: Json | undefined): Json | undefined {
    let cur = x;
    for (let i = 0; cur && typeof cur.$ref === 'string' && i < 5; i++) {
      const parts = (cur.$ref as string).replace(/^#\//, '').split('/');
      let node: unknown = this.doc;
      for (const p of parts) node = (node as Json | undefined)?.[p];
      cur = node as Json | undefined;
    }
    return cur;
  }

  /** JSON pointer (inside the registered document) of a body schema, or undefined. */
  private pointer(method: string, path: string, status?: number): string | undefined {
    const op = this.op(method, path);
    if (!op) return undefined;
    const base = `#/paths/${path.replace(/~/g, '~0').replace(/\//g, '~1')}/${method.toLowerCase()}`;
    if (status === undefined) {
      if (this.swagger) {
        const i = ((op.parameters as Json[] | undefined) ?? []).findIndex((p) => p.in === 'body');
        return i >= 0 ? `${base}/parameters/${i}/schema` : undefined;
      }
      const rb = this.deref(op.requestBody as Json | undefined);
      if (!rb) return undefined;
      const ref = (op.requestBody as Json).$ref as string | undefined;
      return ref ? `${ref}/content/application~1json/schema` : `${base}/requestBody/content/application~1json/schema`;
    }
    const responses = (op.responses ?? {}) as Json;
    const code = String(status) in responses ? String(status) : 'default' in responses ? 'default' : undefined;
    if (!code) return undefined;
    const resp = responses[code] as Json;
    if (this.swagger) return resp.schema ? `${base}/responses/${code}/schema` : undefined;
    const r = this.deref(resp);
    const content = r?.content as Json | undefined;
    if (!content || !content['application/json']) return undefined;
    const prefix = typeof resp.$ref === 'string' ? (resp.$ref as string) : `${base}/responses/${code}`;
    return `${prefix}/content/application~1json/schema`;
  }

  private fn(ptr: string): ValidateFunction {
    let f = this.cache.get(ptr);
    if (f === undefined) {
      f = this.ajv.getSchema(`api${ptr}`) ?? null;
      this.cache.set(ptr, f);
    }
    if (!f) throw new Error(`schema ${ptr} not found`);
    return f;
  }

  /** Errors of a request body, [] when valid or when the operation takes no body. */
  request(method: string, path: string, body: unknown): string[] {
    const ptr = this.pointer(method, path);
    if (!ptr) return [];
    const f = this.fn(ptr);
    return f(body) ? [] : fmt(f.errors, 'body');
  }

  /** Errors of a response body. Statuses the document lists without a schema accept no body. */
  response(method: string, path: string, status: number, body: unknown): string[] {
    if (status >= 400) return this.problem(body) ? [] : fmt(this.problem.errors, 'problem');
    const ptr = this.pointer(method, path, status);
    if (!ptr) {
      if (!this.op(method, path)) return [`no operation ${method} ${path} in the API document`];
      const responses = (this.op(method, path)?.responses ?? {}) as Json;
      if (!(String(status) in responses)) return [`status ${status} is not a response of ${method} ${path}`];
      return body === undefined || body === '' ? [] : [`${method} ${path} ${status} has no body in the API document`];
    }
    const f = this.fn(ptr);
    const schema = f.schema as Json;
    if (Array.isArray(body) && schema.type === 'object') {
      // The bundled SOL003 document describes GET /vnf_lcm_op_occs as one VnfLcmOpOcc; the
      // standard (and every client) has an array of them: check each element.
      return body.flatMap((x, i) => (f(x) ? [] : fmt(f.errors, `response/${i}`)));
    }
    return f(body) ? [] : fmt(f.errors, 'response');
  }

  /** The schema node a JSON pointer names ("#/..."), $refs followed. */
  private at(ptr: string): Json | undefined {
    let node: unknown = this.doc;
    for (const raw of ptr.replace(/^#\//, '').split('/')) node = (node as Json | undefined)?.[raw.replace(/~1/g, '/').replace(/~0/g, '~')];
    return this.deref(node as Json | undefined);
  }

  /**
   * Whether `attr` (path segments) names an attribute of the resources a GET on a list returns:
   * SOL013 5.2 makes a filter on an attribute the resource does not have a 400. Below a free-form
   * object (metadata, extensions, additionalParams) every name is allowed.
   */
  listAttributeKnown(path: string, attr: string[]): boolean {
    const ptr = this.pointer('GET', path, 200);
    let node = ptr ? this.at(ptr) : undefined;
    if (!node) return true;
    const children = (n: Json): Json[] => [n, ...(['allOf', 'anyOf', 'oneOf'] as const).flatMap((k) => ((n[k] as Json[] | undefined) ?? []).map((x) => this.deref(x) ?? {}).flatMap(children))];
    if (node.type === 'array' && node.items) node = this.deref(node.items as Json);
    let cur: Json[] = node ? [node] : [];
    for (const seg of attr) {
      const next: Json[] = [];
      for (const n0 of cur.flatMap(children)) {
        let n = n0;
        if (n.type === 'array' && n.items) n = this.deref(n.items as Json) ?? {};
        const props = n.properties as Json | undefined;
        if (props && Object.hasOwn(props, seg)) next.push(this.deref(props[seg] as Json) ?? {});
        else if (n.additionalProperties && typeof n.additionalProperties === 'object') next.push(this.deref(n.additionalProperties as Json) ?? {});
        // a free-form object (KeyValuePairs); a node with no type is only a constraint (required) of its parent
        else if (!props && n.type === 'object' && children(n).length === 1) return true;
      }
      if (next.length === 0) return false;
      cur = next;
    }
    return true;
  }

  /** Errors against a named definition (Swagger "definitions" / OpenAPI "components/schemas"). */
  definition(name: string, body: unknown): string[] {
    const ptr = this.swagger ? `#/definitions/${name}` : `#/components/schemas/${name}`;
    const f = this.fn(ptr);
    return f(body) ? [] : fmt(f.errors, name);
  }
}

/**
 * The SOL003 document in the v1 dialect's shapes, for the v1 calls ONAP SO's document does not
 * have (PATCH, lists, the later task resources): SOL003 v3 keys `vimConnectionInfo` by id, API 1.x
 * (and SO's document) has an array of entries carrying their `id`, so every `vimConnectionInfo`
 * map becomes SO's own array schema. Everything else is the SOL003 document unchanged.
 */
export function v1Shapes(sol003: Json, so: Json): Json {
  const vnf = ((((so.paths as Json)['/vnf_instances/{vnfInstanceId}'] as Json).get as Json).responses as Json)['200'] as Json;
  const array = ((vnf.schema as Json).properties as Json).vimConnectionInfo as Json;
  if (!array || array.type !== 'array') throw new Error("ONAP SO's document has no vimConnectionInfo array in its VnfInstance");
  const doc = structuredClone(sol003);
  const walk = (x: unknown): void => {
    if (!x || typeof x !== 'object') return;
    if (Array.isArray(x)) return x.forEach(walk);
    const o = x as Json;
    const props = o.properties as Json | undefined;
    const map = props?.vimConnectionInfo as Json | undefined;
    if (props && map && map.type === 'object') props.vimConnectionInfo = { ...structuredClone(array), description: map.description };
    Object.values(o).forEach(walk);
  };
  walk(doc);
  return doc;
}

export interface ProductSchemas {
  v2: ApiSchemas;
  /** ONAP SO's document: the v1 calls SO makes */
  v1: ApiSchemas;
  /** the SOL003 document in v1 shapes (v1Shapes): the other v1 calls */
  v1ext: ApiSchemas;
  lcn: ApiSchemas;
  grant: ApiSchemas;
}

let cached: ProductSchemas | undefined;

/** The product's schemas (from ./schemas), loaded once per process. */
export function productSchemas(): ProductSchemas {
  if (!cached) {
    const sol003 = loadJson(join(SCHEMA_DIR, 'sol003-vnflcm.json'));
    const so = loadJson(join(SCHEMA_DIR, 'onap-so-vnflcm-v1.json'));
    cached = {
      v2: new ApiSchemas(sol003),
      v1: new ApiSchemas(so),
      v1ext: new ApiSchemas(v1Shapes(sol003, so)),
      lcn: new ApiSchemas(loadJson(join(SCHEMA_DIR, 'onap-so-lcn.json'))),
      grant: new ApiSchemas(loadJson(join(SCHEMA_DIR, 'onap-so-grant.json'))),
    };
  }
  return cached;
}
