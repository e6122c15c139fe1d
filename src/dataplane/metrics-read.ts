// Reads an instance's Prometheus metrics text where its registry record says they are: a unix
// socket (`unix:/path`, the local deployment) or `http://host:port` (a VM, a Nova server).
import { request } from 'node:http';

export function fetchMetricsText(at: string, timeoutMs = 1500): Promise<string> {
  return new Promise((resolve, reject) => {
    let opts: { socketPath?: string; host?: string; port?: number; path: string };
    if (at.startsWith('unix:')) opts = { socketPath: at.slice(5), path: '/metrics' };
    else {
      const u = new URL('/metrics', at);
      opts = { host: u.hostname, port: Number(u.port || 80), path: u.pathname };
    }
    const req = request({ ...opts, method: 'GET', timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`${at}: HTTP ${res.statusCode}`))));
    });
    req.on('timeout', () => req.destroy(new Error(`${at}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}
