#!/usr/bin/env node
// `snf`: dispatches `snf <command> ...` to src/cli/commands/<command>.ts, so each part of the
// product owns its commands without touching this file.
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { clipRuns, echo } from '../util/echo.js';

export interface Command {
  summary: string;
  run(args: string[]): Promise<number>;
}

const commandsDir = join(dirname(fileURLToPath(import.meta.url)), 'commands');

function available(): string[] {
  return readdirSync(commandsDir)
    .filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith('.d.ts') && !f.includes('.test.'))
    .map((f) => f.replace(/\.(ts|js)$/, ''))
    .filter((name) => !name.includes('-'))
    .sort();
}

async function load(name: string): Promise<Command> {
  const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
  const mod = (await import(join(commandsDir, `${name}.${ext}`))) as { command: Command };
  return mod.command;
}

async function usage(): Promise<string> {
  const lines = ['usage: snf <command> [args]', '', 'commands:'];
  for (const name of available()) {
    const c = await load(name);
    lines.push(`  ${name.padEnd(12)} ${c.summary}`);
  }
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '-h' || name === '--help' || name === 'help') {
    console.log(await usage());
    return name ? 0 : 2;
  }
  if (!/^[a-z]+$/.test(name) || !available().includes(name)) {
    console.error(echo`snf: unknown command '${name}'` + `\n\n${await usage()}`);
    return 2;
  }
  return (await load(name)).run(rest);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`snf: ${clipRuns(err instanceof Error ? err.message : String(err))}`);
    process.exit(1);
  },
);
