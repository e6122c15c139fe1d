// `snf stack list|show|events|delete`: the Heat views an operator needs while a VNF deploys,
// scales or heals, without the openstack CLI. Credentials from clouds.yaml / OS_* (--os-cloud),
// or --heat-url for a Heat without Keystone.
import { echo } from '../../util/echo.js';
import type { Command } from '../main.js';
import { HeatClient, OpenStackConfigError, OpenStackError, OpenStackOperationError, Session, type HeatEvent, type Stack } from '../../openstack/index.js';

const USAGE = `usage: snf stack <list|show|events|delete> [NAME] [options]
  list                      stacks of the project
  show NAME                 status, parameters and outputs
  events NAME               events, oldest first (--nested-depth N, --limit N)
  delete NAME               delete the stack (--wait: until it is gone)
options: --os-cloud NAME, --heat-url URL (noauth), --json, --timeout SECONDS`;

interface Opts {
  cloud?: string;
  heatUrl?: string;
  json: boolean;
  wait: boolean;
  nestedDepth?: number;
  limit?: number;
  timeoutMs: number;
  positional: string[];
}

function parse(args: string[]): Opts | string {
  const o: Opts = { json: false, wait: false, timeoutMs: 600_000, positional: [] };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const next = (): string | undefined => args[++i];
    const num = (): number | undefined => {
      const n = Number(next());
      return Number.isInteger(n) && n >= 0 ? n : undefined;
    };
    switch (a) {
      case '--os-cloud':
        o.cloud = next();
        if (!o.cloud) return '--os-cloud needs a value';
        break;
      case '--heat-url':
        o.heatUrl = next();
        if (!o.heatUrl) return '--heat-url needs a value';
        break;
      case '--json':
        o.json = true;
        break;
      case '--wait':
        o.wait = true;
        break;
      case '--nested-depth':
        o.nestedDepth = num();
        if (o.nestedDepth === undefined) return '--nested-depth expects a number';
        break;
      case '--limit':
        o.limit = num();
        if (o.limit === undefined) return '--limit expects a number';
        break;
      case '--timeout': {
        const n = num();
        if (!n) return '--timeout expects seconds';
        o.timeoutMs = n * 1000;
        break;
      }
      default:
        if (a.startsWith('-')) return `unknown option ${a}`;
        o.positional.push(a);
    }
  }
  return o;
}

function heatFor(o: Opts): HeatClient {
  const session = o.heatUrl ? Session.noauth({ orchestration: o.heatUrl }) : Session.fromEnvironment({ cloud: o.cloud });
  return new HeatClient(session);
}

function row(cols: string[], widths: number[]): string {
  return cols.map((c, i) => (i === cols.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
}

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
  return [row(head, widths), ...rows.map((r) => row(r, widths))].join('\n');
}

function showText(s: Stack): string {
  const lines = [`${s.stack_name}  ${s.id}`, `status:  ${s.stack_status}${s.stack_status_reason ? ` (${s.stack_status_reason})` : ''}`];
  lines.push(`created: ${s.creation_time ?? '-'}   updated: ${s.updated_time ?? '-'}`);
  const params = Object.entries(s.parameters ?? {}).filter(([k]) => !k.startsWith('OS::'));
  if (params.length) lines.push('parameters:', ...params.map(([k, v]) => `  ${k} = ${v}`));
  if (s.outputs?.length) {
    lines.push('outputs:', ...s.outputs.map((o) => `  ${o.output_key} = ${o.output_error ? `ERROR ${o.output_error}` : JSON.stringify(o.output_value)}`));
  }
  return lines.join('\n');
}

function eventsText(events: HeatEvent[]): string {
  return table(
    ['TIME', 'RESOURCE', 'STATUS', 'REASON'],
    events.map((e) => [e.event_time, e.resource_name, e.resource_status, e.resource_status_reason ?? '']),
  );
}

async function run(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const o = parse(rest);
  if (!sub || sub === '-h' || sub === '--help' || typeof o === 'string') {
    if (typeof o === 'string') console.error(`snf stack: ${o}`);
    console.error(USAGE);
    return sub === '-h' || sub === '--help' ? 0 : 2;
  }
  const out = (text: string, data: unknown) => console.log(o.json ? JSON.stringify(data, null, 2) : text);
  const name = o.positional[0];
  if (sub !== 'list' && !name) {
    console.error(`snf stack ${sub}: NAME is required\n${USAGE}`);
    return 2;
  }
  try {
    const heat = heatFor(o);
    switch (sub) {
      case 'list': {
        const stacks = await heat.listStacks();
        out(table(['NAME', 'STATUS', 'CREATED', 'ID'], stacks.map((s) => [s.stack_name, s.stack_status, s.creation_time ?? '', s.id])), stacks);
        return 0;
      }
      case 'show': {
        const s = await heat.getStack(name);
        out(showText(s), s);
        return 0;
      }
      case 'events': {
        const ref = await heat.resolve(name);
        let events = await heat.events(ref, { nestedDepth: o.nestedDepth });
        if (o.limit !== undefined) events = events.slice(-o.limit);
        out(eventsText(events), events);
        return 0;
      }
      case 'delete': {
        const ref = await heat.resolve(name);
        await heat.deleteStack(ref);
        if (o.wait) {
          await heat.waitFor(ref, 'DELETE', {
            timeoutMs: o.timeoutMs,
            pollMs: 1000,
            onProgress: (p) => {
              if (!p.event) console.error(`snf stack: ${ref.name}: ${p.status} ${p.reason}`);
            },
          });
          console.error(`snf stack: ${ref.name} deleted`);
        } else console.error(`snf stack: delete of ${ref.name} started`);
        return 0;
      }
      default:
        console.error(echo`snf stack: unknown subcommand "${sub}"` + `\n${USAGE}`);
        return 2;
    }
  } catch (err) {
    if (err instanceof OpenStackError || err instanceof OpenStackConfigError || err instanceof OpenStackOperationError) {
      console.error(`snf stack: ${err.message}`);
      return 1;
    }
    throw err;
  }
}

export const command: Command = {
  summary: 'Heat stacks: list, show, events, delete',
  run,
};
