// A headless Chromium (Debian's package) driven over the DevTools protocol through
// --remote-debugging-pipe: JSON messages separated by NUL on fds 3 (to the browser) and 4 (from
// it), so no WebSocket client is needed. Each browser gets a fresh profile directory; close()
// kills its process group and deletes the profile, and an exit hook does so if a test dies.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';

type Json = Record<string, unknown>;

export const CHROMIUM = '/usr/bin/chromium';

export function chromiumMissing(): string | undefined {
  return spawnSync(CHROMIUM, ['--version'], { encoding: 'utf8' }).status === 0 ? undefined : `${CHROMIUM} missing: scripts/deps/liveview.txt lists the chromium package (run scripts/setup.sh)`;
}

const live = new Set<Browser>();
process.on('exit', () => {
  for (const b of live) b.killNow();
});

export class Browser {
  private seq = 0;
  private buf = '';
  private readonly pending = new Map<number, { resolve: (v: Json) => void; reject: (e: Error) => void; method: string }>();
  private readonly listeners = new Set<(m: Json) => void>();
  private stderr = '';

  private constructor(private readonly proc: ChildProcess, private readonly profile: string) {
    const out = proc.stdio[4] as Readable;
    out.setEncoding('utf8');
    out.on('data', (chunk: string) => {
      this.buf += chunk;
      let i;
      while ((i = this.buf.indexOf('\0')) >= 0) {
        const msg = JSON.parse(this.buf.slice(0, i)) as Json;
        this.buf = this.buf.slice(i + 1);
        const id = msg.id as number | undefined;
        const p = id !== undefined ? this.pending.get(id) : undefined;
        if (p) {
          this.pending.delete(id!);
          if (msg.error) p.reject(new Error(`${p.method}: ${JSON.stringify(msg.error)}`));
          else p.resolve((msg.result ?? {}) as Json);
        } else for (const l of this.listeners) l(msg);
      }
    });
    proc.stderr?.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-4000)));
    proc.once('exit', (code) => {
      for (const p of this.pending.values()) p.reject(new Error(`chromium exited (${code}) during ${p.method}: ${this.stderr.slice(-800)}`));
      this.pending.clear();
    });
  }

  static async launch(): Promise<Browser> {
    const profile = mkdtempSync(join(tmpdir(), 'snf-liveview-chromium-'));
    const proc = spawn(
      CHROMIUM,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-dev-shm-usage',
        '--remote-debugging-pipe',
        `--user-data-dir=${profile}`,
        '--window-size=1280,900',
        'about:blank',
      ],
      // its own process group, so close() ends the renderer and GPU helpers with it
      { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'], detached: true },
    );
    const b = new Browser(proc, profile);
    live.add(b);
    try {
      await b.send('Browser.getVersion', {}, undefined, 30_000);
    } catch (e) {
      await b.close();
      throw e;
    }
    return b;
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  send(method: string, params: Json = {}, sessionId?: string, timeoutMs = 15_000): Promise<Json> {
    const id = ++this.seq;
    const msg = JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) });
    return new Promise<Json>((resolve, reject) => {
      const t = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${method}: no answer from chromium within ${timeoutMs} ms; stderr: ${this.stderr.slice(-800)}`));
      }, timeoutMs);
      this.pending.set(id, { resolve: (v) => (clearTimeout(t), resolve(v)), reject: (e) => (clearTimeout(t), reject(e)), method });
      (this.proc.stdio[3] as Writable).write(`${msg}\0`);
    });
  }

  async newPage(width = 1280, height = 900): Promise<Page> {
    const { targetId } = (await this.send('Target.createTarget', { url: 'about:blank' })) as { targetId: string };
    const { sessionId } = (await this.send('Target.attachToTarget', { targetId, flatten: true })) as { sessionId: string };
    const page = new Page(this, sessionId);
    await page.call('Page.enable');
    await page.call('Runtime.enable');
    await page.call('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: false });
    return page;
  }

  onEvent(fn: (m: Json) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  killNow(): void {
    const pid = this.proc.pid;
    if (pid && this.proc.exitCode === null) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    rmSync(this.profile, { recursive: true, force: true });
    live.delete(this);
  }

  async close(): Promise<void> {
    const exited = this.proc.exitCode !== null ? Promise.resolve() : new Promise<void>((r) => this.proc.once('exit', () => r()));
    this.killNow();
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
  }
}

export class Page {
  /** console messages and uncaught exceptions of the page, for failure reports */
  readonly console: string[] = [];

  constructor(private readonly b: Browser, readonly sessionId: string) {
    b.onEvent((m) => {
      if (m.sessionId !== sessionId) return;
      const p = m.params as Json | undefined;
      if (m.method === 'Runtime.consoleAPICalled') this.console.push(`${String(p?.type)}: ${((p?.args as Json[]) ?? []).map((a) => String(a.value ?? a.description ?? '')).join(' ')}`);
      if (m.method === 'Runtime.exceptionThrown') this.console.push(`exception: ${JSON.stringify((p?.exceptionDetails as Json | undefined)?.exception ?? p)}`);
    });
  }

  call(method: string, params: Json = {}): Promise<Json> {
    return this.b.send(method, params, this.sessionId);
  }

  async goto(url: string): Promise<void> {
    const r = (await this.call('Page.navigate', { url })) as { errorText?: string };
    if (r.errorText) throw new Error(`navigate ${url}: ${r.errorText}`);
  }

  /** Evaluates `expr` in the page (awaiting a promise) and returns its JSON value. */
  async eval<T>(expr: string): Promise<T> {
    const r = (await this.call('Runtime.evaluate', { expression: expr, returnByValue: true, awaitPromise: true })) as { result: { value?: T }; exceptionDetails?: Json };
    if (r.exceptionDetails) throw new Error(`in the page: ${expr}: ${JSON.stringify(r.exceptionDetails)}`);
    return r.result.value as T;
  }

  /** Polls `expr` until it is truthy; returns its value and how long it took. */
  async waitFor<T>(expr: string, timeoutMs: number, what: string): Promise<{ value: T; ms: number }> {
    const t0 = Date.now();
    for (;;) {
      const v = await this.eval<T>(expr).catch(() => undefined);
      if (v) return { value: v, ms: Date.now() - t0 };
      if (Date.now() - t0 > timeoutMs) throw new Error(`page: ${what} not seen within ${timeoutMs} ms; page console: ${this.console.slice(-5).join(' | ') || 'empty'}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async screenshot(): Promise<Buffer> {
    const { data } = (await this.call('Page.captureScreenshot', { format: 'png', captureBeyondViewport: true })) as { data: string };
    return Buffer.from(data, 'base64');
  }
}
