// `snf descriptor validate FILE...`: schema + semantic check of vnf-descriptors/*.yaml.
import { echo } from '../../util/echo.js';
import { readFile } from 'node:fs/promises';
import type { Command } from '../main.js';
import { formatIssues, parseDescriptorText } from '../../descriptor/validate.js';

const usage = 'usage: snf descriptor validate FILE...';

async function validate(files: string[]): Promise<number> {
  if (files.length === 0) {
    console.error(usage);
    return 2;
  }
  let failed = 0;
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      console.error(echo`${file}: cannot read: ${(err as Error).message}`);
      failed++;
      continue;
    }
    const r = parseDescriptorText(text);
    if (r.ok) {
      console.log(`${file}: valid (${r.descriptor.nf}, flavours: ${Object.keys(r.descriptor.flavours).join(', ')})`);
    } else {
      console.error(echo`${file}: ${r.issues.length} error(s)` + `\n${formatIssues(r.issues)}`);
      failed++;
    }
  }
  return failed ? 1 : 0;
}

export const command: Command = {
  summary: 'validate VNF descriptors (vnf-descriptors/*.yaml)',
  async run(args: string[]): Promise<number> {
    const [sub, ...rest] = args;
    if (sub === 'validate') return validate(rest);
    console.error(usage);
    return 2;
  },
};
