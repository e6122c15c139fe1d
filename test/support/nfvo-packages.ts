// A FAKE NFVO, only its SOL003 VNF package management endpoints (ETSI GS NFV-SOL 003 v3.3.1,
// VNFPackageManagement API 2.1.0, /work/shared/specs/etsi-sol003/sol003_package_openapi.json):
//   GET /vnfpkgm/v2/onboarded_vnf_packages/{vnfdId}/vnfd             (200 application/zip, the VNFD files)
//   GET /vnfpkgm/v2/onboarded_vnf_packages/{vnfdId}/package_content  (200 application/zip, the CSAR as onboarded)
// No NFVO can run here; it serves REAL CSARs built by the product's package builder. As the API
// reference requires, Accept and Version headers are mandatory (406 / 400 otherwise), an unknown
// vnfdId is 404 with a ProblemDetails, and a configured Authorization is enforced (401).
import { createServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readZipSafe, writeZip, type FileMap } from '../../src/package/zip.js';

export class FakeNfvoPackages {
  private server?: Server;
  /** vnfdId -> the package bytes as onboarded */
  readonly packages = new Map<string, Buffer>();
  /** every request path, in order */
  readonly requests: string[] = [];
  url = '';

  constructor(private readonly authorization?: string) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  private problem(res: ServerResponse, status: number, detail: string): void {
    res.writeHead(status, { 'content-type': 'application/problem+json', version: '2.1.0' }).end(JSON.stringify({ status, detail }));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requests.push(req.url ?? '');
    if (this.authorization && req.headers.authorization !== this.authorization) return this.problem(res, 401, 'Authorization missing or wrong');
    if (!req.headers.version) return this.problem(res, 400, 'Version header is required');
    const m = /^\/vnfpkgm\/v2\/onboarded_vnf_packages\/([^/]+)\/(vnfd|package_content)$/.exec(req.url ?? '');
    if (req.method !== 'GET' || !m) return this.problem(res, 404, 'no such resource');
    const accept = req.headers.accept ?? '';
    if (!/application\/zip|\*\/\*/.test(accept)) return this.problem(res, 406, 'only application/zip is served');
    const pkg = this.packages.get(decodeURIComponent(m[1]));
    if (!pkg) return this.problem(res, 404, `no onboarded VNF package with vnfdId ${m[1]}`);
    const body = m[2] === 'package_content' ? pkg : await vnfdOnly(pkg);
    res.writeHead(200, { 'content-type': 'application/zip', 'content-length': body.length, version: '2.1.0' }).end(body);
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

/** SOL003 10.4.4.3.2: the VNFD's TOSCA files and TOSCA.meta, without the other artifacts. */
async function vnfdOnly(pkg: Buffer): Promise<Buffer> {
  const files = await readZipSafe(pkg);
  const out: FileMap = new Map([...files].filter(([p]) => p.startsWith('Definitions/') || p === 'TOSCA-Metadata/TOSCA.meta'));
  return writeZip(out, new Date(2020, 0, 1));
}
