// Argument handling shared by the local deployment's CLI commands (src/cli/commands/{up,status,
// scale,kill,flows,down}.ts): one flag grammar, one way to report bad input (exit 2, nothing done).
import { clipRuns } from '../../util/echo.js';
import { LocalDeployment } from './deployment.js';
import { NAME_RE } from './state.js';

export class UsageError extends Error {
  constructor(message: string) {
    // Usage errors quote the argument they refuse; an argument can be 128 KiB.
    super(clipRuns(message));
    this.name = 'UsageError';
  }
}

export interface Parsed {
  flags: Map<string, string | true>;
  positional: string[];
}

/** `spec`: flag -> takes a value. Unknown flags and missing values are UsageErrors. */
export function parseArgs(args: string[], spec: Record<string, boolean>): Parsed {
  const flags = new Map<string, string | true>();
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '-h' || a === '--help') {
      flags.set('help', true);
      continue;
    }
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const [k, inline] = a.slice(2).split(/=(.*)/s, 2);
    if (!(k in spec)) throw new UsageError(`unknown option '--${k}'`);
    if (spec[k]) {
      const v = inline ?? args[++i];
      if (v === undefined || v === '') throw new UsageError(`--${k}: a value is required`);
      flags.set(k, v);
    } else {
      if (inline !== undefined) throw new UsageError(`--${k} takes no value`);
      flags.set(k, true);
    }
  }
  return { flags, positional };
}

export function str(p: Parsed, k: string): string | undefined {
  const v = p.flags.get(k);
  return typeof v === 'string' ? v : undefined;
}

export function int(p: Parsed, k: string, dflt: number, min: number, max: number): number {
  const v = str(p, k);
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < min || n > max) throw new UsageError(`--${k}: expected an integer ${min}..${max}, got '${v}'`);
  return n;
}

export function deploymentName(p: Parsed): string {
  const n = str(p, 'name') ?? process.env.SNF_DEPLOYMENT ?? 'snf';
  if (!NAME_RE.test(n)) throw new UsageError(`--name: must match ${NAME_RE.source} (it prefixes namespace names), got '${n}'`);
  return n;
}

export function loadDeployment(p: Parsed): LocalDeployment {
  return LocalDeployment.load(deploymentName(p));
}

export function requireRoot(cmd: string): void {
  if (process.getuid?.() !== 0) throw new Error(`snf ${cmd}: network namespaces need root (run with sudo)`);
}

/** Runs a command body: UsageError -> usage text and 2; other errors -> message and 1. */
export async function runCommand(cmd: string, usage: string, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`snf ${cmd}: ${e.message}\n\n${usage}`);
      return 2;
    }
    console.error(`snf ${cmd}: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}

export function progress(line: string): void {
  const t = new Date().toISOString().slice(11, 19);
  console.log(`[${t}] ${line}`);
}
