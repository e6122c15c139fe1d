// Manifest signing and verification with the `openssl cms` command (SOL004: a CMS signature of
// the manifest, PEM, embedded at its end; the signer certificate travels in the package).
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PackageError } from './errors.js';

const run = promisify(execFile);

async function inTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'snf-cms-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function opensslError(err: unknown): string {
  const e = err as { stderr?: string; message?: string };
  return (e.stderr || e.message || String(err)).trim().split('\n').slice(0, 3).join('; ');
}

/** Detached CMS signature (PEM) of `content` by the signer's key and certificate. */
export async function cmsSign(content: string, keyPem: string, certPem: string): Promise<string> {
  return inTempDir(async (dir) => {
    const [inFile, key, cert, out] = ['manifest', 'key.pem', 'cert.pem', 'sig.pem'].map((f) => join(dir, f));
    await writeFile(inFile, content);
    await writeFile(key, keyPem, { mode: 0o600 });
    await writeFile(cert, certPem);
    try {
      await run('openssl', ['cms', '-sign', '-binary', '-in', inFile, '-signer', cert, '-inkey', key, '-outform', 'PEM', '-out', out, '-md', 'sha256']);
    } catch (err) {
      throw new PackageError(`signing the manifest failed: ${opensslError(err)}`);
    }
    return readFile(out, 'utf8');
  });
}

/**
 * Verifies a detached PEM CMS signature over `content`. With `caPem`, the signer chain must lead
 * to it; without, only the signature itself is checked against `certPem` (integrity, no trust).
 */
export async function cmsVerify(content: string, signaturePem: string, certPem: string, caPem?: string): Promise<void> {
  await inTempDir(async (dir) => {
    const [inFile, sig, cert, ca] = ['manifest', 'sig.pem', 'cert.pem', 'ca.pem'].map((f) => join(dir, f));
    await writeFile(inFile, content);
    await writeFile(sig, signaturePem);
    await writeFile(cert, certPem);
    const args = ['cms', '-verify', '-binary', '-inform', 'PEM', '-in', sig, '-content', inFile, '-certfile', cert, '-out', '/dev/null'];
    if (caPem) {
      await writeFile(ca, caPem);
      args.push('-CAfile', ca);
    } else {
      args.push('-noverify');
    }
    try {
      await run('openssl', args);
    } catch (err) {
      throw new PackageError(`manifest signature verification failed: ${opensslError(err)}`);
    }
  });
}
