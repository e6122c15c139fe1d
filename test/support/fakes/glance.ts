// Fake Glance following the Image API v2 reference (docs.openstack.org/api-ref/image/v2):
// POST /v2/images {name, disk_format, container_format, ...} -> 201 image (status "queued");
// PUT /v2/images/{id}/file with Content-Type application/octet-stream -> 204 and the image
// becomes "active" with size and os_hash_value; a wrong content type -> 415; GET -> 200 image;
// DELETE -> 204. Glance answers errors in plain text/HTML, not JSON.
import { createHash, randomUUID } from 'node:crypto';
import { startFake, type FakeReply, type FakeRequest, type FakeServer } from './server.js';

type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
const html = (status: number, title: string, msg: string): FakeReply => ({
  status,
  text: `<html>\n <head>\n  <title>${status} ${title}</title>\n </head>\n <body>\n  <h1>${status} ${title}</h1>\n  ${msg}<br /><br />\n\n\n\n </body>\n</html>`,
  headers: { 'content-type': 'text/html; charset=UTF-8' },
});

export interface FakeGlance extends FakeServer {
  images: Map<string, Rec>;
  data: Map<string, Buffer>;
}

const DISK = ['ami', 'ari', 'aki', 'vhd', 'vhdx', 'vmdk', 'raw', 'qcow2', 'vdi', 'iso', 'ploop'];

export async function fakeGlance(opts: { auth?: (t: string | undefined, r: FakeRequest) => FakeReply | undefined } = {}): Promise<FakeGlance> {
  const images = new Map<string, Rec>();
  const data = new Map<string, Buffer>();
  const server = await startFake(
    [
      {
        method: 'POST',
        path: /^\/v2\/images$/,
        handler: (r) => {
          const b = r.json;
          if (!isRec(b)) return html(400, 'Bad Request', 'Request body must be a JSON object.');
          if (b.disk_format !== undefined && !DISK.includes(String(b.disk_format))) {
            return html(400, 'Bad Request', `Invalid value '${String(b.disk_format)}' for disk_format`);
          }
          const img = { id: randomUUID(), status: 'queued', visibility: 'shared', size: null, checksum: null, os_hash_value: null, ...b };
          images.set(img.id, img);
          return { status: 201, body: img, headers: { location: `/v2/images/${img.id}` } };
        },
      },
      {
        method: 'GET',
        path: /^\/v2\/images\/([^/]+)$/,
        handler: (r) => {
          const i = images.get(r.params[0]);
          return i ? { status: 200, body: i } : html(404, 'Not Found', `No image found with ID ${r.params[0]}`);
        },
      },
      {
        method: 'PUT',
        path: /^\/v2\/images\/([^/]+)\/file$/,
        handler: (r) => {
          const i = images.get(r.params[0]);
          if (!i) return html(404, 'Not Found', `No image found with ID ${r.params[0]}`);
          if (r.headers['content-type'] !== 'application/octet-stream') return html(415, 'Unsupported Media Type', 'The request media type is not supported');
          if (i.status !== 'queued') return html(409, 'Conflict', `Image status transition from ${String(i.status)} to saving is not allowed`);
          data.set(String(i.id), r.raw);
          Object.assign(i, {
            status: 'active',
            size: r.raw.length,
            checksum: createHash('md5').update(r.raw).digest('hex'),
            os_hash_algo: 'sha512',
            os_hash_value: createHash('sha512').update(r.raw).digest('hex'),
          });
          return { status: 204 };
        },
      },
      {
        method: 'DELETE',
        path: /^\/v2\/images\/([^/]+)$/,
        handler: (r) => (images.delete(r.params[0]) ? { status: 204 } : html(404, 'Not Found', `No image found with ID ${r.params[0]}`)),
      },
    ],
    { auth: opts.auth },
  );
  return { ...server, images, data };
}
