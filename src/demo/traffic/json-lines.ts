// The traffic tools speak one JSON object per stdout line. This reads such a stream and lets a
// caller wait for the first line (already seen or still to come) that matches a predicate.
import type { Readable } from 'node:stream';
import { createInterface } from 'node:readline';

export type JsonLine = Record<string, unknown>;

export interface JsonLines {
  /** every JSON line read so far (other lines are ignored) */
  readonly lines: JsonLine[];
  /**
   * Resolves with the first matching line. Rejects after `timeoutMs`, or when `exited` (given to
   * jsonLines) settles first; `why()` adds context to the error, e.g. the tool's stderr.
   */
  waitFor(pred: (l: JsonLine) => boolean, timeoutMs: number, why?: () => string): Promise<JsonLine>;
}

export function jsonLines(name: string, input: Readable, exited?: Promise<number | null>): JsonLines {
  const lines: JsonLine[] = [];
  const waiters: { pred: (l: JsonLine) => boolean; resolve: (l: JsonLine) => void }[] = [];
  createInterface({ input }).on('line', (line) => {
    let o: JsonLine;
    try {
      o = JSON.parse(line) as JsonLine;
    } catch {
      return;
    }
    lines.push(o);
    for (const w of [...waiters])
      if (w.pred(o)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(o);
      }
  });
  return {
    lines,
    waitFor(pred, timeoutMs, why = () => '') {
      const found = lines.find(pred);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`${name}: no matching output within ${timeoutMs} ms${why()}`)), timeoutMs);
        waiters.push({ pred, resolve: (l) => (clearTimeout(t), resolve(l)) });
        void exited?.then((code) => {
          clearTimeout(t);
          reject(new Error(`${name} exited (${code}) before the expected output${why()}`));
        });
      });
    },
  };
}
