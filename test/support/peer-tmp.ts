// Third-party checkers leave temp dirs behind: Tacker's loader its csar_extract_* (its
// vnf_package_csar_path), toscaparser every CSAR it unzips. Each test process hands them one
// TMPDIR of its own and removes it when the process exits, pass or fail.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let dir: string | undefined;

/** The environment to run a third-party checker with: ours, TMPDIR in a dir removed at exit. */
export function peerEnv(): NodeJS.ProcessEnv {
  if (!dir) {
    const d = mkdtempSync(join(tmpdir(), 'snf-peers-'));
    dir = d;
    process.on('exit', () => rmSync(d, { recursive: true, force: true }));
  }
  return { ...process.env, TMPDIR: dir };
}
